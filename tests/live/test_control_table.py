"""One table from the socket to the engine: every control in it is validated, applied and
reachable, and every refusal on the way is one ControlError with a path and a message."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from sandbox.live.protocol import ACTIONS, SOCKET_FIELDS, SpeedLimits, parse_message
from sandbox.live.session import RunSession
from sandbox.live.steering import SPEED_STEPS, STEERING
from sandbox.live.wire import FrameCodec
from simulation import CONTROLS, ControlError, Engine, validate_document, validate_scenario
from simulation.scenario import check_control, control_or_raise
from tests.simulation.designs import web_stack

DOC = validate_document(web_stack())
LIMITS = SpeedLimits(max_speed=100, allow_unpaced=True)

# One good control of every action in the table, and the control method each calls.
GOOD = {
    "fail": ({"action": "fail", "target": "web", "count": 1}, "fail"),
    "recover": ({"action": "recover", "target": "web"}, "recover"),
    "scale": ({"action": "scale", "target": "web", "instances": 4}, "scale_to"),
    "set_rate": ({"action": "set_rate", "target": "users", "rps": 200}, "set_rate"),
    "set_param": (
        {"action": "set_param", "target": "cache", "param": "hit_ratio", "value": 0.5},
        "set_param",
    ),
    "flush": ({"action": "flush", "target": "cache"}, "flush"),
    "spike": ({"action": "spike", "target": "users", "rps": 300, "duration_s": 5}, "spike"),
    "link_latency": (
        {"action": "link_latency", "from": "lb", "to": "web", "ms": 80},
        "link_latency",
    ),
}

# The event kind each good control records.
EVENT = {"fail": "failed", "recover": "recovered", "scale": "scaled", "set_rate": "rate",
         "set_param": "param", "flush": "flushed", "link_latency": "link_latency",
         "spike": "spike"}  # fmt: skip


def new_session() -> RunSession:
    scenario = validate_scenario({"duration_s": 5}, DOC)
    return RunSession(Engine(DOC, scenario), codec=FrameCodec(DOC), tick_s=1.0, speed=1.0)


class RecordingControls:
    """Stands in for the engine's controls: records which public method a record calls."""

    def __init__(self) -> None:
        self.model = SimpleNamespace(index={c["id"]: i for i, c in enumerate(DOC["components"])})
        self.calls: list[tuple[str, tuple]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args: self.calls.append((name, args))


def test_the_good_controls_cover_the_table() -> None:
    assert set(GOOD) == set(CONTROLS) == set(EVENT)


@pytest.mark.parametrize("action", list(CONTROLS))
def test_every_control_is_validated(action: str) -> None:
    """A good control passes; each of its number fields out of range is a problem at that
    field's path; an unknown target or link is a problem too."""
    control, _ = GOOD[action]
    problems: list = []
    assert check_control(control, DOC, "faults[0]", problems)["action"] == action
    assert problems == []
    for number in CONTROLS[action].fields:
        problems = []
        check_control({**control, number.name: number.hi * 10 + 1}, DOC, "faults[0]", problems)
        assert [p.path for p in problems] == [f"faults[0].{number.name}"]
        assert problems[0].message == number.rule
    ghost = {**control, "target": "ghost", "from": "ghost"}
    with pytest.raises(ControlError) as caught:
        control_or_raise(ghost, DOC)
    assert caught.value.path in ("target", "from")


@pytest.mark.parametrize("action", list(CONTROLS))
def test_every_control_is_applied_through_the_engines_public_methods(action: str) -> None:
    control, method = GOOD[action]
    controls = RecordingControls()
    CONTROLS[action].apply(controls, control_or_raise(control, DOC))
    assert [name for name, _ in controls.calls] == [method]


@pytest.mark.parametrize("action", list(CONTROLS))
def test_every_control_is_reachable_live_and_as_a_scheduled_fault(action: str) -> None:
    """Engine.apply takes it live, and a scenario schedules it: each records its event."""
    control, _ = GOOD[action]
    live = Engine(DOC)
    live.step()
    assert [e["kind"] for e in live.apply(control)][:1] == [EVENT[action]]
    scenario = validate_scenario({"duration_s": 5, "faults": [{"at": 1, **control}]}, DOC)
    scheduled = Engine(DOC, scenario)
    events = [e for _ in range(3) for e in scheduled.step().events]
    assert EVENT[action] in [e["kind"] for e in events]


def test_the_socket_takes_session_controls_and_a_subset_of_the_engines() -> None:
    """Each socket action has one home: the steering table or the control table; the
    fields the socket reads are the control table's own."""
    # set_param has its own reader: its value's type is the parameter's (the engine checks it).
    assert set(ACTIONS) == set(STEERING) | set(SOCKET_FIELDS) | {"set_param"}
    assert not set(STEERING) & set(CONTROLS)
    for action, names in SOCKET_FIELDS.items():
        assert action in CONTROLS
        for name in names:
            assert CONTROLS[action].field(name).name == name


@pytest.mark.parametrize("action", [*SOCKET_FIELDS, "set_param"])
def test_a_socket_control_reaches_the_engine_through_the_session(action: str) -> None:
    control, _ = GOOD[action]
    text = json.dumps({**control, "instances": 4})
    session = new_session()
    session.control({"action": "start"})
    session.step()
    outcome = session.control(parse_message(text, LIMITS), by="alice")
    assert [e["kind"] for e in outcome.events][:1] == [EVENT[action]]


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ('{"action": "scale", "target": "w", "instances": 0}', "scale.instances",
         "must be an integer from 1 to 1000"),
        ('{"action": "set_rate", "target": "u"}', "set_rate.rps",
         "must be a number from 0 to 1e+07"),
        ('{"action": "fail"}', "fail.target", "must be a component id (a short string)"),
        ('{"action": "speed", "value": 0}', "speed.value",
         'must be a number from 1 to 100 or "max"'),
        ("[]", "message", "must be a JSON object"),
    ],
)  # fmt: skip
def test_the_socket_refuses_with_a_path_and_a_message(text: str, path: str, message: str) -> None:
    with pytest.raises(ControlError) as caught:
        parse_message(text, LIMITS)
    assert (caught.value.path, caught.value.message) == (path, message)
    assert str(caught.value) == f"{path}: {message}"


def test_the_session_names_the_action_of_a_control_the_engine_refuses() -> None:
    session = new_session()
    with pytest.raises(ControlError) as caught:
        session.control({"action": "fail", "target": "ghost"})
    assert caught.value.path == "fail"
    assert str(caught.value) == "fail: target: no component with id 'ghost'"


def test_several_problems_make_one_error_listing_them_all() -> None:
    with pytest.raises(ControlError) as caught:
        control_or_raise({"action": "scale", "target": "users"}, DOC)
    assert caught.value.path == "target"
    assert str(caught.value) == (
        "target: users (client) has no instances to scale; "
        "give instances (scale out) or size (scale up)"
    )


@pytest.mark.django_db
def test_the_run_page_gets_the_speed_steps_as_data(alice_client: Client, make_run: Any) -> None:
    body = alice_client.get(make_run().get_absolute_url()).content.decode()
    assert (
        f'<script id="speed-steps" type="application/json">{json.dumps(list(SPEED_STEPS))}' in body
    )
