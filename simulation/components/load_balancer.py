"""Load balancer: splits requests among healthy targets; can itself fail."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..dealing import gap_variances
from ..jsq import PoolShare, UnequalPool, unequal_split
from .base import EPS, NCLASS, DesignLinks, Kind, Outflow, check_weights_link, keep, memo
from .look import Look
from .params import Param, servers_per_instance, serving_params

if TYPE_CHECKING:
    from ..errors import Problem
    from ..state import State

ALGORITHMS = ("round_robin", "random", "weighted", "least_connections", "ip_hash")
HASHINGS = ("modulo", "consistent")


class LoadBalancer(Kind):
    kind = "load_balancer"
    label = "Load balancer"
    group = "edge"
    look = Look("octagon", "#ea580c", "lb")
    help = (
        "Splits requests among the instances of the servers it links to. Health checks "
        "remove a dead instance after the detection delay; until then its share is lost. "
        "Two or more instances form a pair behind a floating address: when one dies, its "
        "share is lost only until the failover. A single balancer is a single point of "
        "failure."
    )
    params = (
        *serving_params(concurrency=100, service_ms=1.0),
        Param(
            "algorithm",
            "choice",
            "round_robin",
            "round_robin spreads evenly and evens out arrivals; random picks a target at "
            "random; weighted uses the weights; least_connections favours idle servers; "
            "ip_hash keeps each user on one server (sticky sessions).",
            choices=ALGORITHMS,
        ),
        Param(
            "hashing",
            "choice",
            "modulo",
            "How ip_hash maps users to instances. modulo (hash mod n) moves most users "
            "to another instance whenever the instance count changes; consistent (a hash "
            "ring) moves only the share of the instances added or removed. A stateful "
            "tier loses the sessions of the users who move.",
            choices=HASHINGS,
        ),
        Param(
            "sticky_cost",
            "float",
            2.0,
            "With ip_hash: factor on the balancer's service time per request. Sticky "
            "sessions make the balancer look up each user's server in its session-affinity "
            "table (and keep that table up to date), a big burden: the same traffic uses "
            "this many times the capacity of round robin.",
            min=1,
            max=10,
        ),
        Param(
            "weights",
            "map",
            {},
            "Weight per linked component id (weighted algorithm); missing ones weigh 1.",
            min=0,
            max=1_000_000,
        ),
        Param(
            "health_check_s",
            "float",
            10.0,
            "Time until a dead target is detected and taken "
            "out of rotation (interval x unhealthy threshold).",
            unit="s",
            min=0,
            max=3600,
        ),
        Param(
            "failover_s",
            "float",
            3.0,
            "With two or more instances (an active/active or active/standby pair behind a "
            "floating address): time for the survivors to take over a dead instance's "
            "address; until then its share of the traffic is lost. A single instance has "
            "nothing to fail over to.",
            unit="s",
            min=0,
            max=600,
        ),
    )
    links_to = ("load_balancer", "web_server")
    detection_params = ("health_check_s", "failover_s")
    balances = True

    @classmethod
    def check_links(
        cls, comp: dict, links: DesignLinks, path: str, problems: list[Problem]
    ) -> None:
        """A weight names a target it links to."""
        check_weights_link(comp, set(links.targets.get(comp["id"], ())), links, path, problems)

    def service_time_ms(self, p: dict) -> float:
        """ip_hash pays a session-affinity lookup on every request: ``sticky_cost`` x."""
        if p["algorithm"] == "ip_hash":
            return p["service_ms"] * p["sticky_cost"]
        return p["service_ms"]

    def seen_dead(self, state: State, i: int) -> float:
        """Two or more instances share a floating address: a dead one's share is lost
        until its address fails over to the survivors (``failover_s`` after its death).
        A single instance has nothing to fail over to.
        """
        if state.inst[i] < 2 or state.unavailable(i):
            return state.dead_share(i, None)[1]
        alive = state.inst[i] - len(state.dead_times[i])
        if alive <= 0:
            return 1.0
        failover = state.params[i]["failover_s"]
        undetected = sum(1 for t in state.dead_times[i] if state.now - t < failover - EPS)
        return undetected / (alive + undetected)

    def send_on(self, state: State, i: int, p: dict, k: int, out: Outflow) -> float:
        ca2 = out.cd2 * out.share_out + 1.0 - out.share_out
        return balance(state, i, p, k, out.rate, out.m1, out.m2, ca2, out.share_out)


def balance(
    state: State,
    i: int,
    p: dict,
    k: int,
    rate: float,
    m1: float,
    m2: float,
    ca2: float,
    share_out: float,
) -> float:
    """Split among targets by the algorithm; return the rate with no healthy target.
    This class is ``share_out`` of the node's outflow."""
    even, pool, sends = split_plan(state, i, p, k)
    if not sends:
        return rate
    unequal = isinstance(pool, UnequalPool)
    pools: list[PoolShare] | tuple[()] = ()
    if unequal:
        # All classes leaving the node load the same pool.
        load = rate / share_out if share_out > 0.0 else rate
        sends, pools = unequal_sends(pool, sends, load)
    send = state.flow.send
    servers = state.servers
    jsq_pool = state.jsq_pool
    for n, (j, li, share, per_instance, dead, gap_var) in enumerate(sends):
        jsq_pool[j] = pools[n] if unequal else pool
        if pool:
            # Least connections: the targets' instances form one join-the-shortest-queue
            # pool fed by this stream (jsq.py), not a random split of it.
            ca2_j = ca2
        elif even:
            ca2_j = per_instance * ca2
            if gap_var > 0.0:
                ca2_j += uneven_deal_ca2(rate * per_instance, servers[j], per_instance, gap_var)
        else:
            ca2_j = per_instance * ca2 + 1.0 - per_instance
        send(j, li, k, rate * share, m1, m2, ca2_j, dead)
    return 0.0


def unequal_sends(pool: UnequalPool, sends: list, rate: float) -> tuple[list, list[PoolShare]]:
    """Least connections over instances of unequal speed: the targets' shares at the
    pool's load ``rate`` (jsq.py) in place of their capacity shares, and what each
    target's instances need for their wait."""
    shares, waits, rho = unequal_split(rate, pool)
    moved = [
        (j, li, new, per_instance * new / old, dead, gap)
        for (j, li, old, per_instance, dead, gap), new in zip(sends, shares, strict=True)
    ]
    return moved, [PoolShare(pool.instances, w, rho) for w in waits]


def uneven_deal_ca2(
    lam: float, servers: tuple[float, float], per_instance: float, gap_var: float
) -> float:
    """What an uneven weighted deal adds to an instance's ca2 (docs/model.md).

    Its gaps, ``gap_var`` in arrivals squared, add ``share^2 gap_var`` to the ca2 of one
    inter-arrival time, but they alternate short and long, so over many arrivals the deal
    is even again. A queue at low load feels single gaps, at high load long runs: the
    term is weighted by (1 - rho)^2, checked against a per-request simulation.
    """
    c, mu = servers
    rho = min(lam / (c * mu), 1.0) if c * mu > 0.0 else 1.0
    return per_instance * per_instance * gap_var * (1.0 - rho) ** 2


def split_plan(
    state: State, i: int, p: dict, k: int
) -> tuple[bool, int, list[tuple[int, int, float, float, float, float]]]:
    """How balancer ``i`` splits class ``k``: whether it deals in turn, how many
    instances least connections pools (0 for other algorithms), and per target
    with a share ``(node, link, share, share per believed instance, share lost dead,
    variance of its instances' gaps in arrivals)``.

    The split follows only the parameters and the targets' instances, so it is kept
    (``State.kind_memo``) until the next change (``state.changes``); while a target has
    dead instances it also moves with time, and is kept for the tick only.
    """
    held = memo(state, i)
    if held is None or (held[0] is not None and held[0] != state.now):
        held = keep(state, i, [None, [None] * NCLASS])  # [tick it is limited to, plans]
    plans = held[1]
    plan = plans[k]
    if plan is None:
        targets = state.model.routes[i][k]
        plan = plans[k] = derive_split(state, i, p, targets)
        if any(state.dead_times[j] or state.unavailable(j) for j, _ in targets):
            held[0] = state.now
    return plan


def derive_split(
    state: State, i: int, p: dict, targets: list[tuple[int, int]]
) -> tuple[bool, int, list[tuple[int, int, float, float, float, float]]]:
    """``split_plan`` worked out: each target's weight counts the instances the
    balancer believes up (a dead one stays in rotation until its health check fails it).
    """
    m = state.model
    algorithm = p["algorithm"]
    detect = p["health_check_s"]
    weights = []
    shares = []
    for j, _ in targets:
        believed, dead = state.dead_share(j, detect)
        if algorithm == "weighted":
            weight = p["weights"].get(m.ids[j], 1.0) * believed
        elif algorithm == "least_connections":
            pj = state.params[j]
            ms = m.kind_of[j].service_time_ms(pj)
            weight = believed * servers_per_instance(pj) / ms
        else:
            weight = believed
        weights.append(weight)
        shares.append((believed, dead))
    even = algorithm in ("round_robin", "weighted")
    total = sum(weights)
    if total <= 0.0:
        return even, 0, []
    live = [(t, w, s) for t, w, s in zip(targets, weights, shares, strict=True) if w > 0.0]
    gaps = [0.0] * len(live)
    if algorithm == "weighted" and len({w / s[0] for _, w, s in live}) > 1:
        # Unequal shares per instance: the deal is uneven (dealing.py).
        counts = tuple(max(round(s[0]), 1) for _, _, s in live)
        gaps = gap_variances(tuple(w for _, w, _ in live), counts)
    sends = []
    for ((j, li), weight, (believed, dead)), gap in zip(live, gaps, strict=True):
        share = weight / total
        sends.append((j, li, share, share / believed, dead, gap))
    pool: int | UnequalPool = 0
    if algorithm == "least_connections":
        pool = max(round(sum(s[0] for _, _, s in live)), 1)
        speeds = [w / s[0] for _, w, s in live]  # capacity per believed instance
        if max(speeds) > min(speeds) * (1.0 + 1e-9):
            # Instances of unequal speed: the split moves with the load (jsq.py).
            # weight = servers / service time (ms), so servers = weight * ms.
            ms = [m.kind_of[j].service_time_ms(state.params[j]) for (j, _), _, _ in live]
            servers = tuple(w * t for (_, w, _), t in zip(live, ms, strict=True))
            pool = UnequalPool(pool, servers, tuple(1000.0 / t for t in ms))
    return even, pool, sends


def sessions_kept(before: int, after: int, hashing: str) -> float:
    """Share of users ip_hash still sends to the same instance after ``before`` -> ``after``.

    Both counts are serving instances (at least 1). modulo: a user stays only where
    hash mod before == hash mod after, which holds for min/lcm of uniform hashes
    (4 -> 5 keeps 20%). consistent: only the added or removed instances' arcs of the
    ring move (4 -> 5 keeps 80%).
    """
    if before == after:
        return 1.0
    if hashing == "consistent":
        return 1.0 - abs(after - before) / max(before, after)
    return min(before, after) / math.lcm(before, after)
