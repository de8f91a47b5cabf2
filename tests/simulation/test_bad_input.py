"""Any JSON may arrive from a browser, an import or the API: a design, a scenario or a live
control that is wrong in any field gets DesignError or ControlError naming the problem,
never another exception."""

from __future__ import annotations

import copy
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

EXAMPLES = list_examples()

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**15), 10**15)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | st.sampled_from(["web", "db", "users", "primary", "replica", "client", "fail"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place inside a JSON value (keys of objects, indexes of lists)."""
    out = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            out += paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            out += paths(inner, (*prefix, index))
    return out


def replaced(value: Any, path: tuple, new: Any) -> Any:
    """A copy of ``value`` with the place at ``path`` holding ``new`` (the whole at ())."""
    if not path:
        return new
    out = copy.deepcopy(value)
    holder = out
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = new
    return out


@st.composite
def broken(draw: st.DrawFn, documents: list[dict]) -> dict:
    """One of ``documents`` with one to three places replaced by any JSON value."""
    doc = draw(st.sampled_from(documents))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(doc)))
        doc = replaced(doc, path, draw(json_values))
    return doc


@settings(max_examples=300, deadline=None)
@given(doc=broken([example.document for example in EXAMPLES]))
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
    scenario = data.draw(broken([example.scenario]))
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
@given(control=broken(CONTROLS))
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
