"""Any JSON may arrive from a browser, an import or the API: a design, a scenario or a live
control that is wrong in any field gets DesignError or ControlError naming the problem,
never another exception."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import (
    ControlError,
    DesignError,
    Engine,
    Problem,
    list_examples,
    validate_document,
    validate_scenario,
)
from tests.garbage import broken

EXAMPLES = list_examples()


def broken_one_of(values: list[Any]) -> st.SearchStrategy[Any]:
    """One of ``values`` with one to three places replaced by any JSON value."""
    return st.sampled_from(values).flatmap(broken)


@settings(max_examples=300, deadline=None)
@given(doc=broken_one_of([example.document for example in EXAMPLES]))
def test_a_broken_design_is_a_design_error(doc: Any):
    """validate_document returns a document or raises DesignError, whatever the input."""
    try:
        validate_document(doc)
    except DesignError as error:
        problems = error.problems
    else:
        problems = [Problem("", "none: a valid document")]
    assert problems
    assert all(isinstance(p.message, str) and p.message for p in problems)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_broken_scenario_is_a_design_error(data: st.DataObject):
    """validate_scenario returns a scenario or raises DesignError, whatever the input."""
    example = data.draw(st.sampled_from(EXAMPLES))
    scenario = data.draw(broken(example.scenario))
    try:
        validate_scenario(scenario, validate_document(example.document))
    except DesignError as error:
        problems = error.problems
    else:
        problems = [Problem("", "none: a valid scenario")]
    assert all(isinstance(p.message, str) and p.message for p in problems)


CONTROLS = [
    {"action": "fail", "target": "server", "count": 1},
    {"action": "recover", "target": "server"},
    {"action": "scale", "target": "server", "instances": 3, "size": "large"},
    {"action": "set_rate", "target": "users", "rps": 100},
    {"action": "set_param", "target": "server", "param": "service_ms", "value": 5},
    {"action": "flush", "target": "server"},
    {"action": "link_latency", "from": "users", "to": "server", "ms": 10},
]


@settings(max_examples=300, deadline=None)
@given(control=broken_one_of(CONTROLS))
def test_a_broken_live_control_is_a_control_error_and_the_run_goes_on(control: Any):
    """Engine.apply raises ControlError for a bad control; the engine still steps."""
    engine = Engine(EXAMPLES[0].document)
    engine.step()
    try:
        engine.apply(control)
    except ControlError as error:
        message = str(error)
    else:
        message = "none: a valid control"
    assert message
    assert engine.step().tick == 2
