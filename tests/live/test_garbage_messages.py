"""Garbage on the run socket gets an `error` frame naming what is wrong, and the run goes on:
the same connection still steers it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async

from sandbox.live.protocol import MAX_MESSAGE_BYTES, ProtocolError, SpeedLimits, parse_message
from tests.live.conftest import connect, frames, live_runner, next_of

LIMITS = SpeedLimits(max_speed=100, allow_unpaced=True)

# Text within the size limit that Python's json module cannot decode.
UNREADABLE_JSON = [
    pytest.param("[" * 4000, "nested too deeply", id="nested-too-deeply"),
    pytest.param('{"action": "scale", "target": "w", "instances": [[[[' + "[" * 3000, "nested",
                 id="nested-in-a-field"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "fragment"), UNREADABLE_JSON)
def test_json_the_parser_cannot_read_is_a_protocol_error(text: str, fragment: str) -> None:
    assert len(text.encode()) <= MAX_MESSAGE_BYTES
    with pytest.raises(ProtocolError, match=f"^message: not valid JSON .*{fragment}"):
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
        await comm.send_json_to({"action": "start"})
        assert (await next_of(comm, "status"))["status"] == "running"
        assert len(await frames(comm, 2)) == 2
        await comm.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_since_that_cannot_be_a_tick_is_ignored(make_run: Any, alice: Any) -> None:
    """A viewer reconnecting `?since=` garbage is greeted as a new one and gets frames."""
    run = await database_sync_to_async(make_run)(speed=20.0)
    async with live_runner(run):
        for n, since in enumerate(["abc", "-5", "1e3", "9" * 30, "9" * 5000, "%00", str(2**31)]):
            comm = await connect(run, alice, f"since={since}")
            hello = await next_of(comm, "hello")
            assert "design" in hello
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
    with pytest.raises(ProtocolError, match=f"^{action}.target: must be a component id"):
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
        await comm.send_json_to({"action": "start"})
        assert (await next_of(comm, "status"))["status"] == "running"
        assert len(await frames(comm, 2)) == 2
        await comm.disconnect()


@pytest.mark.parametrize("text", ["\ud800", '{"action": "fail", "target": "web-1\udfff"}'])
def test_a_lone_surrogate_in_the_text_itself_is_a_protocol_error(text: str) -> None:
    """No server passes one on (a text frame must be UTF-8), but the parser refuses it."""
    with pytest.raises(ProtocolError, match=r"^(message|fail\.target): "):
        parse_message(text, LIMITS)
