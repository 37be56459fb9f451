"""Notify fixtures: the applications module's seeded catalogue."""

from tests.functional.applications.conftest import seeded  # noqa: F401 - a fixture, re-exported
