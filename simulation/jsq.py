"""Join the shortest queue: a least-connections balancer pooling ``pool`` instances of
``c`` exponential servers each, every arrival sent to the instance with the fewest
requests in it (docs/model.md, "Least connections").

* An arrival waits only when every server of the pool is busy (an idle one has the
  fewest requests). As Nelson & Philips (1989) observe, that happens about as often as
  in the pooled M/M/(pool c): P(wait) = Erlang C.
* A waiting arrival finds the N requests waiting in the pool spread evenly, so
  floor(N / pool) of them ahead of it in its instance, and waits for that many plus one
  of its instance's departures, each Exp(c mu). With N geometric (P(N >= n) = rho^n, as
  in M/M/c), floor(N / pool) is geometric with ratio rho^pool, and the wait of a waiting
  arrival is exactly exponential with rate ``c mu (1 - rho^pool)``.

It is M/M/c for a pool of one and the pooled M/M/(pool c) in heavy traffic (where JSQ is
known to be optimal). Against a per-request simulation, 2..16 instances at utilisation
0.5..0.95: mean and p99 within 10% (bench/bench_least_connections.py).

Instances of unequal speed (``UnequalPool``, ``unequal_split``, below) are split by the
load: a slow one takes more than its capacity share below saturation. Against the
simulation at 2:1 and 4:1 speeds, utilisation 0.3..0.95: within 10% but for the 4:1 p99
at 0.9 (-10%).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from .queueing import QueueStats, erlang_c, exponential_wait


@lru_cache(maxsize=4096)
def jsq_unchecked(lam: float, mu: float, c: int, pool: int, ca2: float) -> QueueStats:
    """Steady state of one instance of a JSQ pool, fed ``lam`` (below ``c mu``); the
    pool's arrivals have squared coefficient of variation ``ca2`` (Allen-Cunneen's
    factor scales the wait). Memoised."""
    rho = lam / (c * mu)
    servers = max(round(pool * c), 1)
    # rho < 1 (the engine asks below capacity); kept so by rounding too.
    wait_prob = erlang_c(servers, min(rho, 1.0 - 1e-12) * servers) if lam > 0.0 else 0.0
    drain = c * mu * (1.0 - rho**pool) * 2.0 / (ca2 + 1.0)
    return exponential_wait(lam, mu, c, wait_prob, drain)


# Instances of unequal speed ---------------------------------------------------------
#
# Least connections sends an arrival to an idle server when there is one, whichever
# its speed, so below saturation a slow instance takes more than its share of
# capacity. While some server is idle, the set of busy servers is taken as the Markov
# chain of the M/M/n queue with heterogeneous servers (Gumbel 1960) and a random
# choice among the idle ones. It is reversible, with the product form
# pi(S) ~ (n - |S|)!/n! * prod over S of lam/mu_j (detailed balance); with every
# server busy the pool drains as one queue of rate sum mu. A server of speed mu then
# takes mu * P(it is busy) of the arrivals. Equal instances never come here (the
# split is capacity's and jsq_unchecked solves them).

EXACT_SERVERS = 64  # above this, the busy set is taken as independent servers


@dataclass(frozen=True, slots=True)
class UnequalPool:
    """A least-connections pool whose targets' instances differ in speed: per target,
    the servers it adds to the pool and their service rate (1/s)."""

    instances: int
    servers: tuple[float, ...]
    mu: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class PoolShare:
    """What one target of an UnequalPool needs for its wait: the pool's instances, the
    probability that an arrival it takes waits, and the pool's utilisation."""

    instances: int
    wait_prob: float
    rho: float


@lru_cache(maxsize=1024)
def unequal_split(
    lam: float, pool: UnequalPool
) -> tuple[tuple[float, ...], tuple[float, ...], float]:
    """Per target, its share of the pool's arrivals ``lam`` and the probability that an
    arrival it takes waits; and the pool's utilisation. Memoised.

    An arrival waits when every server is busy (probability ``full``). It then joins
    an instance among those with the fewest requests. While some instance has no queue,
    the instances fill one request deeper the way idle servers fill (uniformly among
    the least loaded), so a waiting arrival splits as the arrivals that found an idle
    server; once every instance has a queue (probability rho^n for a waiting arrival,
    as in ``jsq_unchecked``), the fast ones drain theirs first and it splits by
    capacity. In heavy traffic every arrival waits, and the split is capacity's.
    """
    counts = [max(round(s), 1) for s in pool.servers]
    capacity = sum(n * mu for n, mu in zip(counts, pool.mu, strict=True))
    caps = [n * mu / capacity for n, mu in zip(counts, pool.mu, strict=True)]
    rho = lam / capacity
    if rho >= 1.0 or lam <= 0.0:
        return tuple(caps), tuple(1.0 if lam > 0.0 else 0.0 for _ in caps), rho
    if sum(counts) <= EXACT_SERVERS:
        busy, full = _busy_exact(lam, counts, pool.mu, rho)
    else:
        busy, full = _busy_independent(lam, counts, pool.mu, rho)
    shares = [n * mu * b / lam for n, mu, b in zip(counts, pool.mu, busy, strict=True)]
    total = sum(shares)  # 1 up to rounding
    shares = [s / total for s in shares]
    # The split of arrivals that find an idle server: all but the share ``full`` that
    # waits, which the instances take by capacity in the product form.
    idle = [max(s - full * cap, 0.0) / (1.0 - full) for s, cap in zip(shares, caps, strict=True)]
    deep = rho**pool.instances
    waits = tuple(
        min(full * ((1.0 - deep) * i + deep * cap) / s, 1.0)
        for i, cap, s in zip(idle, caps, shares, strict=True)
    )
    return tuple(shares), waits, rho


def _busy_exact(lam: float, counts: list[int], mu: tuple[float, ...], rho: float,
                ) -> tuple[list[float], float]:  # fmt: skip
    """P(a server of each type is busy) and P(all busy), summing the product form over
    busy sets by size: e_m, the m-th elementary symmetric sum of the lam/mu_j."""
    n = sum(counts)
    a = [lam / m for m in mu]

    def elementary(drop: int) -> list[float]:
        e = [1.0] + [0.0] * n
        size = 0
        for t, (count, at) in enumerate(zip(counts, a, strict=True)):
            for _ in range(count - (t == drop)):
                size += 1
                for m in range(size, 0, -1):
                    e[m] += at * e[m - 1]
        return e

    e = elementary(-1)
    weight = [1.0] * (n + 1)  # (n - m)! / n!
    for m in range(1, n + 1):
        weight[m] = weight[m - 1] / (n - m + 1)
    full = weight[n] * e[n] / (1.0 - rho)  # every server busy, with the queue behind
    total = sum(weight[m] * e[m] for m in range(n)) + full
    busy = []
    for t, at in enumerate(a):
        rest = elementary(t)
        some = sum(weight[m] * at * rest[m - 1] for m in range(1, n))
        busy.append((some + full) / total)
    return busy, full / total


def _busy_independent(lam: float, counts: list[int], mu: tuple[float, ...], rho: float,
                      ) -> tuple[list[float], float]:  # fmt: skip
    """As ``_busy_exact`` for large pools: given m busy servers, each type is busy with
    probability theta a/(1 + theta a), theta such that they add up to m (the busy set
    taken as independent servers, close for many servers). The count m is a birth-death
    chain: up at lam, down at the busy servers' rates."""
    n = sum(counts)
    a = [lam / m for m in mu]
    probs = [0.0] * (n + 1)  # P(m busy), unnormalised, rescaled against overflow
    busy = [0.0] * len(a)
    theta = 1.0 / max(a)
    p = 1.0
    for m in range(n + 1):
        if m == n:
            per = [1.0] * len(a)
        elif m == 0:
            per = [0.0] * len(a)
        else:
            for _ in range(50):  # Newton on log theta
                per = [theta * x / (1.0 + theta * x) for x in a]
                have = sum(c * q for c, q in zip(counts, per, strict=True))
                slope = sum(c * q * (1.0 - q) for c, q in zip(counts, per, strict=True))
                step = (m - have) / slope
                theta *= math.exp(max(min(step, 2.0), -2.0))
                if abs(step) < 1e-12:
                    break
            per = [theta * x / (1.0 + theta * x) for x in a]
        if m:
            down = sum(c * u * q for c, u, q in zip(counts, mu, per, strict=True))
            p *= lam / down
        probs[m] = p / (1.0 - rho) if m == n else p
        for t, q in enumerate(per):
            busy[t] += probs[m] * q
        if p > 1e200:
            p /= 1e200
            probs = [x / 1e200 for x in probs]
            busy = [x / 1e200 for x in busy]
    total = sum(probs)
    return [b / total for b in busy], probs[n] / total


@lru_cache(maxsize=4096)
def jsq_unequal(lam: float, mu: float, c: int, share: PoolShare, ca2: float) -> QueueStats:
    """Steady state of one instance of an UnequalPool: an arrival waits with the
    probability ``unequal_split`` gives its target, and then for its instance's
    departures, as in ``jsq_unchecked``. Memoised."""
    drain = c * mu * (1.0 - share.rho**share.instances) * 2.0 / (ca2 + 1.0)
    return exponential_wait(lam, mu, c, share.wait_prob, drain)
