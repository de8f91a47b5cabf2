"""Message queue: a durable buffer between producers and workers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..frame import NodeFrame
from ..health import serving_frame
from ..latency import gamma_p95_ms
from ..queueing import mmc_unchecked
from .base import BACKGROUND, BACKGROUND_K, EPS, NCLASS, Arrivals, Field, Kind, keep, memo, pick
from .look import Look
from .params import Param, servers_per_instance, serving_params

if TYPE_CHECKING:
    from ..state import State


# The age of the oldest message that grades a queue warning and critical: jobs are queued
# to be done soon, and a queue whose oldest job waits a minute has fallen behind.
AGE_WARNING_S = 10.0
AGE_CRITICAL_S = 60.0


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
    completes = ("job",)
    passes_on = (("job", "background"),)  # its workers take them as background work
    # Messages stored, and the age (s) of the oldest.
    state_fields = (Field("messages"), Field("age"))

    @classmethod
    def route(cls, request_class: str, targets: dict[str, list[str]], params: dict) -> list[str]:
        return pick(targets, "worker") if request_class == BACKGROUND else []

    def serve(self, state: State, i: int, p: dict, arrivals: Arrivals) -> NodeFrame | None:
        """Publishes are acknowledged and stored; the workers pull what they can."""
        dt = state.dt
        flow = state.flow
        lam, dropped, n = arrivals.lam, arrivals.dropped, arrivals.n
        lam_total = sum(lam)
        dead_total = sum(dropped)
        stored = stored_before = state.messages[i]
        accepted = 0.0
        w = v = p95 = util = 0.0
        if n > 0 and lam_total > 0.0:
            c, mu = arrivals.c, arrivals.mu
            accepted = min(lam_total, n * c * mu * (1.0 - 1e-6))
            # Below capacity by construction, with c >= 1: no argument checks needed.
            st = mmc_unchecked(accepted / n, mu, c, arrivals.ca2)
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
                mean_in, e2_in = flow.latency_in(i, k)
                flow.complete(k, lam[k] * frac_ok, mean_in + w,
                              e2_in + 2.0 * mean_in * w + v + w * w)  # fmt: skip
        stored += accepted * dt
        feeds, capacity = worker_feeds(state, i)
        pulled = min(stored, capacity * dt) if state.alive[i] > 0 else 0.0
        stored -= pulled
        state.messages[i] = stored
        if stored > 0.0:
            state.unsettled = True
        if pulled > 0.0:
            state.age[i] = stored / (pulled / dt)
        elif stored > 0.0:
            state.age[i] += dt
        else:
            state.age[i] = 0.0
        for wk, li, cw in feeds:
            if cw > 0.0:
                flow.send(wk, li, BACKGROUND_K, pulled / dt * cw / capacity, 0.0, 0.0, 1.0, 0.0)
        flow.count_drops(dropped)
        reason = None
        if stored >= p["max_messages"] - EPS:
            reason = "backlog full"
        elif refused > EPS:
            reason = "saturated"
        x = {"messages": stored, "age_s": state.age[i], "max_messages": p["max_messages"]}
        # Stored messages wait by design: they count against health only when full.
        frame = serving_frame(state, i, n, lam_total + dead_total, pulled / dt, stored,
                              sum(dropped), dead_total, util, w, v, p95, reason, x,
                              stored_before, graded_queued=0.0, inst=state.inst[i])  # fmt: skip
        if frame.health == "ok" and stored > 0.0:
            # A queue's health follows its backlog: held messages wait by design, but a
            # backlog that grows, or whose oldest message waits long, is falling behind.
            if state.age[i] >= AGE_CRITICAL_S:
                frame.health, frame.reason = "critical", "backlog over a minute old"
            elif capacity == 0.0:
                frame.health, frame.reason = "warning", "no consumers: backlog growing"
            elif stored > stored_before + EPS:
                frame.health, frame.reason = "warning", "backlog growing"
            elif state.age[i] >= AGE_WARNING_S:
                frame.health, frame.reason = "warning", "backlog draining"
        return frame


def worker_feeds(state: State, i: int) -> tuple[list[tuple[int, int, float]], float]:
    """Each worker tier queue ``i`` feeds, as ``(worker, link, jobs per second it can take)``,
    and their sum; kept until the next change (``memo``)."""
    held = memo(state, i)
    if held is None:
        m = state.model
        links = [(b, li) for b, li in m.targets[i] if m.kind_of[b].pulls_from_queues]
        caps, capacity = worker_capacities(state, i)
        feeds = [(wk, li, cw) for (wk, li), cw in zip(links, caps, strict=True)]
        held = keep(state, i, (feeds, capacity))
    return held


def worker_capacities(state: State, i: int) -> tuple[list[float], float]:
    """Jobs per second each worker tier of queue ``i`` can take from it, and their sum.

    A tier fed by several queues splits its capacity evenly among them.
    """
    m = state.model
    capacity = 0.0
    caps = []
    for wk in m.consumers[i]:
        if state.count_alive(wk) == 0:
            caps.append(0.0)
            continue
        pw = state.params[wk]
        cw = state.count_alive(wk) * servers_per_instance(pw) * 1000.0 / pw["service_ms"]
        cw /= max(len(m.queues_of[wk]), 1)
        caps.append(cw)
        capacity += cw
    return caps, capacity
