"""Bundled services (高效办成一件事, R3.4): one guide, one form, one submission, parallel departments, one result."""
