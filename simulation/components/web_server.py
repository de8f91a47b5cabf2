"""Web server: a group of instances of one size serving the site's requests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Problem
from .base import EPS, NCLASS, STATIC, Arrivals, Field, Kind, pick
from .load_balancer import sessions_kept
from .look import Look
from .params import Param, autoscaling_params, serving_params

if TYPE_CHECKING:
    from ..state import State

DATA_KINDS = ("database", "shard_router")


class WebServer(Kind):
    kind = "web_server"
    label = "Web servers"
    group = "compute"
    look = Look("round-rectangle", "#16a34a", "web")
    help = (
        "A group of instances (scale out) of one size tier (scale up). Static requests are "
        "answered here; reads go to the cache then the database, writes to the primary "
        "database, jobs to the message queue. Stateful servers keep sessions in memory "
        "(lost when an instance dies, sticky routing needed); stateless ones keep them in "
        "a shared session store."
    )
    params = (
        *serving_params(concurrency=8, service_ms=20.0),
        Param("stateful", "bool", False, "Keep user sessions in the instance's memory."),
        *autoscaling_params(),
    )
    links_to = ("cache", "database", "shard_router", "message_queue", "session_store")
    completes = ("static",)
    # A web tier with no data tier in the design stands for the whole application.
    answers_alone = ("read", "write")
    state_fields = (
        Field("sessions_lost"),  # sessions lost so far (stateful tiers)
        # When a resize last re-hashed users, and the share still on their instance.
        Field("rehashed", blank=(-1.0, 1.0)),
    )

    @classmethod
    def check(cls, params: dict[str, Any], path: str, problems: list[Problem]) -> None:
        check_autoscaling(params, path, problems)

    @classmethod
    def route(cls, request_class: str, targets: dict[str, list[str]], params: dict) -> list[str]:
        if request_class == "read":
            return pick(targets, "cache") or pick(targets, *DATA_KINDS)
        if request_class == "write":
            return pick(targets, *DATA_KINDS)
        if request_class == "job":
            return pick(targets, "message_queue")
        return []

    def refuse(self, state: State, i: int, p: dict, arrivals: Arrivals) -> str | None:
        share, reason = refused_share(state, i, p, arrivals.n)
        if share <= 0.0:
            return None
        lam, dropped = arrivals.lam, arrivals.dropped
        for k in range(NCLASS):
            if k != STATIC or reason != "session store down":  # static needs no session
                dropped[k] += lam[k] * share
                lam[k] *= 1.0 - share
        return reason

    def extra(self, state: State, i: int, p: dict) -> dict:
        return {"sessions_lost": state.sessions_lost[i]} if p["stateful"] else {}

    def resized(self, state: State, i: int, before: int) -> None:
        """A stateful sticky tier went from ``before`` to ``inst`` instances: sessions move.

        ip_hash now sends some users to an instance that does not hold their session;
        those sessions are lost, and the next tick refuses that share of the requests
        (``refuse``). A dead instance keeps its slot in the hash (its own users are
        lost when it dies), so the counts include dead instances and a death re-hashes
        nobody else.
        """
        m = state.model
        if not state.params[i]["stateful"] or not sticky(state, i):
            return
        a, b = before, state.inst[i]
        if a <= 0 or b <= 0 or a == b:
            return
        # Several balancers feed the tier: count the one that moves the most users.
        hashing = min(
            (state.params[f]["hashing"] for f in m.senders[i]),
            key=lambda h: sessions_kept(a, b, h),
        )
        kept = sessions_kept(a, b, hashing)
        lost = sum(state.params[c]["sessions"] for c in state.sources) * (1.0 - kept)
        state.sessions_lost[i] += lost
        at, kept_before = state.rehashed[i]
        if abs(at - state.now) < EPS:  # a second change before the next tick
            kept *= kept_before
        state.rehashed[i] = (state.now, kept)
        state.event(
            i,
            "sessions_lost",
            f"{state.names[i]}: {a} -> {b} instances re-hashed ~{lost:.0f} sessions to other "
            f"servers ({hashing} hashing); those users must log in again",
        )


def refused_share(state: State, i: int, p: dict, n: int) -> tuple[float, str | None]:
    """Share of arrivals a web tier refuses before queueing, and why."""
    side = state.model.session_store_of[i]
    if not p["stateful"]:
        if side >= 0 and state.alive[side] == 0:
            return 1.0, "session store down"
        return 0.0, None
    if not sticky(state, i) and n > 1:
        return (n - 1) / n, "sessions lost: no sticky routing"
    fresh = fresh_deaths(state, i) if state.dead_times[i] else 0
    if fresh:
        # Sessions are spread evenly over the instances that held them.
        sessions = sum(state.params[c]["sessions"] for c in state.sources)
        lost = sessions * fresh / max(state.inst[i], 1)
        state.sessions_lost[i] += lost
        state.event(
            i,
            "sessions_lost",
            f"{state.names[i]}: ~{lost:.0f} sessions lost "
            "with the dead instance; those users must log in again",
        )
    share = min(fresh / max(n, 1), 1.0)
    kept = rehashed_kept(state, i)
    if kept < 1.0:  # a resize re-hashed the others: their sessions are elsewhere too
        share = 1.0 - (1.0 - share) * kept
    return (share, "sessions lost") if share > 0.0 else (0.0, None)


def fresh_deaths(state: State, i: int) -> int:
    """Instances of tier ``i`` whose death its balancers detect in this tick."""
    detect = detect_delay(state, i)
    now = state.now
    return sum(1 for t in state.dead_times[i] if now - state.dt < t + detect <= now + EPS)


def rehashed_kept(state: State, i: int) -> float:
    """Share of users still on their session's instance after a resize at this tick."""
    at, kept = state.rehashed[i]
    if abs(at - state.now) >= EPS:
        return 1.0
    state.unsettled = True  # the next tick, without the refusal, differs from this one
    return kept


def sticky(state: State, i: int) -> bool:
    """Every balancer feeding tier ``i`` keeps each user on one instance (ip_hash)."""
    m = state.model
    feeders = m.senders[i]
    for a in feeders:
        if not m.kind_of[a].balances or state.params[a]["algorithm"] != "ip_hash":
            return False
    return bool(feeders)


def detect_delay(state: State, i: int) -> float:
    """The slowest health check among the balancers feeding tier ``i`` (s)."""
    m = state.model
    delays = [state.params[a]["health_check_s"] for a in m.senders[i]
              if m.kind_of[a].balances]  # fmt: skip
    return max(delays) if delays else 0.0


def check_autoscaling(params: dict[str, Any], path: str, problems: list[Problem]) -> None:
    if params["min_instances"] > params["max_instances"]:
        problems.append(Problem(f"{path}.min_instances", "must not be above max_instances"))
