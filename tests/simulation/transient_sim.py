"""A per-request FIFO M/M/c simulation through an overload and its drain: the reference
for the engine's transients (``test_transient_fidelity``, ``bench/bench_transients.py``).

Poisson arrivals at a piecewise-constant rate (``phases``: (until second, req/s)), ``c``
servers each of exponential service at rate ``mu``, first come first served, an
optional limit on the requests waiting (an arrival finding ``queue_limit`` waiting is
blocked). For every 1-s tick it reports the response time (wait plus service) of the
requests *completing* in that tick, pooled over ``seeds`` seeded runs: the mean and the
p99 of that pooled sample (the law of a random request completing in the tick, which is
what the engine's per-tick mean and variance describe).

Sampling error: a tick pools ``seeds`` x ~100 requests, but the requests of one run are
strongly correlated (a FIFO queue's waits change slowly), so the error is that of the
seeds: with 30 seeds the mean of a tick deep in the overload (waits of ~10 s, spread
between runs ~2 s) is known to about 2-4%, its p99 to about 5-8%; in steady ticks both
to about 1-3%.
"""

from __future__ import annotations

import heapq
import math
import random
from functools import cache


def _one_run(phases, c, mu, queue_limit, seed, horizon, ticks):
    rng = random.Random(seed)
    free = [0.0] * c  # when each server is next free (a heap)
    waiting_starts: list[float] = []  # start-of-service times of requests still waiting
    t = 0.0
    start = 0.0
    for until, rate in phases:
        t = max(t, start)
        while True:
            t += rng.expovariate(rate) if rate > 0.0 else math.inf
            if t >= until or t >= horizon:
                break
            if queue_limit is not None:
                # Requests still waiting at t: those whose service starts after t.
                while waiting_starts and waiting_starts[0] <= t:
                    heapq.heappop(waiting_starts)
                if len(waiting_starts) >= queue_limit:
                    continue
            begin = max(t, heapq.heappop(free))
            done = begin + rng.expovariate(mu)
            heapq.heappush(free, done)
            if queue_limit is not None and begin > t:
                heapq.heappush(waiting_starts, begin)
            k = int(done)
            if k < len(ticks):
                ticks[k].append(done - t)
        start = until
        t = until
        if until >= horizon:
            break


@cache
def simulate(
    phases: tuple[tuple[float, float], ...],
    c: int,
    mu: float,
    queue_limit: int | None = None,
    seeds: int = 30,
    horizon: float = 220.0,
) -> tuple[tuple[float, float], ...]:
    """Per tick (0 .. horizon - 1): (mean s, p99 s) of the response time of the requests
    completing in it, pooled over ``seeds`` runs (seeds 1 .. seeds)."""
    ticks: list[list[float]] = [[] for _ in range(int(horizon))]
    for seed in range(1, seeds + 1):
        _one_run(phases, c, mu, queue_limit, seed, horizon, ticks)
    out = []
    for sample in ticks:
        if not sample:
            out.append((0.0, 0.0))
            continue
        sample.sort()
        p99 = sample[min(int(0.99 * len(sample)), len(sample) - 1)]
        out.append((sum(sample) / len(sample), p99))
    return tuple(out)
