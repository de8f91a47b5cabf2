"""The WebSocket of a live run, `/ws/runs/<id>/`: viewers watch, the owner steers.

Thin by design: it checks who is connecting, forwards checked controls to the
run's runner, and passes the runner's frames on to its viewer, at most
`LIVE_VIEWER_MAX_FPS` frames a second (a slow viewer gets the newest frame,
never a backlog). Events are never dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.http import Http404

from sandbox.access import held_tokens
from sandbox.live.access import get_watchable_run, share_group
from sandbox.live.lease import RunnerWatch, sweep_stale_runs, with_honest_status
from sandbox.live.models import Run
from sandbox.live.protocol import (
    HELLO_EVENTS,
    HELLO_SERIES_TICKS,
    SpeedLimits,
    TokenBucket,
    parse_message,
)
from sandbox.live.runner import runner_group, viewers_group
from sandbox.live.wire import compact_columns
from simulation import ControlError

log = logging.getLogger(__name__)

# Close codes (4000-4999 are the application's) of a refused socket. The socket is
# accepted first, so the page sees the code (a handshake refused before accepting reaches
# browsers as 1006, which looks like a dropped connection worth retrying).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403

NOT_SIGNED_IN = "Sign in to watch this run."
NO_ACCESS = "You do not have access to this run, or it does not exist."
REVOKED = "You no longer have access to this run: its share link was revoked."

# The last tick a run can have: ticks are stored as PositiveIntegerField.
MAX_TICK = 2**31 - 1


@database_sync_to_async
def _load_viewing(scope: dict[str, Any], run_id: Any) -> dict[str, Any] | None:
    """What a viewer needs about the run, or None if the scope's user may not watch it."""
    user = scope["user"]
    tokens = held_tokens(scope.get("session"), [_query(scope, "token")])
    try:
        run, access = get_watchable_run(user, run_id, tokens)
    except Http404:
        return None
    with_honest_status(run)
    return {
        "id": str(run.pk),
        "is_owner": access.control,
        "share_links": access.links,
        "active": run.is_live,
        "owner": run.owner.get_username(),
        "design_name": run.revision.design.name,
        "scenario_name": run.scenario_name,
        "scenario": run.scenario,
        "seed": run.seed,
        "status": run.status,
        "reason": run.failure_reason,
        "speed": "max" if run.speed == 0 else run.speed,
    }


@database_sync_to_async
def _load_recording(run_id: Any, since: int) -> dict[str, Any]:
    """A run's recording from the database (the run has no live runner): the newest
    `HELLO_SERIES_TICKS` ticks of its charts and its newest frame."""
    sweep_stale_runs(run_id)
    run = Run.objects.select_related("revision").get(pk=run_id)
    report = run.report or {}
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
        "summary": report.get("summary"),
        "checks": report.get("checks", []),
        "active": run.is_live,
    }


@database_sync_to_async
def _is_active(run_id: Any) -> bool:
    sweep_stale_runs(run_id)
    return Run.objects.get(pk=run_id).is_live


class RunConsumer(AsyncWebsocketConsumer):
    # What the consumer starts (in `connect`), stopped when it ends however it ends.
    flusher: asyncio.Task[None] | None = None
    fallback: asyncio.Task[None] | None = None
    watch: RunnerWatch | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse_to_connect(CLOSE_UNAUTHENTICATED, NOT_SIGNED_IN)
            return
        self.run_id = str(self.scope["url_route"]["kwargs"]["run_id"])
        self.since = _since(self.scope)
        viewing = await _load_viewing(self.scope, self.run_id)
        if viewing is None:
            await self._refuse_to_connect(CLOSE_FORBIDDEN, NO_ACCESS)
            return
        self.viewing = viewing
        self.username = user.get_username()
        self.syncing = True
        self.held: list[dict[str, Any]] = []
        self.last_tick = self.since
        # How many of the run's events this viewer has had (the `hello` counts them).
        self.events_seen = 0
        self.pending_frame: str | None = None
        self.last_sent_at = 0.0
        self.min_interval = 1.0 / settings.LIVE_VIEWER_MAX_FPS
        self.flusher: asyncio.Task[None] | None = None
        self.fallback: asyncio.Task[None] | None = None
        self.watch: RunnerWatch | None = None
        self.ended = False
        self.limits = SpeedLimits(settings.LIVE_MAX_SPEED, settings.LIVE_ALLOW_UNPACED)
        self.bucket = TokenBucket(settings.LIVE_CONTROL_RATE, settings.LIVE_CONTROL_BURST)
        await self.accept()
        # Revoking a share link this access rests on closes the socket (`share_revoked`).
        for link in viewing["share_links"]:
            await self.channel_layer.group_add(share_group(link), self.channel_name)
        await self.channel_layer.group_add(viewers_group(self.run_id), self.channel_name)
        if viewing["active"]:
            # A runner silent for too long is looked for (sandbox/live/lease.py).
            self.watch = RunnerWatch(self.run_id, self._runner_gone)
            self.watch.start()
            await self._ask_runner("runner.sync", since=self.since)
            self.fallback = asyncio.create_task(self._hello_from_recording_later())
        else:
            await self._hello_from_recording(end=True)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Also when the consumer dies without `disconnect` (its channel layer went down).
            self._stop_tasks()

    def _stop_tasks(self) -> None:
        for task in (self.flusher, self.fallback):
            if task is not None:
                task.cancel()
        if self.watch is not None:
            self.watch.stop()

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "viewing"):
            return
        self._stop_tasks()
        await self.channel_layer.group_discard(viewers_group(self.run_id), self.channel_name)
        for link in self.viewing["share_links"]:
            await self.channel_layer.group_discard(share_group(link), self.channel_name)
        if self.viewing["active"]:
            await self._ask_runner("runner.leave")

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Handle runner messages directly, the rest as channels does.

        Channels hops to its one database thread (`close_old_connections`) before every
        message; for frames, many a second per viewer, that queue became the lag. The
        run handlers reach the database only through `database_sync_to_async`, which
        does that clean-up itself.
        """
        handler = self._runner_handlers.get(message["type"])
        if handler is None:
            await super().dispatch(message)
        else:
            if self.watch is not None:
                self.watch.heard(message["type"])
            await handler(message)

    @property
    def _runner_handlers(self) -> dict[str, Any]:
        return {
            "run.sync": self.run_sync,
            "run.frame": self.run_frame,
            "run.event": self.run_event,
            "run.status": self.run_status,
            "run.error": self.run_error,
            "run.ended": self.run_ended,
            "run.alive": self.run_alive,
        }

    # -- from the viewer ------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            control = parse_message(text_data, self.limits)
        except ControlError as exc:
            await self._send({"type": "error", "error": str(exc)})
            return
        action = control["action"]
        if not self.viewing["is_owner"]:
            await self._send(
                {"type": "error", "action": action, "error": f"{action}: only the run's owner can"}
            )
            return
        if not self.bucket.allow():
            await self._send(
                {
                    "type": "error",
                    "action": action,
                    "error": f"{action}: too many controls; at most "
                    f"{settings.LIVE_CONTROL_RATE:g} a second",
                }
            )
            return
        if self.watch is not None:
            self.watch.asked(action)
        await self._ask_runner("runner.control", control=control, by=self.username)

    # -- from the runner (channel-layer handlers) -------------------------------------

    async def run_sync(self, message: dict[str, Any]) -> None:
        if not self.syncing:
            return
        if self.fallback is not None:
            self.fallback.cancel()
        state = message["state"]
        self.events_seen = message["event_count"]
        await self._hello(message["series"], message["frame"], message["events"], state)
        self.syncing = False
        for held in self.held:
            await self._dispatch_held(held)
        self.held = []

    async def run_frame(self, message: dict[str, Any]) -> None:
        if self.syncing:
            self.held.append(message)
            return
        if message["tick"] <= self.last_tick:
            return
        self.last_tick = message["tick"]
        for event in message["events"]:
            await self._send({"type": "event", "event": event})
        # The runner serialised the frame once for every viewer.
        self.pending_frame = message["text"]
        wait = self.last_sent_at + self.min_interval - time.monotonic()
        if wait <= 0:
            await self._flush_frame()
        elif self.flusher is None or self.flusher.done():
            self.flusher = asyncio.create_task(self._flush_frame_later(wait))

    async def run_event(self, message: dict[str, Any]) -> None:
        """A control's event, sent as it was applied (the run may be paused)."""
        if self.syncing:
            self.held.append(message)
            return
        if message["seq"] < self.events_seen:
            return  # the `hello` had it already
        self.events_seen = message["seq"] + 1
        await self._send({"type": "event", "event": message["event"]})

    async def run_status(self, message: dict[str, Any]) -> None:
        if self.syncing:
            self.held.append(message)
            return
        await self._send(_status_message(message))

    async def run_error(self, message: dict[str, Any]) -> None:
        await self._send(
            {"type": "error", "action": message.get("action"), "error": message["error"]}
        )

    async def run_alive(self, message: dict[str, Any]) -> None:
        """The runner's heartbeat: nothing to pass on (`dispatch` noted it)."""

    async def run_ended(self, message: dict[str, Any]) -> None:
        if self.syncing:
            self.held.append(message)
            return
        if self.ended:
            return  # told by the runner and by a sweep
        self.ended = True
        error = self.watch.unanswered(message) if self.watch is not None else None
        if error is not None:
            await self._send(error)
        await self._flush_frame()
        await self._send(
            {
                "type": "ended",
                "status": message["status"],
                "reason": message["reason"],
                "summary": message["summary"],
                "checks": message["checks"],
                "tick": message["tick"],
            }
        )
        await self.close(code=1000)

    async def share_revoked(self, message: dict[str, Any]) -> None:
        """A share link this socket's access rests on was revoked."""
        await self._refuse(CLOSE_FORBIDDEN, REVOKED)

    # -- helpers -------------------------------------------------------------------

    async def _refuse_to_connect(self, code: int, reason: str) -> None:
        await self.accept()
        await self._refuse(code, reason)

    async def _refuse(self, code: int, reason: str) -> None:
        """Say why in an `error`, then close with `code`."""
        await self._send({"type": "error", "error": reason, "code": code})
        await self.close(code=code)

    async def _runner_gone(self, ended: dict[str, Any]) -> None:
        """The run is over though its runner did not say so to this viewer."""
        if self.syncing:
            await self._hello_from_recording(end=True)
        else:
            await self.run_ended(ended)

    async def _dispatch_held(self, message: dict[str, Any]) -> None:
        handlers = {
            "run.frame": self.run_frame,
            "run.event": self.run_event,
            "run.status": self.run_status,
            "run.ended": self.run_ended,
        }
        await handlers[message["type"]](message)

    async def _ask_runner(self, kind: str, **fields: Any) -> None:
        await self.channel_layer.group_send(
            runner_group(self.run_id), {"type": kind, "reply_to": self.channel_name, **fields}
        )

    async def _hello(
        self,
        series: dict[str, list[Any]],
        frame: dict[str, Any] | None,
        events: list[dict[str, Any]],
        state: dict[str, Any],
    ) -> None:
        """Greet the viewer: the run, the newest ticks of the charts after `since`, the
        newest frame, and the newest events. The design comes from `design.json`, older
        charts from `series.json` and frames to scrub the timeline from `replay.json`,
        so the greeting grows neither with the design nor with the run."""
        viewing = self.viewing
        if series["tick"]:
            self.last_tick = max(self.last_tick, series["tick"][-1])
        hello: dict[str, Any] = {
            "type": "hello",
            "run": {
                "id": viewing["id"],
                "owner": viewing["owner"],
                "is_owner": viewing["is_owner"],
                "design_name": viewing["design_name"],
                "scenario_name": viewing["scenario_name"],
                "scenario": viewing["scenario"],
                "seed": viewing["seed"],
                "status": state["status"],
                "reason": state.get("reason", ""),
                "speed": state.get("speed", viewing["speed"]),
                "tick": self.last_tick,
            },
            "limits": {
                "max_speed": settings.LIVE_MAX_SPEED,
                "allow_max": settings.LIVE_ALLOW_UNPACED,
                "max_fps": settings.LIVE_VIEWER_MAX_FPS,
            },
        }
        hello.update(series=series, frame=frame, events=events)
        await self._send(hello)

    async def _hello_from_recording(self, *, end: bool) -> None:
        recording = await _load_recording(self.run_id, self.since)
        state = {"status": recording["status"], "reason": recording["reason"]}
        self.events_seen = recording["event_count"]
        await self._hello(recording["series"], recording["frame"], recording["events"], state)
        self.syncing = False
        if end and not recording["active"]:
            await self.run_ended(
                {
                    "status": recording["status"],
                    "reason": recording["reason"],
                    "summary": recording["summary"],
                    "checks": recording["checks"],
                    "tick": self.last_tick,
                }
            )
            return
        for held in self.held:
            await self._dispatch_held(held)
        self.held = []

    async def _hello_from_recording_later(self) -> None:
        """Ask again while the runner starts; if none answers, greet from the database."""
        for _attempt in range(3):
            await asyncio.sleep(settings.LIVE_SYNC_TIMEOUT_S)
            if not self.syncing:
                return
            if not await _is_active(self.run_id):
                break
            await self._ask_runner("runner.sync", since=self.since)
        await asyncio.sleep(settings.LIVE_SYNC_TIMEOUT_S)
        if self.syncing:
            await self._hello_from_recording(end=True)

    async def _flush_frame(self) -> None:
        if self.pending_frame is None:
            return
        text, self.pending_frame = self.pending_frame, None
        self.last_sent_at = time.monotonic()
        await self.send(text_data=text)

    async def _flush_frame_later(self, wait: float) -> None:
        await asyncio.sleep(wait)
        await self._flush_frame()

    async def _send(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message, separators=(",", ":")))

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        """Every message to the viewer goes through here: one over the limit (Daphne drops
        anything over 1 MiB without a word) is replaced by an error saying so."""
        if text_data is None:
            size = len(bytes_data or b"")
        else:
            # Frames are ASCII: their length is their size, with no copy made per viewer.
            size = len(text_data) if text_data.isascii() else len(text_data.encode())
        limit = settings.LIVE_MAX_MESSAGE_BYTES
        if size > limit:
            log.error("run %s: a %d-byte message was not sent (limit %d)", self.run_id, size, limit)
            text_data = json.dumps(
                {
                    "type": "error",
                    "error": f"The server had a message of {size:,} bytes for this page, more "
                    f"than its limit of {limit:,}; it was not sent. Reload the page.",
                }
            )
            bytes_data = None
        await super().send(text_data=text_data, bytes_data=bytes_data, close=close)


def _status_message(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "status",
        "status": message["status"],
        "reason": message["reason"],
        "speed": message["speed"],
        "tick": message["tick"],
    }


def _query(scope: dict[str, Any], name: str, default: str = "") -> str:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return query.get(name, [default])[0]


def _since(scope: dict[str, Any]) -> int:
    """The last tick a reconnecting viewer already has (`?since=`), else -1 (as for
    anything that cannot be a tick)."""
    try:
        since = int(_query(scope, "since", "-1"))
    except ValueError:
        return -1
    # Past MAX_TICK, Redis's channel layer cannot even pack the number (msgpack stops at
    # 2**64), and the viewer would wait for that tick forever.
    return since if 0 <= since <= MAX_TICK else -1
