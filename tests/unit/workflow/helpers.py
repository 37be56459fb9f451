"""Helpers for the workflow engine tests."""

from __future__ import annotations

import json
from typing import Any

from longgov.workflow import engine

DEPARTMENTS = ["market_regulation", "fire_rescue", "health"]


def roundtrip(state: str) -> str:
    """Check the state is JSON and survives deserialize → serialize unchanged in meaning."""
    envelope = json.loads(state)
    assert isinstance(envelope, dict)
    again = engine._dump(*engine._load(state))
    assert json.loads(again) == envelope
    return again


def task(state: str, name: str, department: str | None = None) -> engine.TaskView:
    matches = [t for t in engine.ready_tasks(state) if t.name == name and (department is None or t.department == department)]
    assert len(matches) == 1, [(t.name, t.department) for t in engine.ready_tasks(state)]
    return matches[0]


def step(state: str, name: str, role: str, action: str, department: str | None = None, **data: Any) -> str:
    """Complete the one ready task called ``name`` and check the round trip of the new state."""
    view = task(state, name, department)
    new = engine.complete(roundtrip(state), view.id, role=role, department=department, action=action, data=data)
    return roundtrip(new)


def names(state: str) -> list[str]:
    return sorted(t.name for t in engine.ready_tasks(state))
