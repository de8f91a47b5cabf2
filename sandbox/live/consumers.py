"""The WebSocket of a live run, `/ws/runs/<id>/`: viewers watch, the owner steers.

Thin by design: it checks who is connecting, forwards checked controls to the
run's runner, and passes the runner's messages to its `ViewerSync`
(`viewer_sync.py`), which says what the viewer is sent: frames at most
`LIVE_VIEWER_MAX_FPS` a second (a slow viewer gets the newest frame, never a
backlog), every event.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.http import Http404

from sandbox.access import held_tokens
from sandbox.live.access import get_watchable_run, share_group
from sandbox.live.lease import RunnerWatch, with_honest_status
from sandbox.live.persistence import is_live, load_recording
from sandbox.live.protocol import SpeedLimits, TokenBucket, parse_message
from sandbox.live.runner import runner_group, viewers_group
from sandbox.live.viewer_sync import Close, FlushLater, HelloLimits, Out, ViewerSync
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
        self.sync = ViewerSync(
            viewing, since=self.since, limits=_hello_limits(), unanswered=self._unanswered
        )
        self.flusher: asyncio.Task[None] | None = None
        self.fallback: asyncio.Task[None] | None = None
        self.watch: RunnerWatch | None = None
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
            await self._hello_from_recording()

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

    # -- from the runner (channel-layer handlers; `ViewerSync` decides what to send) --

    async def run_sync(self, message: dict[str, Any]) -> None:
        if self.sync.syncing and self.fallback is not None:
            self.fallback.cancel()
        await self._deliver(self.sync.synced(message))

    async def run_frame(self, message: dict[str, Any]) -> None:
        await self._deliver(self.sync.frame(message))

    async def run_event(self, message: dict[str, Any]) -> None:
        await self._deliver(self.sync.event(message))

    async def run_status(self, message: dict[str, Any]) -> None:
        await self._deliver(self.sync.status(message))

    async def run_error(self, message: dict[str, Any]) -> None:
        await self._send(
            {"type": "error", "action": message.get("action"), "error": message["error"]}
        )

    async def run_alive(self, message: dict[str, Any]) -> None:
        """The runner's heartbeat: nothing to pass on (`dispatch` noted it)."""

    async def run_ended(self, message: dict[str, Any]) -> None:
        await self._deliver(self.sync.end(message))

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

    def _unanswered(self, ended: dict[str, Any]) -> dict[str, Any] | None:
        return self.watch.unanswered(ended) if self.watch is not None else None

    async def _runner_gone(self, ended: dict[str, Any]) -> None:
        """The run is over though its runner did not say so to this viewer."""
        if self.sync.syncing:
            await self._hello_from_recording()
        else:
            await self.run_ended(ended)

    async def _ask_runner(self, kind: str, **fields: Any) -> None:
        await self.channel_layer.group_send(
            runner_group(self.run_id), {"type": kind, "reply_to": self.channel_name, **fields}
        )

    async def _hello_from_recording(self) -> None:
        recording = await load_recording(self.run_id, self.since)
        await self._deliver(self.sync.recorded(recording))

    async def _hello_from_recording_later(self) -> None:
        """Ask again while the runner starts; if none answers, greet from the database."""
        for _attempt in range(3):
            await asyncio.sleep(settings.LIVE_SYNC_TIMEOUT_S)
            if not self.sync.syncing:
                return
            if not await is_live(self.run_id):
                break
            await self._ask_runner("runner.sync", since=self.since)
        await asyncio.sleep(settings.LIVE_SYNC_TIMEOUT_S)
        if self.sync.syncing:
            await self._hello_from_recording()

    async def _flush_frame_later(self, wait: float) -> None:
        await asyncio.sleep(wait)
        await self._deliver(self.sync.flush_due())

    async def _deliver(self, out: list[Out]) -> None:
        """Send what the viewer's sync returned, in its order."""
        for item in out:
            if isinstance(item, str):
                await self.send(text_data=item)
            elif isinstance(item, FlushLater):
                self.flusher = asyncio.create_task(self._flush_frame_later(item.seconds))
            elif isinstance(item, Close):
                await self.close(code=item.code)
            else:
                await self._send(item)

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


def _hello_limits() -> HelloLimits:
    return HelloLimits(
        max_speed=settings.LIVE_MAX_SPEED,
        allow_max=settings.LIVE_ALLOW_UNPACED,
        max_fps=settings.LIVE_VIEWER_MAX_FPS,
    )


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
