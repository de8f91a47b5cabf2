"""The run socket `/ws/runs/<id>/` through the real ASGI application (auth, origin, routing)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sandbox.asgi import application
from sandbox.live.models import Run
from sandbox.live.runner import Runner, runner_group, viewers_group
from sandbox.live.wire import FrameCodec, compact_columns, decode
from sandbox.models import Design, ShareLink
from simulation import validate_document
from tests.live.conftest import (
    CODEC,
    HOST,
    ORIGIN,
    connect,
    frames,
    live_runner,
    next_of,
    refusal,
    session_headers,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.asyncio
async def test_the_owner_starts_the_run_and_frames_arrive_in_order(
    make_run: Any, alice: Any
) -> None:
    run = await database_sync_to_async(make_run)(speed=20.0)
    async with live_runner(run):
        comm = await connect(run, alice)
        hello = await next_of(comm, "hello")
        assert hello["run"]["status"] == "starting"
        assert hello["run"]["is_owner"] is True
        # The page has them over HTTP: a big design would not fit in one message.
        assert ("design" in hello, "catalog" in hello) == (False, False)
        assert hello["series"]["tick"] == []
        assert hello["frame"] is None
        await comm.send_json_to({"action": "start"})
        assert (await next_of(comm, "status"))["status"] == "running"
        ticks = [f["tick"] for f in await frames(comm, 5)]
        assert ticks == sorted(ticks)
        assert len(set(ticks)) == 5
        await comm.disconnect()


@pytest.mark.asyncio
async def test_failing_a_web_server_changes_the_next_frames(make_run: Any, alice: Any) -> None:
    run = await database_sync_to_async(make_run)(speed=20.0)
    async with live_runner(run):
        comm = await connect(run, alice)
        await next_of(comm, "hello")
        await comm.send_json_to({"action": "start"})
        before = (await frames(comm, 2))[-1]
        assert before["nodes"]["web-1"]["health"] != "down"
        await comm.send_json_to({"action": "fail", "target": "web-1"})
        event = await next_of(comm, "event")
        assert event["event"]["component"] == "web-1"
        after = (await frames(comm, 1))[0]
        assert after["tick"] > before["tick"]
        assert after["nodes"]["web-1"]["health"] == "down"
        await comm.disconnect()


@pytest.mark.asyncio
async def test_a_viewer_watches_but_cannot_control(make_run: Any, alice: Any, bob: Any) -> None:
    run = await database_sync_to_async(make_run)(speed=20.0)
    link = await database_sync_to_async(ShareLink.objects.create)(design=run.revision.design)
    async with live_runner(run):
        owner = await connect(run, alice)
        await next_of(owner, "hello")
        await owner.send_json_to({"action": "start"})
        viewer = await connect(run, bob, f"token={link.token}")
        hello = await next_of(viewer, "hello")
        assert hello["run"]["is_owner"] is False
        for action in ({"action": "pause"}, {"action": "fail", "target": "web-1"}):
            await viewer.send_json_to(action)
            error = await next_of(viewer, "error")
            assert error["error"] == f"{action['action']}: only the run's owner can"
        later = await frames(viewer, 3)
        assert all(f["nodes"]["web-1"]["health"] != "down" for f in later)
        await viewer.disconnect()
        await owner.disconnect()


@pytest.mark.asyncio
async def test_bad_json_and_unknown_actions_get_error_frames_and_the_run_goes_on(
    make_run: Any, alice: Any
) -> None:
    run = await database_sync_to_async(make_run)(speed=20.0)
    async with live_runner(run):
        comm = await connect(run, alice)
        await next_of(comm, "hello")
        await comm.send_json_to({"action": "start"})
        await frames(comm, 1)
        await comm.send_to(text_data="{oops")
        assert (await next_of(comm, "error"))["error"].startswith("message: not valid JSON")
        await comm.send_json_to({"action": "self_destruct"})
        assert (await next_of(comm, "error"))["error"].startswith(
            "action: unknown action 'self_destruct'"
        )
        await comm.send_json_to({"action": "scale", "target": "web-1", "instances": -3})
        assert (await next_of(comm, "error"))["error"].startswith("scale.instances:")
        await comm.send_to(bytes_data=b"\x00\x01")
        assert (await next_of(comm, "error"))["error"].startswith("message: must be a JSON text")
        await comm.send_json_to({"action": "fail", "target": "nowhere"})
        assert (await next_of(comm, "error"))["error"].startswith("fail: ")
        assert len(await frames(comm, 2)) == 2
        await comm.disconnect()


@pytest.mark.asyncio
async def test_unauthenticated_connections_are_refused(make_run: Any) -> None:
    """Accepted, told why, then closed with 4401: a browser sees the code (a refused
    handshake reaches it as 1006, like a dropped connection, and it would retry)."""
    run = await database_sync_to_async(make_run)()
    comm = WebsocketCommunicator(application, f"/ws/runs/{run.pk}/", headers=[ORIGIN, HOST])
    assert await refusal(comm) == (4401, "Sign in to watch this run.")


@pytest.mark.asyncio
async def test_connections_from_another_origin_are_refused(make_run: Any, alice: Any) -> None:
    run = await database_sync_to_async(make_run)()
    headers = await database_sync_to_async(session_headers)(alice)
    headers = [(b"origin", b"http://evil.example")] + [h for h in headers if h[0] != b"origin"]
    comm = WebsocketCommunicator(application, f"/ws/runs/{run.pk}/", headers=headers)
    connected, _ = await comm.connect(timeout=5)
    assert connected is False


@pytest.mark.asyncio
async def test_others_cannot_watch_a_private_design_run(make_run: Any, bob: Any) -> None:
    run = await database_sync_to_async(make_run)()
    headers = await database_sync_to_async(session_headers)(bob)
    comm = WebsocketCommunicator(application, f"/ws/runs/{run.pk}/", headers=headers)
    code, error = await refusal(comm)
    assert code == 4403
    assert error.startswith("You do not have access to this run")


@pytest.mark.asyncio
async def test_a_late_joiner_catches_up_then_follows_live(make_run: Any, alice: Any) -> None:
    run = await database_sync_to_async(make_run)(speed=20.0)
    async with live_runner(run):
        first = await connect(run, alice)
        await next_of(first, "hello")
        await first.send_json_to({"action": "fail", "target": "web-2"})
        await first.send_json_to({"action": "start"})
        seen = await frames(first, 6)
        late = await connect(run, alice)
        hello = await next_of(late, "hello")
        caught_up = hello["series"]["tick"]
        assert {f["tick"] for f in seen} <= set(caught_up)
        assert caught_up == list(range(caught_up[0], caught_up[0] + len(caught_up)))
        assert len(hello["series"]["throughput_rps"]) == len(caught_up)
        assert decode(CODEC, hello["frame"])["tick"] == caught_up[-1]
        assert any(e["component"] == "web-2" for e in hello["events"])
        following = await frames(late, 2)
        assert following[0]["tick"] == caught_up[-1] + 1
        assert following[1]["tick"] > following[0]["tick"]
        await late.disconnect()
        await first.disconnect()


@pytest.mark.asyncio
async def test_a_reconnecting_viewer_resumes_after_its_last_tick(make_run: Any, alice: Any) -> None:
    """It gets only the ticks after its last one, and decodes them with the design it has."""
    run = await database_sync_to_async(make_run)(speed=20.0)
    async with live_runner(run) as runner:
        first = await connect(run, alice)
        await next_of(first, "hello")
        codec = CODEC
        await first.send_json_to({"action": "start"})
        last = (await frames(first, 4))[-1]["tick"]
        await first.disconnect()
        again = await connect(run, alice, query=f"since={last}")
        hello = await next_of(again, "hello")
        assert "design" not in hello
        assert "catalog" not in hello
        ticks = hello["series"]["tick"]
        assert all(tick > last for tick in ticks)
        if ticks:
            assert decode(codec, hello["frame"])["tick"] == ticks[-1]
        following = decode(codec, (await next_of(again, "frame"))["frame"])
        nxt = following["tick"]
        assert nxt == (ticks[-1] + 1 if ticks else nxt)
        assert nxt > last
        made = next(t for t in runner.session.window if t.tick == nxt)
        assert following == decode(codec, json.loads(made.wire))
        assert following["nodes"]["web-1"]["served"] > 0
        await again.disconnect()


@pytest.mark.parametrize("query", ["", "since=-1", "since=oops", "since=0", "since=3"])
@pytest.mark.asyncio
async def test_no_hello_carries_the_design_or_the_catalog(
    make_run: Any, alice: Any, query: str
) -> None:
    """A valid design can be 2 MB, far over what one socket message may hold: the page
    reads it from `design.json` (and needs no catalog), resuming or not."""
    run = await database_sync_to_async(make_run)(status="finished")
    comm = await connect(run, alice, query)
    hello = await next_of(comm, "hello")
    assert ("design" in hello, "catalog" in hello) == (False, False)
    assert (await next_of(comm, "ended"))["status"] == "finished"
    await comm.disconnect()


@pytest.mark.asyncio
async def test_an_ended_run_replays_from_the_recording(make_run: Any, alice: Any) -> None:
    run = await database_sync_to_async(make_run)(scenario={"duration_s": 5}, speed=0.0)
    runner = Runner(run.pk)
    await runner.open()
    await runner.handle(
        {
            "type": "runner.control",
            "control": {"action": "start"},
            "reply_to": "nobody",
            "by": "alice",
        }
    )
    await runner.loop()
    await runner.finish(runner.session.status, runner.session.reason)
    comm = await connect(run, alice)
    hello = await next_of(comm, "hello")
    assert hello["series"]["tick"] == [1, 2, 3, 4, 5]
    assert hello["frame"] == json.loads(runner.session.newest.wire)
    ended = await next_of(comm, "ended")
    assert ended["status"] == "finished"
    assert ended["summary"]["availability"] is not None
    assert (await comm.receive_output(timeout=5))["type"] == "websocket.close"


@pytest.mark.asyncio
async def test_a_viewer_of_a_run_shorter_than_its_warm_up_is_told_what_its_numbers_cover(
    make_run: Any, alice: Any
) -> None:
    """A 5-s run with a 30-s warm-up, watched after its end: `ended` (from the recording)
    carries the flag and the sentence."""
    scenario = {"duration_s": 5, "warmup_s": 30}
    run = await database_sync_to_async(make_run)(scenario=scenario, speed=0.0)
    runner = Runner(run.pk)
    await runner.open()
    await runner.handle(
        {"type": "runner.control", "control": {"action": "start"}, "reply_to": "nobody",
         "by": "alice"}
    )  # fmt: skip
    await runner.loop()
    await runner.finish(runner.session.status, runner.session.reason)
    comm = await connect(run, alice)
    ended = await next_of(comm, "ended")
    assert (ended["status"], ended["warmup_cut_short"]) == ("finished", True)
    assert ended["summary_note"].startswith("The run ended at 5 s, before its 30-s warm-up")
    assert ended["summary"]["served_rps"] > 0
    assert (await comm.receive_output(timeout=5))["type"] == "websocket.close"


@pytest.mark.asyncio
async def test_an_ended_runs_hello_comes_from_its_stored_series_not_its_frames(
    make_run: Any, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading every frame of a long, big run for each viewer would be slow: the charts
    come from the series the runner stored, and only the last chunks' frames are read."""
    run = await database_sync_to_async(make_run)(scenario={"duration_s": 8}, speed=0.0)
    runner = Runner(run.pk)
    await runner.open()
    control = {"type": "runner.control", "reply_to": "nobody", "by": "alice"}
    await runner.handle({**control, "control": {"action": "start"}})
    await runner.loop()
    await runner.finish(runner.session.status, runner.session.reason)
    series = runner.session.series
    newest = json.loads(runner.session.newest.wire)
    from_series = {since: compact_columns(series.rows_after(since), since) for since in (-1, 5)}

    def every_frame(self: Run, since: int = -1, upto: int | None = None) -> Any:
        raise AssertionError("an ended run's hello read all of its frames")

    monkeypatch.setattr(Run, "iter_wire_frames", every_frame)
    for since, query in ((-1, ""), (5, "since=5")):
        comm = await connect(run, alice, query)
        hello = await next_of(comm, "hello")
        assert hello["series"] == from_series[since]
        assert hello["frame"] == newest
        await comm.disconnect()
    comm = await connect(run, alice, f"since={newest['tick']}")
    hello = await next_of(comm, "hello")
    assert hello["series"]["tick"] == []
    assert hello["frame"] is None
    await comm.disconnect()


@pytest.mark.asyncio
async def test_a_viewer_gets_at_most_its_frame_rate(
    make_run: Any, alice: Any, settings: Any
) -> None:
    settings.LIVE_VIEWER_MAX_FPS = 5
    run = await database_sync_to_async(make_run)(scenario={"duration_s": 100000}, speed=0.0)
    async with live_runner(run) as runner:
        comm = await connect(run, alice)
        await next_of(comm, "hello")
        await comm.send_json_to({"action": "start"})
        received = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 1.0
        while loop.time() < deadline:
            if await comm.receive_nothing(timeout=0.02):
                continue
            message = await comm.receive_json_from()
            if message["type"] == "frame":
                received.append(message["frame"]["tick"])
        assert runner.session.last_tick > 20, "the run went on at full speed"
        assert 2 <= len(received) <= 7
        assert received == sorted(received)
        await comm.disconnect()


@pytest.mark.asyncio
async def test_controls_are_rate_limited(make_run: Any, alice: Any, settings: Any) -> None:
    settings.LIVE_CONTROL_RATE = 1
    settings.LIVE_CONTROL_BURST = 3
    run = await database_sync_to_async(make_run)(speed=1.0)
    async with live_runner(run):
        comm = await connect(run, alice)
        await next_of(comm, "hello")
        for _ in range(5):
            await comm.send_json_to({"action": "speed", "value": 2})
        errors = []
        while not await comm.receive_nothing(timeout=0.5):
            message = await comm.receive_json_from()
            if message["type"] == "error":
                errors.append(message["error"])
        assert errors == ["speed: too many controls; at most 1 a second"] * 2
        await comm.disconnect()


@pytest.mark.asyncio
async def test_a_run_whose_server_died_is_shown_as_failed(make_run: Any, alice: Any) -> None:
    long_ago = timezone.now() - timedelta(hours=1)
    run = await database_sync_to_async(make_run)(status="running", heartbeat_at=long_ago)
    comm = await connect(run, alice)
    hello = await next_of(comm, "hello")
    assert hello["run"]["status"] == "failed"
    ended = await next_of(comm, "ended")
    assert (ended["status"], ended["reason"]) == ("failed", "its runner stopped")
    assert (await comm.receive_output(timeout=5))["type"] == "websocket.close"
    await database_sync_to_async(run.refresh_from_db)()
    assert (run.status, run.failure_reason) == ("failed", "its runner stopped")


def many_web_servers(count: int) -> dict[str, Any]:
    """Users -> load balancer -> `count` web servers: a big design for size checks."""
    webs = [{"id": f"web-{i}", "kind": "web_server"} for i in range(count)]
    return validate_document(
        {
            "format": 1,
            "name": "Many web servers",
            "components": [
                {"id": "users", "kind": "client", "params": {"rps": 50 * count}},
                {"id": "lb", "kind": "load_balancer"},
                *webs,
            ],
            "links": [
                {"from": "users", "to": "lb"},
                *({"from": "lb", "to": web["id"]} for web in webs),
            ],
        }
    )


@contextlib.asynccontextmanager
async def paused_after(runner: Runner, ticks: int) -> AsyncIterator[None]:
    """Tick the runner `ticks` more times, pause it, and let it answer viewers meanwhile."""
    message = {"type": "runner.control", "reply_to": "nobody", "by": "alice"}
    action = "start" if runner.session.status == "starting" else "resume"
    await runner.handle({**message, "control": {"action": action}})
    for _ in range(ticks):
        await runner.tick()
    await runner.handle({**message, "control": {"action": "pause"}})
    looping = asyncio.create_task(runner.loop())
    try:
        yield
    finally:
        looping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await looping


async def hello_text(run: Run, user: Any) -> str:
    comm = await connect(run, user)
    async with asyncio.timeout(5):
        while True:
            text = (await comm.receive_output(timeout=5))["text"]
            if json.loads(text)["type"] == "hello":
                await comm.disconnect()
                return text


@pytest.mark.asyncio
async def test_a_late_joiners_hello_does_not_grow_with_the_design_times_the_ticks(
    make_run: Any, alice: Any
) -> None:
    big = await database_sync_to_async(Design.create_with_document)(
        owner=alice, name="Big", document=many_web_servers(200), message="m"
    )
    revision = await database_sync_to_async(big.latest_revision)()
    run = await database_sync_to_async(make_run)(
        revision=revision, scenario={"duration_s": 1000}, speed=0.0
    )
    codec = FrameCodec(revision.document)
    runner = Runner(run.pk)
    await runner.open()
    async with paused_after(runner, 20):
        early = await hello_text(run, alice)
    async with paused_after(runner, 60):
        late = await hello_text(run, alice)
    hello = json.loads(late)
    assert "frames" not in hello
    assert hello["series"]["tick"] == list(range(1, 81))
    assert len(hello["series"]["throughput_rps"]) == 80
    assert hello["frame"] == json.loads(runner.session.newest.wire)
    assert decode(codec, hello["frame"])["tick"] == 80
    frame_bytes = len(json.dumps(hello["frame"]))
    assert frame_bytes > 5000, "one frame of this design is big"
    per_tick = (len(late) - len(early)) / 60
    assert per_tick < 200, f"{per_tick:.0f} bytes more a tick"
    await runner.close()


@pytest.mark.asyncio
async def test_a_late_joiner_scrubs_to_recorded_frames_of_a_paused_run(
    make_run: Any, alice: Any
) -> None:
    run = await database_sync_to_async(make_run)(speed=0.0)
    runner = Runner(run.pk)
    await runner.open()
    async with paused_after(runner, 30):
        await runner.recorder.saving  # pausing saves the frames so far
        hello = json.loads(await hello_text(run, alice))
        client = Client(HTTP_HOST="127.0.0.1")
        await database_sync_to_async(client.force_login)(alice)
        url = reverse("live:run_replay", args=[run.pk])
        response = await database_sync_to_async(client.get)(url, {"from": 5, "to": 9})
    assert hello["series"]["tick"][4:9] == [5, 6, 7, 8, 9]
    scrubbed = [decode(CODEC, f) for f in response.json()["frames"]]
    assert [f["tick"] for f in scrubbed] == [5, 6, 7, 8, 9]
    assert scrubbed[-1]["nodes"]["web-1"]["served"] > 0
    await runner.close()


async def messages_until_quiet(comm: WebsocketCommunicator, quiet: float = 0.5) -> list[dict]:
    received = []
    while not await comm.receive_nothing(timeout=quiet):
        received.append(await comm.receive_json_from())
    return received


@pytest.mark.asyncio
async def test_a_controls_events_reach_every_viewer_while_paused_exactly_once(
    make_run: Any, alice: Any, bob: Any
) -> None:
    run = await database_sync_to_async(make_run)(speed=20.0)
    link = await database_sync_to_async(ShareLink.objects.create)(design=run.revision.design)
    async with live_runner(run):
        owner = await connect(run, alice)
        await next_of(owner, "hello")
        watcher = await connect(run, bob, f"token={link.token}")
        await next_of(watcher, "hello")
        await owner.send_json_to({"action": "start"})
        await frames(owner, 3)
        await owner.send_json_to({"action": "pause"})
        assert (await next_of(owner, "status"))["status"] == "paused"
        await messages_until_quiet(owner)
        await messages_until_quiet(watcher)
        await owner.send_json_to({"action": "fail", "target": "web-1"})
        for comm in (owner, watcher):
            received = await messages_until_quiet(comm)
            assert [m["type"] for m in received] == ["event"], "no frame while paused"
            assert received[0]["event"]["component"] == "web-1"
            assert received[0]["event"]["kind"] == "failed"
        late = await connect(run, bob, f"token={link.token}")
        hello = await next_of(late, "hello")
        assert [e["kind"] for e in hello["events"] if e["component"] == "web-1"] == ["failed"]
        await owner.send_json_to({"action": "resume"})
        for comm in (owner, watcher, late):
            after = []
            async with asyncio.timeout(5):
                while len([m for m in after if m["type"] == "frame"]) < 3:
                    after.append(await comm.receive_json_from())
            assert [m for m in after if m["type"] == "event"] == [], "not again with a frame"
            first = decode(CODEC, next(m for m in after if m["type"] == "frame")["frame"])
            assert first["nodes"]["web-1"]["health"] == "down"
        for comm in (late, watcher, owner):
            await comm.disconnect()


@pytest.mark.asyncio
async def test_an_event_the_hello_already_had_is_not_sent_again(make_run: Any, alice: Any) -> None:
    """A control applied between a viewer joining and the runner's answer: its event
    arrives both in `hello` and as a message; the viewer sees it once."""
    run = await database_sync_to_async(make_run)()
    layer = get_channel_layer()
    runner_channel = await layer.new_channel()
    await layer.group_add(runner_group(run.pk), runner_channel)
    comm = await connect(run, alice)
    sync = await asyncio.wait_for(layer.receive(runner_channel), 5)
    assert sync["type"] == "runner.sync"
    failed = {"t": 3.0, "component": "web-1", "kind": "failed", "text": "web-1 failed"}
    recovered = {"t": 3.0, "component": "web-1", "kind": "recovered", "text": "web-1 back"}
    group = viewers_group(run.pk)
    await layer.group_send(group, {"type": "run.event", "event": failed, "seq": 0})
    state = {"status": "paused", "reason": "", "speed": 1.0, "tick": 3}
    await layer.send(
        sync["reply_to"],
        {"type": "run.sync", "series": {"tick": [], "t": []}, "frame": None,
         "events": [failed], "event_count": 1, "state": state},
    )  # fmt: skip
    hello = await next_of(comm, "hello")
    assert hello["events"] == [failed]
    await layer.group_send(group, {"type": "run.event", "event": recovered, "seq": 1})
    assert await messages_until_quiet(comm) == [{"type": "event", "event": recovered}]
    await comm.disconnect()
