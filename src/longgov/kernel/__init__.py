"""Cross-cutting kernel: imports no domain module."""
