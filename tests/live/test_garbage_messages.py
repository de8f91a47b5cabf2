"""Garbage on the run socket gets an `error` frame naming what is wrong, and the run goes on:
the same connection still steers it."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from channels_redis.serializers import registry
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.live.models import RunStatus
from sandbox.live.protocol import (
    ACTIONS,
    MAX_INSTANCES,
    MAX_MESSAGE_BYTES,
    MAX_RPS,
    SpeedLimits,
    parse_message,
)
from sandbox.live.session import RunSession
from sandbox.live.wire import FrameCodec
from sandbox.models import ShareLink
from simulation import ControlError, Engine, validate_scenario
from tests.garbage import NASTY_TEXT, broken, json_values
from tests.live.conftest import connect, frames, live_runner, next_of, two_web_servers

LIMITS = SpeedLimits(max_speed=100, allow_unpaced=True)

# Text within the size limit that Python's json module cannot decode.
UNREADABLE_JSON = [
    pytest.param("[" * 4000, "nested too deeply", id="nested-too-deeply"),
    pytest.param('{"action": "scale", "target": "w", "instances": [[[[' + "[" * 3000, "nested",
                 id="nested-in-a-field"),
]  # fmt: skip


async def starts_and_runs(comm: WebsocketCommunicator) -> None:
    """After the garbage, the same connection starts the run and frames arrive."""
    await comm.send_json_to({"action": "start"})
    assert (await next_of(comm, "status"))["status"] == "running"
    assert len(await frames(comm, 2)) == 2
    await comm.disconnect()


@pytest.mark.parametrize(("text", "fragment"), UNREADABLE_JSON)
def test_json_the_parser_cannot_read_is_a_protocol_error(text: str, fragment: str) -> None:
    assert len(text.encode()) <= MAX_MESSAGE_BYTES
    with pytest.raises(ControlError, match=f"^message: not valid JSON .*{fragment}"):
        parse_message(text, LIMITS)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_json_the_parser_cannot_read_gets_an_error_frame_and_the_run_goes_on(
    make_run: Any, alice: Any
) -> None:
    run = await database_sync_to_async(make_run)(speed=20.0)
    async with live_runner(run):
        comm = await connect(run, alice)
        await next_of(comm, "hello")
        for param in UNREADABLE_JSON:
            text, fragment = param.values
            await comm.send_to(text_data=text)
            error = await next_of(comm, "error")
            assert error["error"].startswith("message: not valid JSON")
            assert fragment in error["error"]
        await starts_and_runs(comm)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_since_that_cannot_be_a_tick_is_ignored(make_run: Any, alice: Any) -> None:
    """A viewer reconnecting `?since=` garbage is greeted as a new one and gets frames."""
    run = await database_sync_to_async(make_run)(speed=20.0)
    async with live_runner(run):
        for n, since in enumerate(["abc", "-5", "1e3", "9" * 30, "9" * 5000, "%00", str(2**31)]):
            comm = await connect(run, alice, f"since={since}")
            hello = await next_of(comm, "hello")
            assert hello["series"]["tick"][:1] in ([], [1]), "its charts start at the start"
            if n == 0:
                await comm.send_json_to({"action": "start"})
            assert len(await frames(comm, 1)) == 1
            await comm.disconnect()


# A lone surrogate escaped in JSON, and other text no component id holds.
NOT_AN_ID = ["\ud800", "web-1\udfff", "\x00", "web-1\n", "\u202e"]


@pytest.mark.parametrize("target", NOT_AN_ID)
@pytest.mark.parametrize("action", ["fail", "recover", "scale", "set_rate"])
def test_a_target_no_id_can_be_is_a_protocol_error(action: str, target: str) -> None:
    text = json.dumps({"action": action, "target": target, "instances": 2, "rps": 10})
    with pytest.raises(ControlError, match=f"^{action}.target: must be a component id"):
        parse_message(text, LIMITS)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_target_no_id_can_be_gets_an_error_frame_and_the_run_goes_on(
    make_run: Any, alice: Any
) -> None:
    """Also through Redis, which cannot pack a lone surrogate."""
    run = await database_sync_to_async(make_run)(speed=20.0)
    async with live_runner(run):
        comm = await connect(run, alice)
        await next_of(comm, "hello")
        for target in NOT_AN_ID:
            await comm.send_to(text_data=json.dumps({"action": "fail", "target": target}))
            error = await next_of(comm, "error")
            assert error["error"].startswith("fail.target: must be a component id")
        await starts_and_runs(comm)


@pytest.mark.parametrize("text", ["\ud800", '{"action": "fail", "target": "web-1\udfff"}'])
def test_a_lone_surrogate_in_the_text_itself_is_a_protocol_error(text: str) -> None:
    """No server passes one on (a text frame must be UTF-8), but the parser refuses it."""
    with pytest.raises(ControlError, match=r"^(message|fail\.target): "):
        parse_message(text, LIMITS)


# == every message, with garbage of every kind =============================================

# The parser is pure and fast: it gets many examples.
MANY = settings(max_examples=300, deadline=None)

# A protocol error names the whole message, the action, or one field of an action.
NAMED = re.compile(rf"^(message|action|({'|'.join(ACTIONS)})\.\w+): ")

VALID_CONTROLS = [
    {"action": "start"},
    {"action": "pause"},
    {"action": "resume"},
    {"action": "stop"},
    {"action": "speed", "value": 10},
    {"action": "speed", "value": "max"},
    {"action": "set_rate", "target": "users", "rps": 200},
    {"action": "fail", "target": "web-1"},
    {"action": "recover", "target": "web-1"},
    {"action": "scale", "target": "web-1", "instances": 3},
]

# What passes goes on to the runner through the channel layer: Redis packs it with msgpack.
REDIS = registry.get_serializer("msgpack")


def outcome(text: str) -> None:
    """parse_message gives a control the runner can take, or a ControlError naming the
    field; nothing else."""
    try:
        control = parse_message(text, LIMITS)
    except ControlError as error:
        control, refused = {}, str(error)
    if not control:
        assert NAMED.match(refused), refused
        return
    assert control["action"] in ACTIONS
    if "target" in control:
        assert isinstance(control["target"], str)
        assert control["target"].isprintable()
    if "instances" in control:
        assert type(control["instances"]) is int
        assert 1 <= control["instances"] <= MAX_INSTANCES
    for name, high in (("rps", MAX_RPS), ("value", LIMITS.max_speed)):
        if name in control:
            assert type(control[name]) is float
            assert math.isfinite(control[name])
            assert 0 <= control[name] <= high
    REDIS.serialize({"type": "runner.control", "control": control, "by": "alice"})


@MANY
@given(text=st.text() | st.sampled_from(NASTY_TEXT))
def test_any_text_is_a_control_or_an_error_naming_the_field(text: str) -> None:
    outcome(text)


@MANY
@given(value=json_values)
def test_any_json_is_a_control_or_an_error_naming_the_field(value: Any) -> None:
    outcome(json.dumps(value))


@MANY
@given(message=st.sampled_from(VALID_CONTROLS).flatmap(broken))
def test_any_broken_control_is_a_control_or_an_error_naming_the_field(message: Any) -> None:
    outcome(json.dumps(message))


@MANY
@given(message=st.sampled_from(VALID_CONTROLS).flatmap(broken))
def test_a_control_that_passes_is_applied_or_refused_and_the_run_goes_on(message: Any) -> None:
    """What the runner does with it: the session applies it or raises ControlError."""
    try:
        control = parse_message(json.dumps(message), LIMITS)
    except ControlError:
        return
    document = two_web_servers()
    session = RunSession(
        Engine(document, validate_scenario({"duration_s": 60}, document), seed=1),
        codec=FrameCodec(document),
        tick_s=1.0,
        speed=1.0,
    )
    session.control({"action": "start"})
    tick = session.step()["tick"]
    refused = ""
    try:
        session.control(control, by="alice")
    except ControlError as error:
        refused = str(error)
    assert not refused or refused.startswith(f"{control['action']}: ")
    if session.status == RunStatus.RUNNING:
        assert session.step()["tick"] == tick + 1


# Fields of every wrong kind, by action and field: none of them may pass.
WRONG = {
    "target": [None, True, 1, "", [], {}, ["web-1"], {"id": "web-1"}, "x" * 101, "\ud800"],
    "rps": [None, True, "200", [], {}, -1, math.nan, math.inf, MAX_RPS * 10],
    "instances": [None, True, "3", [], {}, 2.5, 0, MAX_INSTANCES + 1, 10**30],
    "value": [None, True, "10", [], {}, 0.5, 10**9, math.nan, -math.inf, "MAX"],
}
FIELDS = {"speed": ["value"], "set_rate": ["target", "rps"], "fail": ["target"],
          "recover": ["target"], "scale": ["target", "instances"]}  # fmt: skip


def wrong_controls() -> list[str]:
    """Every action with fields, each field missing or of every wrong kind in turn."""
    out = []
    for control in VALID_CONTROLS:
        for name in FIELDS.get(control["action"], ()):
            out.append(json.dumps({k: v for k, v in control.items() if k != name}))
            out += [json.dumps({**control, name: value}) for value in WRONG[name]]
    return out


NOT_CONTROLS = [
    # not JSON
    "", " ", "{oops", "nul\x00", "'single'", "\ufeff{}", '{"action": "start"',
    # JSON, not an object
    "[]", "1", "null", '"start"', "true", "NaN", '[{"action": "start"}]',
    # no action, or one that is not listed
    "{}", '{"type": "start"}', '{"action": ""}', '{"action": "START"}',
    '{"action": "__class__"}', '{"action": "runner.control"}', '{"action": "x' + "x" * 200 + '"}',
    '{"action": 1}', '{"action": null}', '{"action": []}', '{"action": {}}', '{"action": true}',
    # too big
    "x" * (MAX_MESSAGE_BYTES + 1),
    json.dumps({"action": "fail", "target": "web-1", "why": "x" * MAX_MESSAGE_BYTES}),
    "[" + "1," * 500_000 + "1]",
    *wrong_controls(),
]  # fmt: skip


def test_none_of_the_garbage_is_a_control() -> None:
    """The consumer tests below count on an error for every one of these."""
    for text in NOT_CONTROLS:
        with pytest.raises(ControlError):
            parse_message(text, LIMITS)


async def errors_for(comm: WebsocketCommunicator, texts: list[str]) -> list[str]:
    """Send each text; return the error frame answering each (nothing else may come)."""
    errors = []
    for text in filter(None, texts):  # the test communicator cannot send an empty frame
        await comm.send_to(text_data=text)
        message = await comm.receive_json_from(timeout=5)
        assert message["type"] == "error", (text[:80], message)
        errors.append(message["error"])
    return errors


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_every_kind_of_garbage_gets_an_error_frame_and_the_run_goes_on(
    make_run: Any, alice: Any
) -> None:
    run = await database_sync_to_async(make_run)(speed=20.0)
    async with live_runner(run):
        comm = await connect(run, alice)
        await next_of(comm, "hello")
        errors = await errors_for(comm, NOT_CONTROLS)
        assert all(NAMED.match(error) for error in errors)
        for data in (b"\x00\xff", b'{"action": "start"}'):
            await comm.send_to(bytes_data=data)
            error = await next_of(comm, "error")
            assert error["error"].startswith("message: must be a JSON text frame")
        await starts_and_runs(comm)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_well_formed_controls_the_run_refuses_get_error_frames_and_it_goes_on(
    make_run: Any, alice: Any, settings: Any
) -> None:
    """The runner's and the engine's refusals name the action, and the run goes on."""
    settings.LIVE_CONTROL_BURST = 100
    refused = [
        {"action": "fail", "target": "ghost"},
        {"action": "recover", "target": "x" * 100},
        {"action": "scale", "target": "web-1 ", "instances": 2},
        {"action": "set_rate", "target": "db", "rps": 10},
        {"action": "start"},
        {"action": "resume"},
    ]
    run = await database_sync_to_async(make_run)(speed=20.0)
    async with live_runner(run):
        comm = await connect(run, alice)
        await next_of(comm, "hello")
        await comm.send_json_to({"action": "start"})
        assert (await next_of(comm, "status"))["status"] == "running"
        for control in refused:
            await comm.send_json_to(control)
            error = await next_of(comm, "error")
            assert error["error"].startswith(f"{control['action']}: "), error
            assert error["action"] == control["action"]
        assert len(await frames(comm, 2)) == 2
        await comm.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_viewers_garbage_gets_error_frames_too(make_run: Any, alice: Any, bob: Any) -> None:
    run = await database_sync_to_async(make_run)(speed=20.0)
    link = await database_sync_to_async(ShareLink.objects.create)(design=run.revision.design)
    async with live_runner(run):
        comm = await connect(run, bob, f"token={link.token}")
        await next_of(comm, "hello")
        errors = await errors_for(comm, [*NOT_CONTROLS[:10], json.dumps({"action": "stop"})])
        assert all(NAMED.match(error) for error in errors[:-1])
        assert errors[-1] == "stop: only the run's owner can"
        await comm.disconnect()
