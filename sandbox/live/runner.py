"""Drives a run's engine in real time and connects it to its viewers.

The runner paces `RunSession.step()` at the run's speed, publishes each frame
to the channel-layer group `run.<id>`, takes controls and sync requests from
its own channel (joined to the group `runner.<id>`), records the run in the
database, and always ends the run with an `ended` message: finished, stopped,
or failed with the reason. A send to viewers never waits for them: channel
layers drop messages for a full channel, and consumers rate-limit per viewer.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from django.utils import timezone

from sandbox.live.lease import Lease, tolerant
from sandbox.live.models import ACTIVE_STATUSES, RUNNER_STOPPED, Run, RunChunk, RunStatus
from sandbox.live.protocol import HELLO_EVENTS
from sandbox.live.session import RunSession, SessionError
from sandbox.live.wire import FrameCodec, compact_series
from simulation import Engine

log = logging.getLogger(__name__)

# How far behind its schedule a run catches up; further behind, it starts afresh.
CATCH_UP_S = 1.0

# The channel `manage.py runworker` processes listen on for new runs.
RUNNER_CHANNEL = "live-runner"


def viewers_group(run_id: Any) -> str:
    return f"run.{run_id}"


def runner_group(run_id: Any) -> str:
    return f"runner.{run_id}"


@dataclass(frozen=True)
class RunnerSettings:
    idle_pause_s: float
    idle_stop_s: float
    flush_ticks: int
    flush_s: float
    publish_interval: float = 0.0

    @classmethod
    def from_settings(cls) -> RunnerSettings:
        return cls(
            idle_pause_s=settings.LIVE_IDLE_PAUSE_S,
            idle_stop_s=settings.LIVE_IDLE_STOP_S,
            flush_ticks=settings.LIVE_FLUSH_TICKS,
            flush_s=settings.LIVE_FLUSH_S,
            publish_interval=1.0 / settings.LIVE_VIEWER_MAX_FPS,
        )


@dataclass
class ScheduleStats:
    """How well paced ticks kept their schedule (seconds)."""

    paced_ticks: int = 0
    late_ticks: int = 0
    max_lateness: float = 0.0
    resyncs: int = 0


@database_sync_to_async
def _load(run_id: Any) -> Run:
    return Run.objects.select_related("revision").get(pk=run_id)


@database_sync_to_async
def _save_progress(run_id: Any, session: RunSession, first_unsaved: int, upto: int) -> int:
    """Append frames [first_unsaved, upto) as one chunk; return the next unsaved index."""
    frames = session.frames[first_unsaved:upto]
    if frames:
        RunChunk.objects.create(run_id=run_id, first_tick=frames[0]["tick"], frames=frames)
    fields: dict[str, Any] = {
        "status": session.status,
        "ticks": len(session.frames),
        "speed": session.speed,
        "heartbeat_at": timezone.now(),
    }
    if session.status == RunStatus.RUNNING:
        Run.objects.filter(pk=run_id, started_at__isnull=True).update(started_at=timezone.now())
    # Only while active: a run swept as failed (its lease ran out) stays failed.
    Run.objects.filter(pk=run_id, status__in=ACTIVE_STATUSES).update(**fields)
    return upto


@database_sync_to_async
def _save_end(
    run_id: Any,
    session: RunSession | None,
    status: str,
    reason: str,
    report: dict[str, Any] | None,
) -> None:
    fields: dict[str, Any] = {
        "status": status,
        "failure_reason": reason if status != RunStatus.FINISHED else "",
        "ended_at": timezone.now(),
        "heartbeat_at": timezone.now(),
        "report": report,
    }
    if session is not None:
        fields.update(ticks=len(session.frames), series=session.series, events=session.events)
    Run.objects.filter(pk=run_id).update(**fields)


class Runner:
    """The life of one run, from loading its design to its `ended` message."""

    def __init__(
        self,
        run_id: Any,
        *,
        layer: BaseChannelLayer | None = None,
        config: RunnerSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.run_id = str(run_id)
        # Sends never raise: a run goes on while Redis is down (sandbox/live/lease.py).
        self.layer = tolerant(layer or get_channel_layer())
        self.config = config or RunnerSettings.from_settings()
        self.clock = clock
        self.session: RunSession | None = None
        self.schedule = ScheduleStats()
        self.viewers: set[str] = set()
        self.channel = ""
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self.lease: Lease | None = None
        self._saved = 0
        self._saved_at = 0.0
        self._saving: asyncio.Task[None] | None = None
        self._save_again = False
        self._published_at = -1e9
        self._idle_since: float | None = None
        self._resync = False
        self._handlers = {
            "runner.sync": self._on_sync,
            "runner.leave": self._on_leave,
            "runner.control": self._on_control,
            "runner.stop": self._on_stop,
        }

    # -- life -------------------------------------------------------------------

    async def run(self) -> None:
        """Run to the end; never raises except on cancellation (after recording it)."""
        try:
            await self.open()
        except Exception as exc:
            log.exception("run %s could not start", self.run_id)
            await self.finish(RunStatus.FAILED, f"could not start: {type(exc).__name__}: {exc}")
            return
        try:
            await self.loop()
        except asyncio.CancelledError:
            await asyncio.shield(self.finish(RunStatus.STOPPED, "the server shut down"))
            raise
        except Exception as exc:
            log.exception("run %s crashed", self.run_id)
            await self.finish(
                RunStatus.FAILED, f"the simulation crashed: {type(exc).__name__}: {exc}"
            )
            return
        await self.finish(self.session.status, self.session.reason)

    async def open(self) -> None:
        """Load the run, build its engine, and start listening for viewers."""
        run = await _load(self.run_id)
        scenario = run.scenario or None
        engine = Engine(run.revision.document, scenario, seed=run.seed)
        tick_s = float((scenario or {}).get("tick_s", 1.0))
        self.session = RunSession(engine, tick_s=tick_s, speed=run.speed)
        self.codec = FrameCodec(run.revision.document)
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(runner_group(self.run_id), self.channel)
        self._reader = asyncio.create_task(self._read_inbox())
        self.lease = Lease(
            self.run_id,
            self.layer,
            channel=self.channel,
            runner_group=runner_group(self.run_id),
            viewers_group=viewers_group(self.run_id),
            on_lost=lambda: self.session.fail(RUNNER_STOPPED),
        )
        self.lease.start()
        self._idle_since = self.clock()
        self._saved_at = self.clock()

    async def loop(self) -> None:
        """Tick at the run's speed until it ends, taking messages between ticks."""
        session = self.session
        next_at = self.clock()
        while not session.ended:
            await self._check_idle()
            if session.ended:
                break
            if session.ticking:
                wait = 0.0 if session.speed == 0 else max(0.0, next_at - self.clock())
            else:
                wait = 1.0
            message = await self._next_message(wait)
            if message is not None:
                await self.handle(message)
                if self._resync:
                    self._resync = False
                    next_at = self.clock()
                continue
            if not session.ticking:
                await self._save_if_due()
                continue
            if session.speed == 0:
                await self.tick()
                await asyncio.sleep(0)  # let viewers and other runs in between ticks
                next_at = self.clock()
            elif self.clock() >= next_at:
                next_at = self._keep_schedule(next_at)
                await self.tick()

    def _keep_schedule(self, due: float) -> float:
        """Account this tick's lateness; return when the next one is due."""
        interval = self.session.tick_s / self.session.speed
        lateness = self.clock() - due
        self.schedule.paced_ticks += 1
        self.schedule.max_lateness = max(self.schedule.max_lateness, lateness)
        if lateness > interval / 2:
            self.schedule.late_ticks += 1
        if lateness > max(CATCH_UP_S, interval):
            # Too far behind (a long stall, or too slow for this speed): go on from now
            # rather than rush through seconds of ticks.
            self.schedule.resyncs += 1
            return self.clock() + interval
        # A short stall is made up by ticking back to back until on schedule again.
        return due + interval

    async def tick(self) -> dict[str, Any]:
        """One engine step, recorded, and published unless viewers could not show it.

        Much faster than viewers take frames (`publish_interval`, real time), only
        frames with new events and the last one go out; the recording keeps them all.
        """
        seen = len(self.session.events)
        frame = self.session.step()
        events = self.session.events[seen:]
        now = self.clock()
        if (
            events
            or now - self._published_at >= self.config.publish_interval / 2
            or self.session.ended
        ):
            self._published_at = now
            message = self.frame_message(frame, events)
            await self.layer.group_send(viewers_group(self.run_id), message)
        if self.session.status == RunStatus.FINISHED:
            return frame
        await self._save_if_due()
        return frame

    def frame_message(
        self, frame: dict[str, Any], events: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """The group message of a frame: its socket text made once for all viewers.

        `events` are those viewers have not had yet (by default all of the frame's);
        the events of controls went out as they were applied.
        """
        text = json.dumps(
            {"type": "frame", "frame": self.codec.encode(frame), "ts": time.time()},
            separators=(",", ":"),
        )
        return {
            "type": "run.frame",
            "tick": frame["tick"],
            "events": (frame.get("events") or []) if events is None else events,
            "text": text,
        }

    async def finish(self, status: str, reason: str) -> None:
        """Record the end and tell the viewers; safe to call once whatever happened."""
        if self.lease is not None:
            await self.lease.stop()  # the end recorded below is what holds from now on
        session = self.session
        report = None
        if session is not None:
            if status == RunStatus.FAILED:
                session.fail(reason)
            elif session.status != status:
                session.stop(reason)
            if self._saving is not None:
                await self._saving
            if self._saved < len(session.frames):
                try:
                    upto = len(session.frames)
                    self._saved = await _save_progress(self.run_id, session, self._saved, upto)
                except Exception:
                    log.exception("run %s: could not save its last frames", self.run_id)
            try:
                report = session.report()
            except Exception as exc:
                log.exception("run %s: the engine gave no report", self.run_id)
                status, reason = RunStatus.FAILED, f"no report: {type(exc).__name__}: {exc}"
        try:
            await _save_end(self.run_id, session, status, reason, report)
        except Exception:
            log.exception("run %s: could not record its end", self.run_id)
        await self.layer.group_send(
            viewers_group(self.run_id),
            {
                "type": "run.ended",
                "status": str(status),
                "reason": reason,
                "summary": (report or {}).get("summary"),
                "checks": (report or {}).get("checks", []),
                "tick": session.last_tick if session else -1,
                # The whole run's charts: a viewer may have skipped frames.
                "series": compact_series(session.frames) if session else None,
            },
        )
        await self.close()

    async def close(self) -> None:
        if self._saving is not None and not self._saving.done():
            await self._saving
        if self.lease is not None:
            await self.lease.stop()
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None
        if self.channel:
            await self.layer.group_discard(runner_group(self.run_id), self.channel)

    # -- messages ---------------------------------------------------------------

    async def _read_inbox(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A channel layer hiccup (Redis restarting, a timeout) must not leave
                # the run deaf to its viewers: wait a moment and listen again.
                log.exception("run %s: receiving from the channel layer failed", self.run_id)
                await asyncio.sleep(1.0)
                continue
            self._inbox.put_nowait(message)

    async def _next_message(self, wait: float) -> dict[str, Any] | None:
        if wait <= 0:
            try:
                return self._inbox.get_nowait()
            except asyncio.QueueEmpty:
                return None
        try:
            return await asyncio.wait_for(self._inbox.get(), wait)
        except TimeoutError:
            return None

    async def handle(self, message: dict[str, Any]) -> None:
        """Dispatch one message from a consumer through the handler table."""
        handler = self._handlers.get(message.get("type", ""))
        if handler is None:
            log.warning("run %s: ignored message of type %r", self.run_id, message.get("type"))
            return
        await handler(message)

    async def _reply(self, channel: str, message: dict[str, Any]) -> None:
        """Send to one consumer; a full channel (a viewer far behind) loses the reply."""
        try:
            await self.layer.send(channel, message)
        except ChannelFull:
            log.warning("run %s: viewer %s is too far behind; reply dropped", self.run_id, channel)

    async def _on_sync(self, message: dict[str, Any]) -> None:
        """A viewer joins: send it what it has not seen yet."""
        reply_to = message["reply_to"]
        self.viewers.add(reply_to)
        self._idle_since = None
        if self.session.resume_idle():
            self._resync = True
            await self._publish_state()
        since = int(message.get("since", -1))
        frames = self.session.frames_since(since)
        events = self.session.events
        await self._reply(
            reply_to,
            {
                "type": "run.sync",
                "series": compact_series(frames),
                "frame": self.codec.encode(frames[-1]) if frames else None,
                "events": events[-HELLO_EVENTS:],
                "event_count": len(events),
                "state": self.session.state(),
            },
        )

    async def _on_leave(self, message: dict[str, Any]) -> None:
        self.viewers.discard(message["reply_to"])
        if not self.viewers and self._idle_since is None:
            self._idle_since = self.clock()

    async def _on_control(self, message: dict[str, Any]) -> None:
        control = message["control"]
        try:
            outcome = self.session.control(control, by=message.get("by", ""))
        except SessionError as exc:
            await self._reply(
                message["reply_to"],
                {"type": "run.error", "error": str(exc), "action": control.get("action")},
            )
            return
        # A control's events go out now: while paused, no frame would carry them.
        first = len(self.session.events) - len(outcome.events)
        for seq, event in enumerate(outcome.events, start=first):
            await self.layer.group_send(
                viewers_group(self.run_id), {"type": "run.event", "event": event, "seq": seq}
            )
        if outcome.status_changed:
            self._resync = True
            await self._publish_state()
            await self._save_if_due(force=True)

    async def _on_stop(self, message: dict[str, Any]) -> None:
        """Stop for a reason of the server's (a share link revoked); the loop then ends."""
        self.session.stop(message["reason"])

    async def _publish_state(self) -> None:
        await self.layer.group_send(
            viewers_group(self.run_id), {"type": "run.status", **self.session.state()}
        )

    # -- housekeeping -----------------------------------------------------------

    async def _check_idle(self) -> None:
        """Pause a run nobody watches, and stop it if nobody comes back."""
        if self._idle_since is None:
            return
        idle = self.clock() - self._idle_since
        session = self.session
        if idle >= self.config.idle_stop_s:
            session.stop("stopped: nobody was watching")
        elif idle >= self.config.idle_pause_s and session.status == RunStatus.RUNNING:
            session.pause_idle()
            await self._publish_state()
            await self._save_if_due(force=True)

    async def _save_if_due(self, force: bool = False) -> None:
        """Save new frames and the state in the background when due.

        Ticks never wait for the database: a slow write (SQLite's fsync on a busy
        disk) would otherwise put every run of the process behind its schedule.
        """
        unsaved = len(self.session.frames) - self._saved
        due = self.clock() - self._saved_at >= self.config.flush_s
        if not (force or unsaved >= self.config.flush_ticks or due):
            return
        self._saved_at = self.clock()
        if self._saving is not None and not self._saving.done():
            self._save_again = True
            return
        self._saving = asyncio.create_task(self._save_in_background())

    async def _save_in_background(self) -> None:
        while True:
            self._save_again = False
            try:
                upto = len(self.session.frames)
                self._saved = await _save_progress(self.run_id, self.session, self._saved, upto)
            except Exception:
                log.exception("run %s: saving failed; retried when next due", self.run_id)
                return
            if not self._save_again:
                return


class RunnerTasks:
    """The runner tasks of this process, held so they are neither collected nor orphaned."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def launch(self, run_id: Any) -> asyncio.Task[None]:
        key = str(run_id)
        # A fresh context: a task started from a view's `async_to_sync` would otherwise
        # inherit that request's thread executor, which is gone once the view returns.
        task = asyncio.get_running_loop().create_task(
            Runner(key).run(), name=f"run {key}", context=contextvars.Context()
        )
        self._tasks[key] = task
        task.add_done_callback(lambda _t: self._tasks.pop(key, None))
        return task

    def all(self) -> list[asyncio.Task[None]]:
        return list(self._tasks.values())

    def __contains__(self, run_id: Any) -> bool:
        return str(run_id) in self._tasks

    def __len__(self) -> int:
        return len(self._tasks)


# One per process: the Daphne process (embedded mode) or a runworker process.
runner_tasks = RunnerTasks()


async def _launch_here(run_id: str) -> None:
    runner_tasks.launch(run_id)


def launch_run(run_id: Any) -> None:
    """Start a run's runner: in this server process, or on a worker through the channel layer.

    Called from a view; in the embedded mode the task runs on the server's event
    loop (the view's thread hands it over through `async_to_sync`).
    """
    if settings.SIMULATION_RUNNERS == "workers":
        async_to_sync(get_channel_layer().send)(
            RUNNER_CHANNEL, {"type": "run.start", "run_id": str(run_id)}
        )
    else:
        async_to_sync(_launch_here)(str(run_id))
