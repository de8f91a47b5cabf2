"""Drives a run's engine in real time and connects it to its viewers.

The runner paces `RunSession.step()` at the run's speed, publishes each frame
to the channel-layer group `run.<id>`, takes controls and sync requests from
its own channel (joined to the group `runner.<id>`), has the run recorded in the
database (`persistence.py`), and always ends the run with an `ended` message:
finished, stopped, or failed with the reason. A send to viewers never waits for them: channel
layers drop messages for a full channel, and consumers rate-limit per viewer.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings

from sandbox.live.enginehost import ControlRefused, EngineHostError, EnginePool, RemoteEngine
from sandbox.live.lease import Lease, tolerant
from sandbox.live.models import RUNNER_STOPPED, RunStatus
from sandbox.live.persistence import Recorder, load_run, save_end
from sandbox.live.protocol import ENGINE_ACTIONS, HELLO_EVENTS, HELLO_SERIES_TICKS
from sandbox.live.session import RunSession, SessionLimits
from sandbox.live.summary import end_fields
from sandbox.live.ticks import Tick
from sandbox.live.wire import FrameCodec, compact_columns
from simulation import ControlError, Engine

log = logging.getLogger(__name__)

# How far behind its schedule a run catches up; further behind, it starts afresh.
CATCH_UP_S = 1.0

# A slowed run says it is no longer slowed after this long within its user's budget.
SLOWED_FOR_S = 2.0

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
    limits: SessionLimits = field(default_factory=SessionLimits)
    max_recording_bytes: int = 100 * 2**20
    # Engine processes; 0 ticks on this event loop (tests drive runs one tick at a time).
    engine_processes: int = 0
    cpu_share: float = 0.5
    engine_nice: int = 10

    @classmethod
    def from_settings(cls) -> RunnerSettings:
        return cls(
            idle_pause_s=settings.LIVE_IDLE_PAUSE_S,
            idle_stop_s=settings.LIVE_IDLE_STOP_S,
            flush_ticks=settings.LIVE_FLUSH_TICKS,
            flush_s=settings.LIVE_FLUSH_S,
            publish_interval=1.0 / settings.LIVE_VIEWER_MAX_FPS,
            limits=SessionLimits(
                max_ticks=settings.LIVE_MAX_TICKS,
                max_events=settings.LIVE_MAX_EVENTS,
                # What a hello carries, and what may wait to be saved.
                series_window=max(2_000, HELLO_SERIES_TICKS + 4 * settings.LIVE_FLUSH_TICKS),
                record_bytes_per_tick=settings.LIVE_RECORD_BYTES_PER_TICK,
            ),
            max_recording_bytes=settings.LIVE_MAX_RECORDING_MB * 2**20,
            engine_processes=settings.LIVE_ENGINE_PROCESSES,
            cpu_share=settings.LIVE_CPU_SHARE,
            engine_nice=settings.LIVE_ENGINE_NICE,
        )


class _Pools:
    """The engine pool of this process's event loop (a test's loop gets its own)."""

    def __init__(self) -> None:
        self.pool: EnginePool | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def get(self, config: RunnerSettings) -> EnginePool:
        loop = asyncio.get_running_loop()
        if self.pool is None or self.loop is not loop or loop.is_closed():
            if self.pool is not None:
                self.pool.close()
            self.pool = EnginePool(
                config.engine_processes, cpu_share=config.cpu_share, niceness=config.engine_nice
            )
            self.loop = loop
        return self.pool


engine_pools = _Pools()


@dataclass
class ScheduleStats:
    """How well paced ticks kept their schedule (seconds)."""

    paced_ticks: int = 0
    late_ticks: int = 0
    max_lateness: float = 0.0
    resyncs: int = 0


class RunAlreadyEnded(Exception):
    """The run ended before its runner could start it."""


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
        # The run's engine when it ticks in an engine process (else `session.engine`).
        self.remote: RemoteEngine | None = None
        self.schedule = ScheduleStats()
        self.viewers: set[str] = set()
        self.channel = ""
        # Saves the run as it goes (made with the session, in `open`).
        self.recorder: Recorder | None = None
        self.slowed = False
        self._slowed_at = -1e9
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self.lease: Lease | None = None
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
        except RunAlreadyEnded:
            # Ended before a runner took it (a share link revoked while it waited for a
            # worker): its record says so already; there is nothing to run.
            await self.close()
            return
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
        """Load the run, build its engine (here or in an engine process), and start
        listening for viewers."""
        run = await load_run(self.run_id)
        if not run.is_active:
            raise RunAlreadyEnded(run.status)
        # The lease first: building a big design's engine may take longer than a lease.
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(runner_group(self.run_id), self.channel)
        self.lease = Lease(
            self.run_id,
            self.layer,
            channel=self.channel,
            runner_group=runner_group(self.run_id),
            viewers_group=viewers_group(self.run_id),
            on_lost=self._lease_lost,
        )
        self.lease.start()
        scenario = run.scenario or None
        document = run.revision.document
        tick_s = float((scenario or {}).get("tick_s", 1.0))
        self.codec = FrameCodec(document)
        engine = None
        if self.config.engine_processes > 0:
            pool = engine_pools.get(self.config)
            self.remote = await pool.open(
                self.run_id, str(run.owner_id), document, scenario, run.seed
            )
        else:
            engine = Engine(document, scenario, seed=run.seed)
        self.session = RunSession(
            engine, codec=self.codec, tick_s=tick_s, speed=run.speed, limits=self.config.limits
        )
        self.recorder = Recorder(
            self.run_id,
            self.session,
            flush_ticks=self.config.flush_ticks,
            flush_s=self.config.flush_s,
            max_bytes=self.config.max_recording_bytes,
            clock=self.clock,
        )
        self._reader = asyncio.create_task(self._read_inbox())
        self._idle_since = self.clock()

    @property
    def recorded_bytes(self) -> int:
        """The size of the run's recording so far (compressed, in bytes)."""
        return self.recorder.recorded_bytes if self.recorder is not None else 0

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
                await self.recorder.save_if_due()
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

    async def tick(self) -> Tick:
        """One engine step, recorded, and published unless viewers could not show it.

        Much faster than viewers take frames (`publish_interval`, real time), only
        frames with new events and the last one go out; the recording keeps them all.
        """
        if self.recorder.behind:
            # The database is behind: wait for it rather than hold ever more ticks.
            await self.recorder.saving
        seen = self.session.event_count
        if self.remote is None:
            self.session.step()
            tick = self.session.newest
        else:
            self.session.check_ticking()
            tick = self.session.record(await self.remote.step())
            await self._note_slowed(self.remote.slowed)
        events = tick.events[len(tick.events) - (self.session.event_count - seen) :]
        now = self.clock()
        if (
            events
            or now - self._published_at >= self.config.publish_interval / 2
            or self.session.ended
        ):
            self._published_at = now
            await self.layer.group_send(
                viewers_group(self.run_id), self.frame_message(tick, events)
            )
        if self.session.status == RunStatus.FINISHED:
            return tick
        await self.recorder.save_if_due()
        return tick

    def frame_message(
        self, tick: Tick, events: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """The group message of a tick: its socket text, made once for all viewers.

        `events` are those viewers have not had yet (by default all of the tick's);
        the events of controls went out as they were applied.
        """
        text = f'{{"type":"frame","frame":{tick.wire},"ts":{time.time()!r}}}'
        return {
            "type": "run.frame",
            "tick": tick.tick,
            "events": tick.events if events is None else events,
            "text": text,
        }

    async def _note_slowed(self, slowed: bool) -> None:
        """Say so when the run's user is over their CPU budget, and when that has been
        over for a while (not at every tick that happens to fit the budget)."""
        session = self.session
        now = self.clock()
        if slowed:
            self._slowed_at = now
        if slowed == self.slowed or not session.ticking:
            return
        if not slowed and now - self._slowed_at < SLOWED_FOR_S:
            return
        self.slowed = slowed
        if slowed:
            share = f"{self.config.cpu_share:.0%}"
            session.reason = (
                f"slowed: your runs need more than your share of the engines ({share} of a "
                "core); this run goes slower than its speed"
            )
        elif session.reason.startswith("slowed:"):
            session.reason = ""
        await self._publish_state()

    def _lease_lost(self) -> None:
        if self.session is not None:
            self.session.fail(RUNNER_STOPPED)

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
            if self.recorder.saving is not None:
                await self.recorder.saving
            if session.unsaved:
                try:
                    await self.recorder.save()
                except Exception:
                    log.exception("run %s: could not save its last frames", self.run_id)
            try:
                report = await self._report()
            except Exception as exc:
                if status == RunStatus.STOPPED and isinstance(exc, EngineHostError):
                    # Stopped as the server shuts down: its engine process may be gone first.
                    log.warning("run %s: stopped without a report", self.run_id)
                else:
                    log.exception("run %s: the engine gave no report", self.run_id)
                    status, reason = RunStatus.FAILED, f"no report: {type(exc).__name__}: {exc}"
        try:
            await save_end(self.run_id, session, status, reason, report)
        except Exception:
            log.exception("run %s: could not record its end", self.run_id)
        # No series: a viewer who missed frames fetches the charts' numbers over HTTP,
        # so this message stays small however long the run was.
        await self.layer.group_send(
            viewers_group(self.run_id),
            {
                "type": "run.ended",
                "status": str(status),
                "reason": reason,
                **end_fields(report),
                "tick": session.last_tick if session else -1,
            },
        )
        await self.close()

    async def _report(self) -> dict[str, Any] | None:
        session = self.session
        if self.remote is None or session.status == RunStatus.FAILED:
            return session.report()
        return await self.remote.report()

    async def close(self) -> None:
        if self.lease is not None:
            await self.lease.stop()
        saving = self.recorder.saving if self.recorder is not None else None
        if saving is not None and not saving.done():
            await saving
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None
        if self.remote is not None:
            remote, self.remote = self.remote, None
            await remote.close()
        if self.channel:
            await self.layer.group_discard(runner_group(self.run_id), self.channel)

    # -- messages ---------------------------------------------------------------

    async def _read_inbox(self) -> None:
        failing = False
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # A channel layer hiccup (Redis restarting, a timeout) must not leave
                # the run deaf to its viewers: wait a moment and listen again. Logged
                # once per outage, not every second of it.
                if not failing:
                    log.warning(
                        "run %s: receiving from the channel layer failed (%s: %s); "
                        "listening again every second",
                        self.run_id,
                        type(exc).__name__,
                        exc,
                    )
                failing = True
                await asyncio.sleep(1.0)
                continue
            if failing:
                log.warning("run %s: the channel layer answers again", self.run_id)
                failing = False
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
        """A viewer joins: send it the newest of what it has not seen yet (the charts of
        at most `HELLO_SERIES_TICKS` ticks; it fetches older ones over HTTP)."""
        reply_to = message["reply_to"]
        self.viewers.add(reply_to)
        self._idle_since = None
        if self.session.resume_idle():
            self._resync = True
            await self._publish_state()
        since = int(message.get("since", -1))
        rows = self.session.series.rows_after(since, at_most=HELLO_SERIES_TICKS)
        newest = self.session.newest
        events = self.session.events
        await self._reply(
            reply_to,
            {
                "type": "run.sync",
                "series": compact_columns(rows, since),
                "frame": json.loads(newest.wire) if newest and newest.tick > since else None,
                "events": events[-HELLO_EVENTS:],
                "event_count": self.session.event_count,
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
            outcome = await self._apply(control, message.get("by", ""))
        except ControlError as exc:
            await self._reply(
                message["reply_to"],
                {"type": "run.error", "error": str(exc), "action": control.get("action")},
            )
            return
        # A control's events go out now: while paused, no frame would carry them.
        first = self.session.event_count - len(outcome.events)
        for seq, event in enumerate(outcome.events, start=first):
            await self.layer.group_send(
                viewers_group(self.run_id), {"type": "run.event", "event": event, "seq": seq}
            )
        if outcome.status_changed:
            self._resync = True
            await self._publish_state()
            await self.recorder.save_if_due(force=True)

    async def _apply(self, control: dict[str, Any], by: str) -> Any:
        action = control["action"]
        if self.remote is None or action not in ENGINE_ACTIONS:
            return self.session.control(control, by=by)
        self.session.check_control(action)
        try:
            events = await self.remote.apply(control)
        except ControlRefused as exc:
            raise ControlError(action, str(exc)) from exc
        return self.session.applied(events)

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
            await self.recorder.save_if_due(force=True)


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

    def __contains__(self, run_id: Any) -> bool:
        return str(run_id) in self._tasks

    def __len__(self) -> int:
        return len(self._tasks)

    def all(self) -> list[asyncio.Task[None]]:
        return list(self._tasks.values())


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
