"""How a node's tick is graded: status (up, down, degraded, starting), health and why;
and a serving node's graded frame, built the same way for every serving kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .components.base import EPS
from .frame import NodeFrame

if TYPE_CHECKING:
    from .state import State

WARN_UTIL = 0.7
CRITICAL_UTIL = 0.9
# Shares of a node's offered load it drops (queue limit, timeouts) that grade it warning and
# critical: a limited queue blocks a sliver of its arrivals at any load (M/M/c/K), so some
# drops are normal; 1% of requests failing is not.
DROP_WARN = 0.001
DROP_CRITICAL = 0.01


def grade(
    state: State,
    i: int,
    n: int,
    util: float,
    dropped: float,
    dead: float,
    reason: str | None,
    queued: float,
    offered: float,
) -> tuple[str, str, str | None]:
    """(status, health, reason) of node ``i`` with ``n`` instances serving: graded by
    utilisation, backlog and the share of the ``offered`` req/s that is ``dropped``
    (``dead``: sent to dead instances). ``reason``, when given, is the kind's own why."""
    total = state.inst[i]
    if n == 0:
        if state.starting[i] and not state.unavailable(i) and not state.dead_times[i]:
            return "starting", "starting", reason or "starting"
        dc = state.model.dc_of[i]
        if dc >= 0 and state.failed[dc]:
            return "down", "down", "datacenter down"
        if i in state.resizing and not state.failed[i] and not state.dead_times[i]:
            return "down", "down", "resizing"
        return "down", "down", reason or "dead"
    status = "degraded" if n < total else "up"
    if dead > EPS:
        return status, "critical", reason or "traffic to a dead instance"
    drop_share = dropped / offered if offered > 0.0 else (1.0 if dropped > EPS else 0.0)
    if queued > EPS and dropped > EPS:
        return status, "critical", reason or "backlog full"
    if drop_share >= DROP_CRITICAL:
        saturated = util >= CRITICAL_UTIL
        return status, "critical", reason or ("saturated" if saturated else "dropping requests")
    if util >= CRITICAL_UTIL or queued > EPS:
        return status, "critical", reason or "saturated"
    if drop_share >= DROP_WARN:
        return status, "warning", reason or "dropping requests"
    if util >= WARN_UTIL:
        return status, "warning", reason or "near saturation"
    if status == "degraded":
        out = "resizing" if i in state.resizing else "instances down"
        return status, "warning", reason or out
    if reason:
        return status, "warning", reason
    return status, "ok", None


def serving_frame(
    state: State,
    i: int,
    n: int,
    offered: float,
    served: float,
    queued: float,
    dropped: float,
    dead: float,
    util: float,
    w: float,
    v: float,
    p95: float | Callable[[], float],
    reason: str | None,
    x: dict,
    queued_before: float,
    graded_queued: float | None = None,
    inst: int | None = None,
) -> NodeFrame:
    """A serving node's frame, graded (``health.grade``): rates in req/s, ``w`` and ``v``
    its response time's mean and variance (s, s^2), ``dead`` the part of ``dropped`` sent
    to dead instances. ``graded_queued`` (default ``queued``) is the backlog that counts
    against its health; ``inst`` (default: instances serving and starting) its count."""
    status, health, reason = grade(
        state, i, n, util, dropped - dead, dead, reason,
        queued if graded_queued is None else graded_queued, offered,
    )  # fmt: skip
    if inst is None:
        inst = state.inst[i] + len(state.starting[i])
    # Positional (see ``sources.client_tick``): status, health, reason, offered, served,
    # queued, dropped, util, lat, p95, inst, ready, x, queued_before, var.
    return NodeFrame(status, health, reason, offered, served, queued, dropped, util, w * 1000.0,
                     p95, inst, n, x, queued_before, v)  # fmt: skip
