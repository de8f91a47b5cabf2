"""The runner: pacing, publishing, controls, recording, crashes and idle runs."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer

from sandbox.live.models import Run, RunStatus
from sandbox.live.runner import Runner, RunnerSettings, runner_group, viewers_group

pytestmark = pytest.mark.django_db(transaction=True)

FAST = RunnerSettings(idle_pause_s=60, idle_stop_s=120, flush_ticks=4, flush_s=60)


async def receive(layer: InMemoryChannelLayer, channel: str, kind: str) -> dict[str, Any]:
    """The next message of `kind` on `channel` (others are skipped)."""
    while True:
        message = await asyncio.wait_for(layer.receive(channel), 5)
        if message["type"] == kind:
            return message


async def opened(run: Run, config: RunnerSettings = FAST) -> tuple[Runner, InMemoryChannelLayer]:
    layer = InMemoryChannelLayer()
    runner = Runner(run.pk, layer=layer, config=config)
    await runner.open()
    await layer.group_add(viewers_group(run.pk), "viewer")
    return runner, layer


async def control(runner: Runner, **control: Any) -> None:
    await runner.handle(
        {"type": "runner.control", "control": control, "reply_to": "viewer", "by": "alice"}
    )


@pytest.mark.asyncio
async def test_each_tick_goes_to_the_viewers_group_in_order(make_run: Any) -> None:
    run = await database_sync_to_async(make_run)()
    runner, layer = await opened(run)
    await control(runner, action="start")
    assert (await receive(layer, "viewer", "run.status"))["status"] == "running"
    for _ in range(3):
        await runner.tick()
    ticks = [(await receive(layer, "viewer", "run.frame"))["tick"] for _ in range(3)]
    assert ticks == sorted(ticks)
    assert len(set(ticks)) == 3
    await runner.close()


@pytest.mark.asyncio
async def test_a_refused_control_answers_only_its_sender(make_run: Any) -> None:
    run = await database_sync_to_async(make_run)()
    runner, layer = await opened(run)
    await control(runner, action="start")
    await control(runner, action="fail", target="no-such-node")
    error = await receive(layer, "viewer", "run.error")
    assert error["action"] == "fail"
    assert error["error"].startswith("fail: ")
    assert runner.session.status == RunStatus.RUNNING
    await runner.close()


@pytest.mark.asyncio
async def test_a_joining_viewer_gets_the_frames_it_lacks(make_run: Any) -> None:
    run = await database_sync_to_async(make_run)()
    runner, layer = await opened(run)
    await control(runner, action="start")
    ticks = [(await runner.tick()).tick for _ in range(4)]
    await runner.handle({"type": "runner.sync", "reply_to": "late", "since": ticks[1]})
    sync = await receive(layer, "late", "run.sync")
    assert sync["series"]["tick"] == ticks[2:]
    assert sync["frame"]["tick"] == ticks[-1]
    assert sync["state"]["status"] == "running"
    assert "late" in runner.viewers
    await runner.close()


@pytest.mark.asyncio
async def test_a_paced_run_keeps_its_schedule_and_is_recorded(make_run: Any) -> None:
    run = await database_sync_to_async(make_run)(scenario={"duration_s": 10}, speed=50.0)
    runner, layer = await opened(run)
    await control(runner, action="start")
    started = time.monotonic()
    await runner.loop()
    elapsed = time.monotonic() - started
    await runner.finish(runner.session.status, runner.session.reason)
    # 10 ticks of 1 s at 50x: 0.2 s of real time, give or take a loaded machine.
    assert 0.15 <= elapsed < 2.0
    assert runner.schedule.paced_ticks == 10
    ended = await receive(layer, "viewer", "run.ended")
    assert ended["status"] == "finished"
    assert ended["summary"] is not None
    run = await database_sync_to_async(Run.objects.get)(pk=run.pk)
    assert run.status == RunStatus.FINISHED
    assert run.ticks == 10
    assert run.report["summary"] == ended["summary"]
    series = await database_sync_to_async(run.recorded_series)()
    assert len(series["t"]) == 10
    frames = await database_sync_to_async(run.recorded_frames)()
    assert [f["tick"] for f in frames] == series["tick"]
    assert frames[-1]["tick"] == runner.session.last_tick


@pytest.mark.asyncio
async def test_a_crash_fails_the_run_and_tells_the_viewers(make_run: Any) -> None:
    run = await database_sync_to_async(make_run)(speed=50.0)
    layer = InMemoryChannelLayer()
    await layer.group_add(viewers_group(run.pk), "viewer")
    runner = Runner(run.pk, layer=layer, config=FAST)
    task = asyncio.create_task(runner.run())
    while runner.session is None:
        await asyncio.sleep(0.01)

    def explode() -> None:
        raise RuntimeError("boom at tick 3")

    runner.session.engine.step = explode
    await layer.send(
        runner.channel,
        {
            "type": "runner.control",
            "control": {"action": "start"},
            "reply_to": "viewer",
            "by": "alice",
        },
    )
    await asyncio.wait_for(task, 5)
    ended = await receive(layer, "viewer", "run.ended")
    assert ended["status"] == "failed"
    assert "RuntimeError: boom at tick 3" in ended["reason"]
    run = await database_sync_to_async(Run.objects.get)(pk=run.pk)
    assert run.status == RunStatus.FAILED
    assert "boom at tick 3" in run.failure_reason
    assert run.ended_at is not None


@pytest.mark.asyncio
async def test_a_run_that_cannot_load_fails_with_the_reason(make_run: Any) -> None:
    run = await database_sync_to_async(make_run)()
    await database_sync_to_async(Run.objects.filter(pk=run.pk).update)(scenario={"bogus": 1})
    layer = InMemoryChannelLayer()
    await layer.group_add(viewers_group(run.pk), "viewer")
    await asyncio.wait_for(Runner(run.pk, layer=layer, config=FAST).run(), 10)
    ended = await receive(layer, "viewer", "run.ended")
    assert ended["status"] == "failed"
    assert ended["reason"].startswith("could not start: ")
    run = await database_sync_to_async(Run.objects.get)(pk=run.pk)
    assert run.status == RunStatus.FAILED


@pytest.mark.asyncio
async def test_a_run_nobody_watches_pauses_then_stops(make_run: Any) -> None:
    run = await database_sync_to_async(make_run)(speed=5.0)
    idle = RunnerSettings(idle_pause_s=0.3, idle_stop_s=1.2, flush_ticks=50, flush_s=60)
    runner, layer = await opened(run, idle)
    await runner.handle({"type": "runner.sync", "reply_to": "viewer", "since": -1})
    await control(runner, action="start")
    await runner.handle({"type": "runner.leave", "reply_to": "viewer"})
    loop = asyncio.create_task(runner.loop())
    status = await receive(layer, "viewer", "run.status")
    while status["status"] != "paused":
        status = await receive(layer, "viewer", "run.status")
    assert status["reason"] == "paused: nobody is watching"
    await asyncio.wait_for(loop, 5)
    assert runner.session.status == RunStatus.STOPPED
    assert runner.session.reason == "stopped: nobody was watching"
    await runner.close()


@pytest.mark.asyncio
async def test_a_returning_viewer_resumes_an_idle_paused_run(make_run: Any) -> None:
    run = await database_sync_to_async(make_run)()
    runner, layer = await opened(run)
    await control(runner, action="start")
    runner.session.pause_idle()
    await runner.handle({"type": "runner.sync", "reply_to": "viewer", "since": -1})
    assert runner.session.status == RunStatus.RUNNING
    assert (await receive(layer, "viewer", "run.status"))["status"] == "running"
    await runner.close()


@pytest.mark.asyncio
async def test_stop_ends_the_loop_with_the_owner_named(make_run: Any) -> None:
    run = await database_sync_to_async(make_run)(speed=20.0)
    runner, layer = await opened(run)
    await control(runner, action="start")
    loop = asyncio.create_task(runner.loop())
    await receive(layer, "viewer", "run.frame")
    await layer.send(
        runner.channel,
        {
            "type": "runner.control",
            "control": {"action": "stop"},
            "reply_to": "viewer",
            "by": "alice",
        },
    )
    await asyncio.wait_for(loop, 5)
    await runner.finish(runner.session.status, runner.session.reason)
    ended = await receive(layer, "viewer", "run.ended")
    assert (ended["status"], ended["reason"]) == ("stopped", "stopped by alice")
    run = await database_sync_to_async(Run.objects.get)(pk=run.pk)
    assert run.status == RunStatus.STOPPED
    assert run.ticks == runner.session.ticks > 0


@pytest.mark.asyncio
async def test_controls_reach_the_runner_through_its_group(make_run: Any) -> None:
    run = await database_sync_to_async(make_run)()
    runner, layer = await opened(run)
    await layer.group_send(
        runner_group(run.pk),
        {
            "type": "runner.control",
            "reply_to": "viewer",
            "control": {"action": "start"},
            "by": "alice",
        },
    )
    message = await asyncio.wait_for(runner._inbox.get(), 5)
    await runner.handle(message)
    assert runner.session.status == RunStatus.RUNNING
    await runner.close()


@pytest.mark.asyncio
async def test_an_unpaced_run_publishes_less_but_never_an_event_or_the_end(
    make_run: Any,
) -> None:
    scenario = {"duration_s": 200, "faults": [{"at": 100, "target": "web-1", "action": "fail"}]}
    run = await database_sync_to_async(make_run)(scenario=scenario, speed=0.0)
    slow_viewers = RunnerSettings(
        idle_pause_s=60, idle_stop_s=120, flush_ticks=50, flush_s=60, publish_interval=10.0
    )
    runner, layer = await opened(run, slow_viewers)
    await control(runner, action="start")
    await receive(layer, "viewer", "run.status")
    await runner.loop()
    published = []
    while True:
        message = await asyncio.wait_for(layer.receive("viewer"), 5)
        if message["type"] == "run.alive":
            continue  # the runner's heartbeat
        frame = json.loads(message["text"])["frame"]
        assert frame["tick"] == message["tick"]
        assert frame["events"] == message["events"]
        published.append(frame)
        if message["tick"] == runner.session.last_tick:
            break
    assert runner.session.ticks == 200
    assert len(published) < 10
    assert any(e["component"] == "web-1" for f in published for e in f["events"])
    assert published[0]["tick"] == 1
    await runner.close()  # let the background save end before the test's database is reset


def test_a_short_stall_is_made_up_and_a_long_one_restarts_the_schedule() -> None:
    now = [0.0]
    runner = Runner("00000000-0000-0000-0000-000000000000", layer=InMemoryChannelLayer(),
                    config=FAST, clock=lambda: now[0])  # fmt: skip
    runner.session = type("Paced", (), {"tick_s": 1.0, "speed": 10.0})()
    now[0] = 0.35  # due at 0.0, so 0.35 s late: the next is still due at 0.1
    assert runner._keep_schedule(0.0) == pytest.approx(0.1)
    assert runner.schedule.resyncs == 0
    now[0] = 5.0  # 4.9 s late: start afresh from now
    assert runner._keep_schedule(0.1) == pytest.approx(5.1)
    assert runner.schedule.resyncs == 1
    assert runner.schedule.late_ticks == 2


@pytest.mark.asyncio
async def test_a_controls_events_go_out_at_once_and_not_again_with_the_next_frame(
    make_run: Any,
) -> None:
    run = await database_sync_to_async(make_run)()
    runner, layer = await opened(run)
    await control(runner, action="start")
    await runner.tick()
    await control(runner, action="pause")
    await control(runner, action="fail", target="web-1")
    event = await receive(layer, "viewer", "run.event")
    assert (event["event"]["component"], event["event"]["kind"]) == ("web-1", "failed")
    assert event["seq"] == 0
    await control(runner, action="resume")
    await runner.tick()
    message = await receive(layer, "viewer", "run.frame")
    assert message["events"] == []
    frame = json.loads(message["text"])["frame"]
    assert frame["events"] == [event["event"]], "the frame itself lists its tick's events"
    await runner.close()


@pytest.mark.asyncio
async def test_a_run_stops_at_its_recording_limit_with_a_message(make_run: Any) -> None:
    run = await database_sync_to_async(make_run)(scenario={"duration_s": 20_000}, speed=0.0)
    tiny = RunnerSettings(
        idle_pause_s=60,
        idle_stop_s=120,
        flush_ticks=20,
        flush_s=60,
        publish_interval=10.0,
        max_recording_bytes=1_024,
    )
    runner, layer = await opened(run, tiny)
    await control(runner, action="start")
    while runner.session.ticking:
        await runner.tick()
        if runner.recorder.saving is not None:
            # Each chunk saved before the next tick, as on a calm server.
            await runner.recorder.saving
    await runner.finish(runner.session.status, runner.session.reason)
    ended = await receive(layer, "viewer", "run.ended")
    assert (ended["status"], ended["reason"]) == (
        "stopped",
        "stopped: this run reached its limit of 0.000976562 MB of recording; "
        "export it or start a new one",
    )
    assert 1_024 <= runner.recorded_bytes < 2 * 1_024, "it stops at the first chunk past it"
    assert runner.session.ticks < 20_000


@pytest.mark.asyncio
async def test_chunks_are_compressed_and_hold_every_ticks_numbers(make_run: Any) -> None:
    run = await database_sync_to_async(make_run)(scenario={"duration_s": 100}, speed=0.0)
    runner, _ = await opened(run, RunnerSettings(60, 120, 25, 60, publish_interval=10.0))
    await control(runner, action="start")
    await asyncio.wait_for(runner.loop(), 10)
    await runner.finish(runner.session.status, runner.session.reason)
    chunks = await database_sync_to_async(list)(run.chunks.order_by("first_tick"))
    assert chunks[0].first_tick == 1
    series = await database_sync_to_async(run.recorded_series)()
    assert series["tick"] == list(range(1, 101))
    # Every frame is there (a small design), in a few hundred bytes a tick.
    frames = await database_sync_to_async(run.recorded_frames_between)(1, 100)
    assert [f["tick"] for f in frames] == series["tick"]
    assert sum(c.nbytes for c in chunks) / 100 < 500


@pytest.mark.asyncio
async def test_a_run_stopped_during_its_warm_up_tells_its_viewers_what_its_numbers_cover(
    make_run: Any,
) -> None:
    """Stopped at 12 s of a 30-s warm-up: the summary has the run's numbers, not zeros,
    and `ended` says so in a sentence with those seconds."""
    run = await database_sync_to_async(make_run)(scenario={"duration_s": 600, "warmup_s": 30})
    runner, layer = await opened(run)
    await control(runner, action="start")
    for _ in range(12):
        await runner.tick()
    await control(runner, action="stop")
    await runner.finish(runner.session.status, runner.session.reason)
    ended = await receive(layer, "viewer", "run.ended")
    assert ended["status"] == "stopped"
    assert ended["warmup_cut_short"] is True
    assert ended["summary_note"] == (
        "The run ended at 12 s, before its 30-s warm-up was over: "
        "these numbers cover the whole run, warm-up included."
    )
    assert ended["summary"]["offered_rps"] > 0
    run = await database_sync_to_async(Run.objects.get)(pk=run.pk)
    assert run.report["warmup_cut_short"] is True
    assert run.report["summary"] == ended["summary"]
