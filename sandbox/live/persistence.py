"""A live run's record in the database: loading it, saving its progress and its end,
and reading its recording back for a viewer the runner cannot greet.

The runner (`runner.py`) paces the run and owns a `Recorder`, which saves the
ticks not saved yet as compressed chunks (`RunChunk`) in the background, so no
tick waits for the database. Every database call here runs in a thread
(`database_sync_to_async`), never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone

from sandbox.live.lease import sweep_stale_runs
from sandbox.live.models import ACTIVE_STATUSES, Run, RunChunk, RunStatus
from sandbox.live.protocol import HELLO_EVENTS, HELLO_SERIES_TICKS
from sandbox.live.session import RunSession
from sandbox.live.summary import end_fields
from sandbox.live.ticks import Tick
from sandbox.live.wire import compact_columns

log = logging.getLogger(__name__)


@database_sync_to_async
def load_run(run_id: Any) -> Run:
    return Run.objects.select_related("revision").get(pk=run_id)


@database_sync_to_async
def save_progress(run_id: Any, ticks: list[Tick], keep: list[bool], state: dict[str, Any]) -> int:
    """Append `ticks` as one compressed chunk (frames only where `keep`), save the run's
    state; return the chunk's size in bytes. Runs in a thread: compressing is no work
    for the event loop."""
    size = 0
    if ticks:
        chunk = RunChunk.build(run_id, ticks, keep)
        chunk.save(force_insert=True)
        size = chunk.nbytes
    fields = {**state, "heartbeat_at": timezone.now()}
    if state["status"] == RunStatus.RUNNING:
        Run.objects.filter(pk=run_id, started_at__isnull=True).update(started_at=timezone.now())
    # Only while active: a run swept as failed (its lease ran out) stays failed.
    Run.objects.filter(pk=run_id, status__in=ACTIVE_STATUSES).update(**fields)
    return size


@database_sync_to_async
def save_end(
    run_id: Any,
    session: RunSession | None,
    status: str,
    reason: str,
    report: dict[str, Any] | None,
) -> None:
    """Record how the run ended, its report, and (with a session) its ticks and events."""
    fields: dict[str, Any] = {
        "status": status,
        "failure_reason": reason if status != RunStatus.FINISHED else "",
        "ended_at": timezone.now(),
        "heartbeat_at": timezone.now(),
        "report": report,
    }
    if session is not None:
        # The charts' numbers are in the chunks; the run keeps the events it kept.
        fields.update(ticks=session.ticks, events=session.events)
    Run.objects.filter(pk=run_id).update(**fields)


@database_sync_to_async
def load_recording(run_id: Any, since: int) -> dict[str, Any]:
    """A run's recording from the database (the run has no live runner): the newest
    `HELLO_SERIES_TICKS` ticks of its charts and its newest frame."""
    sweep_stale_runs(run_id)
    run = Run.objects.select_related("revision").get(pk=run_id)
    series = compact_columns(run.recorded_series(since, at_most=HELLO_SERIES_TICKS), since)
    newest = run.newest_wire_frame() if series["tick"] else None
    events = run.events or []
    return {
        "series": series,
        "frame": newest if newest and newest["tick"] > since else None,
        "events": events[-HELLO_EVENTS:],
        "event_count": len(events),
        "status": run.status,
        "reason": run.failure_reason,
        **end_fields(run.report),
        "active": run.is_live,
    }


@database_sync_to_async
def is_live(run_id: Any) -> bool:
    """Whether the run still has a runner (sweeping it first if its lease ran out)."""
    sweep_stale_runs(run_id)
    return Run.objects.get(pk=run_id).is_live


class Recorder:
    """Saves a session's unsaved ticks and state: every `flush_ticks` ticks, every
    `flush_s` seconds, or when forced; stops the run at `max_bytes` of recording."""

    def __init__(
        self,
        run_id: str,
        session: RunSession,
        *,
        flush_ticks: int,
        flush_s: float,
        max_bytes: int,
        clock: Callable[[], float],
    ) -> None:
        self.run_id = run_id
        self.session = session
        self.flush_ticks = flush_ticks
        self.flush_s = flush_s
        self.max_bytes = max_bytes
        self.clock = clock
        self.recorded_bytes = 0
        # The save in the background, if one was started (done or not).
        self.saving: asyncio.Task[None] | None = None
        self._saved_at = clock()
        self._save_again = False

    @property
    def behind(self) -> bool:
        """Whether the database is so far behind that ticks should wait for it."""
        return len(self.session.unsaved) >= 4 * self.flush_ticks and self.saving is not None

    async def save_if_due(self, force: bool = False) -> None:
        """Save new ticks and the state in the background when due.

        Ticks never wait for the database: a slow write (SQLite's fsync on a busy
        disk) would otherwise put every run of the process behind its schedule.
        """
        unsaved = len(self.session.unsaved)
        due = self.clock() - self._saved_at >= self.flush_s
        if not (force or unsaved >= self.flush_ticks or due):
            return
        self._saved_at = self.clock()
        if self.saving is not None and not self.saving.done():
            self._save_again = True
            return
        self.saving = asyncio.create_task(self._save_in_background())

    async def _save_in_background(self) -> None:
        while True:
            self._save_again = False
            try:
                await self.save()
            except Exception:
                log.exception("run %s: saving failed; retried when next due", self.run_id)
                return
            if not self._save_again:
                return

    async def save(self) -> None:
        """Save the unsaved ticks as one chunk; stop the run at its recording limit."""
        session = self.session
        ticks = session.take_unsaved()
        keep = [session.keeps_frame(t) for t in ticks]
        state = {"status": session.status, "ticks": session.ticks, "speed": session.speed}
        try:
            self.recorded_bytes += await save_progress(self.run_id, ticks, keep, state)
        except BaseException:
            session.unsaved[:0] = ticks  # saved with the next chunk
            raise
        limit = self.max_bytes
        if self.recorded_bytes >= limit and not session.ended:
            session.stop(
                f"stopped: this run reached its limit of {limit / 2**20:g} MB of recording; "
                "export it or start a new one"
            )
