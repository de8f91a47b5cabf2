"""Message queue: a durable buffer between producers and workers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..frame import NodeFrame
from ..metrics import gamma_p95_ms
from ..queueing import _mmc
from .base import BACKGROUND, BACKGROUND_K, EPS, NCLASS, Kind, keep, memo, pick
from .look import Look
from .params import SIZE_TIERS, Param, serving_params

if TYPE_CHECKING:
    from ..engine import Engine


class MessageQueue(Kind):
    kind = "message_queue"
    label = "Message queue"
    group = "async"
    look = Look("rectangle", "#ca8a04", "queue")
    help = (
        "Producers publish jobs here and go on; workers consume them at their capacity. "
        "While workers are down the backlog and the age of the oldest message grow, and "
        "nothing is lost until the queue holds max_messages."
    )
    params = (
        *serving_params(concurrency=100, service_ms=1.0),
        Param(
            "max_messages",
            "int",
            1_000_000,
            "Most messages held; new ones are rejected above it.",
            unit="messages",
            min=1,
            max=1_000_000_000,
        ),
    )
    links_to = ("worker",)

    @classmethod
    def route(cls, request_class: str, targets: dict[str, list[str]], params: dict) -> list[str]:
        return pick(targets, "worker") if request_class == BACKGROUND else []

    def serve(
        self,
        engine: Engine,
        i: int,
        p: dict,
        lam: list[float],
        dropped: list[float],
        n: int,
        c: int,
        mu: float,
        ca2: float,
    ) -> NodeFrame | None:
        """Publishes are acknowledged and stored; the workers pull what they can."""
        dt = engine.dt
        lam_total = sum(lam)
        dead_total = sum(dropped)
        stored = stored_before = engine.messages[i]
        accepted = 0.0
        w = v = p95 = util = 0.0
        if n > 0 and lam_total > 0.0:
            cap = n * c * mu
            accepted = min(lam_total, cap * (1.0 - 1e-6))
            # Valid by construction (below capacity, c >= 1): the memoised solver is
            # called without the public function's argument checks, as the engine does.
            st = _mmc(accepted / n, mu, c, ca2)
            w, v, util = st.mean_response, st.response_var, st.rho
            p95 = gamma_p95_ms(w, v)
        refused = lam_total - accepted
        room = p["max_messages"] - stored
        overflow = max(0.0, accepted * dt - room) / dt
        accepted -= overflow
        frac_ok = accepted / lam_total if lam_total > 0 else 0.0
        for k in range(NCLASS):
            dropped[k] += lam[k] * (1.0 - frac_ok)
            if lam[k] > 0.0 and frac_ok > 0.0:
                at = i * NCLASS + k
                mean_in = engine.in_m1[at] / engine.in_r[at]
                e2_in = engine.in_m2[at] / engine.in_r[at]
                engine.exits[k].append(
                    (lam[k] * frac_ok, mean_in + w, e2_in + 2.0 * mean_in * w + v + w * w)
                )
        stored += accepted * dt
        feeds, capacity = worker_feeds(engine, i)
        pulled = min(stored, capacity * dt) if engine.alive[i] > 0 else 0.0
        stored -= pulled
        engine.messages[i] = stored
        if stored > 0.0:
            engine._unsettled = True
        if pulled > 0.0:
            engine.age[i] = stored / (pulled / dt)
        elif stored > 0.0:
            engine.age[i] += dt
        else:
            engine.age[i] = 0.0
        for wk, li, cw in feeds:
            if cw > 0.0:
                engine._send(wk, li, BACKGROUND_K, pulled / dt * cw / capacity, 0.0, 0.0, 1.0, 0.0)
        engine._count_drops(dropped)
        drop_total = sum(dropped)
        reason = None
        full = stored >= p["max_messages"] - EPS
        if full:
            reason = "backlog full"
        elif refused > EPS:
            reason = "saturated"
        status, health, reason = engine._health(
            i, n, util, drop_total - dead_total, dead_total, reason, 0.0, lam_total + dead_total
        )
        if health == "ok" and stored > 0.0 and capacity == 0.0:
            health, reason = "warning", "no consumers: backlog growing"
        x = {"messages": stored, "age_s": engine.age[i], "max_messages": p["max_messages"]}
        return NodeFrame(
            status,
            health,
            reason,
            lam_total + dead_total,
            pulled / dt,
            stored,
            drop_total,
            util,
            w * 1000.0,
            p95,
            engine.inst[i],
            n,
            x,
            stored_before,
            v,
        )


def worker_feeds(engine: Engine, i: int) -> tuple[list[tuple[int, int, float]], float]:
    """Each worker tier queue ``i`` feeds, as ``(worker, link, jobs per second it can take)``,
    and their sum; kept until the next change (``memo``)."""
    held = memo(engine, i)
    if held is None:
        m = engine.model
        links = [(b, li) for b, li in m.targets[i] if m.kind_of[b].pulls_from_queues]
        caps, capacity = worker_capacities(engine, i)
        feeds = [(wk, li, cw) for (wk, li), cw in zip(links, caps, strict=True)]
        held = keep(engine, i, (feeds, capacity))
    return held


def worker_capacities(engine: Engine, i: int) -> tuple[list[float], float]:
    """Jobs per second each worker tier of queue ``i`` can take from it, and their sum.

    A tier fed by several queues splits its capacity evenly among them.
    """
    m = engine.model
    capacity = 0.0
    caps = []
    for wk in m.consumers[i]:
        if engine._alive(wk) == 0:
            caps.append(0.0)
            continue
        pw = engine.params[wk]
        cw = (
            engine._alive(wk)
            * pw["concurrency"]
            * SIZE_TIERS[pw["size"]][0]
            * 1000.0
            / pw["service_ms"]
        )
        cw /= max(len(m.queues_of[wk]), 1)
        caps.append(cw)
        capacity += cw
    return caps, capacity
