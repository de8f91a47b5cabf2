"""A live run's record: loading it, saving its progress and end, reading it back."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from sandbox.live import persistence
from sandbox.live.models import Run, RunStatus
from sandbox.live.persistence import (
    Recorder,
    is_live,
    load_recording,
    load_run,
    save_end,
    save_progress,
)
from sandbox.live.session import RunSession
from sandbox.live.wire import FrameCodec
from simulation import Engine

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def running_session(run: Run) -> RunSession:
    document = run.revision.document
    session = RunSession(
        Engine(document, run.scenario, seed=run.seed),
        codec=FrameCodec(document),
        tick_s=1.0,
        speed=run.speed,
    )
    session.control({"action": "start"})
    return session


async def run_and_session(make_run: Any, **fields: Any) -> tuple[Run, RunSession]:
    run = await database_sync_to_async(make_run)(**fields)
    run = await load_run(run.pk)
    return run, running_session(run)


def recorder(run: Run, session: RunSession, **options: Any) -> tuple[Recorder, Clock]:
    clock = Clock()
    values = {"flush_ticks": 4, "flush_s": 10.0, "max_bytes": 2**20, **options}
    return Recorder(str(run.pk), session, clock=clock, **values), clock


@database_sync_to_async
def stored(run: Run) -> Run:
    return Run.objects.get(pk=run.pk)


@database_sync_to_async
def chunk_starts(run: Run) -> list[int]:
    return list(run.chunks.values_list("first_tick", flat=True))


async def test_loading_a_run_brings_its_revision(make_run: Any) -> None:
    run = await database_sync_to_async(make_run)()
    loaded = await load_run(run.pk)
    assert loaded.pk == run.pk
    assert "revision" in loaded._state.fields_cache


async def test_progress_is_one_chunk_plus_the_runs_state(make_run: Any) -> None:
    """Saving ticks appends one chunk of them and records the status, the tick count and
    the speed; a running run gets its start time once."""
    run, session = await run_and_session(make_run)
    for _ in range(3):
        session.step()
    ticks = session.take_unsaved()
    state = {"status": session.status, "ticks": session.ticks, "speed": 4.0}
    size = await save_progress(run.pk, ticks, [True] * 3, state)
    saved = await stored(run)
    assert (saved.status, saved.ticks, saved.speed) == (RunStatus.RUNNING, 3, 4.0)
    assert saved.started_at is not None
    assert saved.heartbeat_at is not None
    assert await chunk_starts(run) == [1]
    chunk = await database_sync_to_async(lambda: saved.chunks.get())()
    assert size == chunk.nbytes > 0
    started = saved.started_at
    await save_progress(run.pk, [], [], state)
    assert (await stored(run)).started_at == started


async def test_progress_does_not_revive_a_run_swept_as_failed(make_run: Any) -> None:
    run = await database_sync_to_async(make_run)(status=RunStatus.FAILED)
    state = {"status": RunStatus.RUNNING, "ticks": 5, "speed": 1.0}
    assert await save_progress(run.pk, [], [], state) == 0
    saved = await stored(run)
    assert (saved.status, saved.ticks) == (RunStatus.FAILED, 0)


async def test_the_end_records_status_reason_report_ticks_and_events(make_run: Any) -> None:
    run, session = await run_and_session(make_run)
    session.step()
    session.events.append({"kind": "note"})
    report = {"summary": {"served": 1}, "checks": []}
    await save_end(run.pk, session, RunStatus.STOPPED, "stopped by alice", report)
    saved = await stored(run)
    assert (saved.status, saved.failure_reason, saved.report) == (
        RunStatus.STOPPED,
        "stopped by alice",
        report,
    )
    assert (saved.ticks, saved.events) == (1, [{"kind": "note"}])
    assert saved.ended_at is not None


async def test_a_finished_run_keeps_no_reason_and_a_runless_end_keeps_its_ticks(
    make_run: Any,
) -> None:
    """Without a session (the run never started) only the end is recorded."""
    run = await database_sync_to_async(make_run)(ticks=7)
    await save_end(run.pk, None, RunStatus.FINISHED, "ignored", None)
    saved = await stored(run)
    assert (saved.status, saved.failure_reason, saved.ticks) == (RunStatus.FINISHED, "", 7)


async def test_the_recorder_saves_when_enough_ticks_wait_or_when_forced(make_run: Any) -> None:
    """Fewer than `flush_ticks` ticks within `flush_s` wait; then they go as one chunk in
    the background; a forced save goes whatever waits."""
    run, session = await run_and_session(make_run)
    rec, _ = recorder(run, session)
    for _ in range(3):
        session.step()
    await rec.save_if_due()
    assert rec.saving is None
    session.step()
    await rec.save_if_due()
    await rec.saving
    assert (await chunk_starts(run), session.unsaved) == ([1], [])
    session.step()
    await rec.save_if_due(force=True)
    await rec.saving
    assert await chunk_starts(run) == [1, 5]
    assert rec.recorded_bytes > 0


async def test_the_recorder_saves_after_flush_s_however_few_ticks(make_run: Any) -> None:
    run, session = await run_and_session(make_run)
    rec, clock = recorder(run, session)
    session.step()
    clock.now = 10.0
    await rec.save_if_due()
    await rec.saving
    assert await chunk_starts(run) == [1]


async def test_ticks_due_while_a_save_runs_are_saved_right_after_it(make_run: Any) -> None:
    """One save at a time: what comes due meanwhile is saved by the same task next."""
    run, session = await run_and_session(make_run)
    rec, _ = recorder(run, session)
    session.step()
    await rec.save_if_due(force=True)
    first = rec.saving
    await asyncio.sleep(0)  # the save has taken tick 1 and waits for the database
    session.step()
    await rec.save_if_due(force=True)
    assert rec.saving is first
    await first
    assert await chunk_starts(run) == [1, 2]
    assert session.unsaved == []
    assert (await stored(run)).ticks == 2


async def test_a_failed_save_keeps_its_ticks_for_the_next(
    make_run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, session = await run_and_session(make_run)
    rec, _ = recorder(run, session)
    session.step()
    session.step()

    async def down(*args: Any) -> int:
        raise ConnectionError("the database is down")

    monkeypatch.setattr(persistence, "save_progress", down)
    with pytest.raises(ConnectionError):
        await rec.save()
    assert [t.tick for t in session.unsaved] == [1, 2]
    monkeypatch.undo()
    await rec.save()
    assert await chunk_starts(run) == [1]


async def test_the_database_is_behind_once_four_flushes_of_ticks_wait(make_run: Any) -> None:
    run, session = await run_and_session(make_run)
    rec, _ = recorder(run, session, flush_ticks=1)
    session.step()
    await rec.save_if_due()
    await rec.saving
    assert not rec.behind
    for _ in range(4):
        session.step()
    assert rec.behind


async def test_the_recorder_stops_the_run_at_its_recording_limit(make_run: Any) -> None:
    run, session = await run_and_session(make_run)
    rec, _ = recorder(run, session, max_bytes=1)
    session.step()
    await rec.save()
    assert session.status == RunStatus.STOPPED
    assert session.reason == (
        "stopped: this run reached its limit of 9.53674e-07 MB of recording; "
        "export it or start a new one"
    )


async def test_a_recording_gives_the_newest_ticks_frame_and_events(make_run: Any) -> None:
    """What a viewer is greeted with when no runner answers: the charts after `since`,
    the newest frame if newer, the events and the run's end."""
    run, session = await run_and_session(make_run)
    for _ in range(3):
        session.step()
    ticks = session.take_unsaved()
    state = {"status": RunStatus.RUNNING, "ticks": 3, "speed": 1.0}
    await save_progress(run.pk, ticks, [True] * 3, state)
    report = {"summary": {"served": 1}, "checks": [{"ok": True}]}
    session.events.extend([{"n": 0}, {"n": 1}])
    await save_end(run.pk, session, RunStatus.FINISHED, "", report)
    recording = await load_recording(run.pk, 1)
    assert recording["series"]["tick"] == [2, 3]
    assert recording["frame"]["tick"] == 3
    assert (recording["events"], recording["event_count"]) == ([{"n": 0}, {"n": 1}], 2)
    assert (recording["status"], recording["reason"], recording["active"]) == (
        RunStatus.FINISHED,
        "",
        False,
    )
    assert (recording["summary"], recording["checks"]) == ({"served": 1}, [{"ok": True}])
    assert (await load_recording(run.pk, 3))["frame"] is None


async def test_a_run_whose_runner_went_silent_is_not_live(make_run: Any) -> None:
    long_ago = timezone.now() - timedelta(hours=1)
    run = await database_sync_to_async(make_run)(status=RunStatus.RUNNING, heartbeat_at=long_ago)
    fresh = await database_sync_to_async(make_run)(
        status=RunStatus.RUNNING, heartbeat_at=timezone.now()
    )
    assert await is_live(fresh.pk)
    assert not await is_live(run.pk)
    assert (await stored(run)).status == RunStatus.FAILED
