"""Workflow layer (办件流程): BPMN processes for instant, promised and joint-review items.

The applications module calls :mod:`longgov.workflow.engine`; state is a JSON string it stores.
"""

from longgov.workflow.engine import (
    TaskView,
    WorkflowError,
    available_processes,
    complete,
    history,
    is_finished,
    outcome,
    ready_tasks,
    start,
)

__all__ = ["TaskView", "WorkflowError", "available_processes", "complete", "history", "is_finished", "outcome", "ready_tasks", "start"]
