"""A per-request simulation of a balancer dealing a Poisson stream by smooth weighted
round robin (nginx's algorithm) to FIFO targets of c exponential servers each.

It is the reference for weighted splits, whose per-target arrivals are not renewal
(with weights 3:1 the heavy target sees gaps of 1, 2, 1 arrivals in turn) and so have no
closed form. Pure Python, seeded, about 1 s per 300,000 requests.

Sampling error: per-target means and percentiles come with their standard error from
batch means (20 batches), ``Result.stderr``; at utilisation 0.9 and 300,000 requests
it is about 1% of the mean and 1.5% of the p99.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass

BATCHES = 20


@dataclass(frozen=True, slots=True)
class Result:
    """One target's response times (s): mean, p50, p95, p99, and each one's standard
    error (batch means), keyed like the values."""

    values: dict[str, float]
    stderr: dict[str, float]


def smooth_weighted_order(weights: list[float]) -> list[int]:
    """One cycle of smooth weighted round robin over integer weights: each pick adds every
    weight to its running score, takes the highest (first on ties) and takes the total
    weight off it. After sum(weights) picks every score is back at zero."""
    score = [0] * len(weights)
    total = sum(weights)
    order = []
    for _ in range(total):
        for j, w in enumerate(weights):
            score[j] += w
        best = max(range(len(weights)), key=score.__getitem__)
        score[best] -= total
        order.append(best)
    return order


def _quantile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(int(p * len(sorted_values)), len(sorted_values) - 1)]


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "mean": sum(times) / len(times),
        "p50": _quantile(ordered, 0.5),
        "p95": _quantile(ordered, 0.95),
        "p99": _quantile(ordered, 0.99),
    }


def simulate(
    rps: float,
    weights: list[int],
    service_s: list[float],
    servers: int = 1,
    requests: int = 300_000,
    seed: int = 1,
) -> list[Result]:
    """Per target: its requests' response times after the first 5% (warm-up) of arrivals."""
    rng = random.Random(seed)
    cycle = smooth_weighted_order(weights)
    free = [[0.0] * servers for _ in weights]  # heaps of the servers' next free times
    times: list[list[float]] = [[] for _ in weights]
    warm = requests // 20
    t = 0.0
    for n in range(requests):
        t += rng.expovariate(rps)
        j = cycle[n % len(cycle)]
        start = max(t, free[j][0])
        done = start + rng.expovariate(1.0 / service_s[j])
        heapq.heapreplace(free[j], done)
        if n >= warm:
            times[j].append(done - t)
    results = []
    for got in times:
        size = len(got) // BATCHES
        batches = [_summary(got[b * size : (b + 1) * size]) for b in range(BATCHES)]
        whole = _summary(got)
        stderr = {}
        for key in whole:
            xs = [b[key] for b in batches]
            mean = sum(xs) / BATCHES
            var = sum((x - mean) ** 2 for x in xs) / (BATCHES - 1)
            stderr[key] = math.sqrt(var / BATCHES)
        results.append(Result(whole, stderr))
    return results
