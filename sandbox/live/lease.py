"""A run's lease: its runner proves it is alive, and anyone may end a run whose runner died.

A runner renews its lease every `LIVE_HEARTBEAT_S`, whatever its run is doing
(waiting for start, paused, ticking, saving slowly): a cheap UPDATE of
`heartbeat_at`, a re-join of its group (Redis forgets groups when it restarts)
and a `run.alive` message to the viewers. A run whose heartbeat is older than
`LIVE_STALE_S` has lost its runner (its process was killed, or its machine
died): `sweep_stale_runs` marks it `failed: its runner stopped` with one
conditional UPDATE, so two sweepers never both claim it, and tells its viewers.
Pages and lists that show a run's status sweep first; every viewer's consumer
keeps a `RunnerWatch` that sweeps its run once the runner has been silent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from django.utils import timezone

from sandbox.live.models import ACTIVE_STATUSES, RUNNER_STOPPED, Run, RunStatus
from sandbox.live.summary import end_fields

log = logging.getLogger(__name__)


# -- the runner's side ------------------------------------------------------------------


@database_sync_to_async
def _renew(run_id: str) -> bool:
    """Stamp the heartbeat; False once the run is no longer active (someone ended it)."""
    updated = Run.objects.filter(pk=run_id, status__in=ACTIVE_STATUSES).update(
        heartbeat_at=timezone.now()
    )
    return updated == 1


class Lease:
    """Keeps one run's lease while its runner lives; `on_lost` is called if it is lost.

    The lease is lost when the database says the run ended without this runner
    (a sweeper took it while this process stalled for longer than `LIVE_STALE_S`);
    the runner then ends the run the way viewers were already told.
    """

    def __init__(
        self,
        run_id: str,
        layer: BaseChannelLayer,
        *,
        channel: str,
        runner_group: str,
        viewers_group: str,
        on_lost: Callable[[], None],
    ) -> None:
        self.run_id = run_id
        self.layer = layer
        self.channel = channel
        self.runner_group = runner_group
        self.viewers_group = viewers_group
        self.on_lost = on_lost
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._renew_forever(), name=f"lease {self.run_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _renew_forever(self) -> None:
        while True:
            if not await self.renew():
                self.on_lost()
                return
            await asyncio.sleep(settings.LIVE_HEARTBEAT_S)

    async def renew(self) -> bool:
        """One heartbeat; False if the run was ended by someone else."""
        try:
            if not await _renew(self.run_id):
                log.warning("run %s: its lease was taken; the run ends", self.run_id)
                return False
        except Exception:
            # The database may come back before the lease runs out: keep trying.
            log.exception("run %s: could not renew its lease", self.run_id)
        try:
            await self.layer.group_add(self.runner_group, self.channel)
            await self.layer.group_send(self.viewers_group, {"type": "run.alive"})
        except Exception as exc:
            log.warning("run %s: channel layer unreachable (%s)", self.run_id, exc)
        return True


class TolerantLayer:
    """A channel layer whose sends never raise: a runner keeps going while Redis is down.

    A failed send is logged once per outage, and sends are skipped for
    `PAUSE_S` after a failure rather than tried (and timed out) at every tick.
    Receiving and group membership are the wrapped layer's own.
    """

    PAUSE_S = 1.0

    def __init__(self, layer: BaseChannelLayer, clock: Callable[[], float] = time.monotonic):
        self._layer = layer
        self._clock = clock
        self._down_until = 0.0
        self._down = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._layer, name)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        await self._tolerantly(self._layer.send, channel, message)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await self._tolerantly(self._layer.group_send, group, message)

    async def group_discard(self, group: str, channel: str) -> None:
        await self._tolerantly(self._layer.group_discard, group, channel)

    async def _tolerantly(self, method: Callable[..., Awaitable[None]], *args: Any) -> None:
        if self._clock() < self._down_until:
            return
        try:
            await method(*args)
        except ChannelFull:
            raise
        except Exception as exc:
            if not self._down:
                log.warning("channel layer unreachable (%s); publishing paused", exc)
            self._down = True
            self._down_until = self._clock() + self.PAUSE_S
            return
        if self._down:
            log.warning("channel layer reachable again; publishing resumed")
            self._down = False


def tolerant(layer: BaseChannelLayer) -> TolerantLayer:
    return layer if isinstance(layer, TolerantLayer) else TolerantLayer(layer)


# -- anyone's side: sweeping runs whose runner is gone -------------------------------------


def _ended_message(run: Run) -> dict[str, Any]:
    """The `run.ended` group message for a run as the database holds it."""
    return {
        "type": "run.ended",
        "status": str(run.status),
        "reason": run.failure_reason,
        **end_fields(run.report),
        # Ticks are numbered from 1, so the last recorded one is the count.
        "tick": run.ticks or -1,
        "series": None,
    }


def sweep_stale_runs(run_id: Any = None) -> list[str]:
    """Mark every active run whose runner went silent (or only `run_id`) as failed.

    Returns the ids this call marked; their viewers have been told. Sync (for
    views and `database_sync_to_async`); a channel layer that is down only means
    viewers learn it from the database when their page reconnects.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.LIVE_STALE_S)
    stale = Run.objects.filter(status__in=ACTIVE_STATUSES, heartbeat_at__lt=cutoff)
    if run_id is not None:
        stale = stale.filter(pk=run_id)
    marked = []
    for pk in stale.values_list("pk", flat=True):
        # Conditional on staleness again: a runner that just renewed keeps its run,
        # and of two sweepers only one marks it.
        claimed = Run.objects.filter(
            pk=pk, status__in=ACTIVE_STATUSES, heartbeat_at__lt=cutoff
        ).update(status=RunStatus.FAILED, failure_reason=RUNNER_STOPPED, ended_at=timezone.now())
        if claimed:
            log.warning("run %s: its runner went silent; marked failed", pk)
            marked.append(str(pk))
            _tell_viewers(Run.objects.get(pk=pk))
    return marked


def with_honest_status(run: Run) -> Run:
    """`run`, marked failed first if its runner went silent (so nobody is shown a run
    "running" that nothing runs)."""
    if run.is_lost and sweep_stale_runs(run.pk):
        run.refresh_from_db()
    return run


def _tell_viewers(run: Run) -> None:
    try:
        async_to_sync(get_channel_layer().group_send)(run.group_name, _ended_message(run))
    except Exception as exc:
        log.warning("run %s: could not tell its viewers it failed (%s)", run.pk, exc)


@database_sync_to_async
def check_runner(run_id: Any) -> dict[str, Any] | None:
    """Sweep `run_id` if its lease ran out; the `run.ended` message if it is over, else None."""
    sweep_stale_runs(run_id)
    run = Run.objects.get(pk=run_id)
    return None if run.is_active else _ended_message(run)


class RunnerWatch:
    """A viewer's watch over its run's runner (one per consumer of an active run).

    Every message from the runner counts as a sign of life (`heard`); once it has
    been silent for longer than a heartbeat and a half, the watch checks the lease
    twice a heartbeat, and calls `on_gone` with the `run.ended` message when the run
    is over (swept here or elsewhere, or ended while this viewer missed it).
    `awaiting` is the action of a control the runner has not answered (`asked`).
    """

    def __init__(
        self,
        run_id: str,
        on_gone: Callable[[dict[str, Any]], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.run_id = run_id
        self.on_gone = on_gone
        self.clock = clock
        self.heard_at = clock()
        self.awaiting: str | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch(), name=f"watch {self.run_id}")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def heard(self, message_type: str) -> None:
        self.heard_at = self.clock()
        # A heartbeat says the runner lives, an end that the run is over: neither that
        # the runner took the control.
        if message_type not in ("run.alive", "run.ended"):
            self.awaiting = None

    def asked(self, action: str) -> None:
        self.awaiting = action

    def unanswered(self, ended: dict[str, Any]) -> dict[str, Any] | None:
        """The error for a control the runner never answered before the run ended."""
        action, self.awaiting = self.awaiting, None
        if action is None:
            return None
        if ended["reason"] == RUNNER_STOPPED:
            error = f"{action}: the run's runner stopped"
        else:
            error = f"{action}: the run has already {ended['status']}"
        return {"type": "error", "action": action, "error": error}

    @property
    def silent(self) -> bool:
        return self.clock() - self.heard_at > 1.5 * settings.LIVE_HEARTBEAT_S

    async def check(self) -> dict[str, Any] | None:
        """The run's `run.ended` message if it is over (sweeping it if its lease ran out)."""
        try:
            return await check_runner(self.run_id)
        except Exception:
            log.exception("run %s: could not check its runner's lease", self.run_id)
            return None

    async def _watch(self) -> None:
        while True:
            # Twice a heartbeat: a lease runs out at most half a heartbeat before it is seen.
            await asyncio.sleep(settings.LIVE_HEARTBEAT_S / 2)
            if not self.silent:
                continue
            ended = await self.check()
            if ended is not None:
                self._task = None
                await self.on_gone(ended)
                return
