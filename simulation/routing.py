"""A router's tick (split without queueing) and a group's (a data centre's) frame."""

from __future__ import annotations

from .components.base import EPS, NCLASS, SYNC
from .frame import NodeFrame
from .health import grade
from .state import State


def router_tick(state: State, i: int) -> NodeFrame:
    """Split each class over the routes by the kind's weights; nothing waits here."""
    m = state.model
    flow = state.flow
    base = i * NCLASS
    lam = flow.in_r[base : base + NCLASS]
    dead_in = flow.in_dead[base : base + NCLASS]
    offered = sum(lam) + sum(dead_in)
    ca2_in = flow.in_ca2[i] / sum(lam) if sum(lam) > 0 else 1.0
    dropped = sum(dead_in)
    flow.count_drops(dead_in)
    if state.alive[i] == 0:
        # A failed router (or one in a failed data centre) passes nothing on.
        flow.count_drops(lam)
        status, health, reason = grade(state, i, 0, 0.0, 0.0, 0.0, None, 0.0, offered)
        return NodeFrame(status=status, health=health, reason=reason, offered=offered,
                         served=0.0, queued=0.0, dropped=offered, util=0.0, lat=0.0,
                         p95_ms=0.0, inst=1, ready=0, x={})  # fmt: skip
    kind = m.kind_of[i]
    p = state.params[i]
    for k in range(NCLASS):
        if lam[k] <= 0.0:
            continue
        targets = m.routes[i][k]
        weights = kind.weights(state, i, p, targets)
        total = sum(weights)
        if total <= 0.0:
            dropped += lam[k]
            if k < SYNC:
                flow.sync_dropped += lam[k]
            continue
        m1 = flow.in_m1[base + k] / lam[k]
        m2 = flow.in_m2[base + k] / lam[k]
        for (j, li), w in zip(targets, weights, strict=True):
            if w <= 0.0:
                continue
            share = w / total
            dead = state.passive_dead[j]
            flow.send(j, li, k, lam[k] * share, m1, m2, share * ca2_in + 1 - share, dead)
    served = offered - dropped
    health, reason = ("ok", None)
    if dropped > EPS:
        health, reason = "critical", "no healthy target"
    # Positional (see ``sources.client_tick``): status, health, reason, offered, served,
    # queued, dropped, util, lat, p95, inst, ready, x.
    return NodeFrame("up", health, reason, offered, served, 0.0, dropped, 0.0, 0.0, 0.0, 1, 1,
                     {})  # fmt: skip


def group_frame(state: State, i: int) -> NodeFrame:
    """A data centre is up or down as a whole; it serves nothing itself."""
    down = state.failed[i]
    return NodeFrame(
        status="down" if down else "up",
        health="down" if down else "ok",
        reason="dead" if down else None,
        offered=0.0,
        served=0.0,
        queued=0.0,
        dropped=0.0,
        util=0.0,
        lat=0.0,
        p95_ms=0.0,
        inst=1,
        ready=0 if down else 1,
        x={},
    )
