"""The process files are standard BPMN 2.0 with diagram interchange, and SpiffWorkflow parses them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from longgov.workflow import engine

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
FLOW_NODES = {"startEvent", "endEvent", "userTask", "exclusiveGateway", "parallelGateway", "task", "scriptTask", "serviceTask"}
ROLES = {"counter_staff", "approver", "department_leader", "applicant"}


@pytest.fixture(params=engine.available_processes())
def process(request):
    return request.param


def _root(process: str) -> ET.Element:
    return ET.parse(engine.PROCESS_DIR / f"{process}.bpmn").getroot()  # noqa: S314 - our own packaged file


def test_definitions_namespace(process):
    root = _root(process)
    assert root.tag == f"{{{BPMN}}}definitions"
    assert root.get("targetNamespace")
    processes = root.findall(f"{{{BPMN}}}process")
    assert [p.get("id") for p in processes] == [process]
    assert processes[0].get("isExecutable") == "true"


def test_every_node_and_flow_has_di(process):
    root = _root(process)
    proc = root.find(f"{{{BPMN}}}process")
    assert proc is not None
    nodes = {el.get("id") for el in proc if el.tag.split("}")[1] in FLOW_NODES}
    flows = {el.get("id") for el in proc.findall(f"{{{BPMN}}}sequenceFlow")}
    plane = root.find(f"{{{BPMNDI}}}BPMNDiagram/{{{BPMNDI}}}BPMNPlane")
    assert plane is not None
    shapes = {s.get("bpmnElement"): s for s in plane.findall(f"{{{BPMNDI}}}BPMNShape")}
    edges = {e.get("bpmnElement"): e for e in plane.findall(f"{{{BPMNDI}}}BPMNEdge")}
    assert nodes
    assert flows
    assert nodes <= shapes.keys()
    assert flows == set(edges)
    for node in nodes:
        bounds = shapes[node].find(f"{{{DC}}}Bounds")
        assert bounds is not None
        assert all(float(bounds.get(a, "-1")) >= 0 for a in ("x", "y", "width", "height"))
    for flow in flows:
        assert len(edges[flow].findall(f"{{{DI}}}waypoint")) >= 2
    # Lanes are drawn too, and every flow node sits in exactly one lane.
    lanes = proc.findall(f"{{{BPMN}}}laneSet/{{{BPMN}}}lane")
    assert {lane.get("id") for lane in lanes} <= shapes.keys()
    refs = [ref.text for lane in lanes for ref in lane.findall(f"{{{BPMN}}}flowNodeRef")]
    assert sorted(refs) == sorted(nodes)


def test_flows_reference_existing_nodes(process):
    proc = _root(process).find(f"{{{BPMN}}}process")
    assert proc is not None
    ids = {el.get("id") for el in proc}
    for flow in proc.findall(f"{{{BPMN}}}sequenceFlow"):
        assert flow.get("sourceRef") in ids
        assert flow.get("targetRef") in ids


def test_spiff_parses_and_every_user_task_declares_role_and_actions(process):
    spec = engine._spec(process)
    user_tasks = [ts for ts in spec.task_specs.values() if type(ts).__name__ == "UserTask"]
    assert user_tasks
    for ts in user_tasks:
        rules = engine._rules(ts)
        assert rules.roles, ts.bpmn_id
        assert set(rules.roles) <= ROLES, ts.bpmn_id
        assert rules.actions, ts.bpmn_id
        assert set(rules.outcomes) <= set(rules.actions)
        assert ts.bpmn_name
        assert ts.lane


def test_joint_review_is_parallel_multi_instance():
    spec = engine._spec("joint_review")
    kinds = {ts.bpmn_id: type(ts).__name__ for ts in spec.task_specs.values() if ts.bpmn_id}
    assert kinds["fork_review"] == "ParallelGateway"
    assert kinds["join_review"] == "ParallelGateway"
    assert kinds["department_review"] in {"ParallelMultiInstanceTask", "UserTask"}
    mi = next(ts for ts in spec.task_specs.values() if type(ts).__name__ == "ParallelMultiInstanceTask")
    assert mi.data_input.bpmn_id == "departments"
