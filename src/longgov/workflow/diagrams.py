"""The shipped BPMN process files as documents (办理流程图), for pages that draw them.

Separate from :mod:`longgov.workflow.engine` because reading the XML needs no engine: the guide page
hands the file to the bpmn-js viewer in the browser, which is also a check that the files open in a
standard BPMN modeler.
"""

from __future__ import annotations

from functools import cache

from longgov.workflow.engine import PROCESS_DIR, PROCESSES, WorkflowError


@cache
def definition_xml(process: str) -> str:
    """The BPMN 2.0 XML of ``process`` (``instant``, ``promised``, ``joint_review``); 404 ``unknown_process`` otherwise."""
    if process not in PROCESSES:
        raise WorkflowError("unknown_process", f"未知的办理流程：{process}", details={"available": list(PROCESSES)})
    return (PROCESS_DIR / f"{process}.bpmn").read_text(encoding="utf-8")
