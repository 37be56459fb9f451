"""The navigation marks one entry as the current page: the exact one, else the deepest section holding the page."""

from __future__ import annotations

from longgov.web.render import current_entry

WORKBENCH = ["/workbench", "/workbench/applications", "/workbench/onething", "/workbench/onething/key-items", "/workbench/onething/metrics"]


def test_a_nested_section_lights_only_itself_not_its_parent():
    assert current_entry(WORKBENCH, "/workbench/onething/key-items", "/workbench") == "/workbench/onething/key-items"
    assert current_entry(WORKBENCH, "/workbench/onething/key-items/open_restaurant", "/workbench") == "/workbench/onething/key-items"
    assert current_entry(WORKBENCH, "/workbench/onething/metrics/newborn_birth", "/workbench") == "/workbench/onething/metrics"
    assert current_entry(WORKBENCH, "/workbench/onething/open_restaurant", "/workbench") == "/workbench/onething"


def test_the_home_entry_holds_only_itself_and_a_lookalike_prefix_holds_nothing():
    assert current_entry(WORKBENCH, "/workbench", "/workbench") == "/workbench"
    assert current_entry(WORKBENCH, "/workbench/profile", "/workbench") is None
    assert current_entry(WORKBENCH, "/workbench/onethingy", "/workbench") is None
