"""Per-request reference for requests that give up after waiting ``timeout`` (M/M/c+D),
optionally with a queue limit (M/M/c/K+D).

Poisson (or gamma, ``ca2``) arrivals, ``c`` FIFO servers with exponential service; a
request whose wait would exceed ``timeout`` leaves without service (with FIFO and a
fixed patience, its wait is known when it arrives: the time until a server frees from
the requests ahead that will be served). With ``limit`` = K, a request that must wait
and finds K requests waiting (those that will be served and those that will give up, which hold
their place until they do) is blocked. Returns the shares that give up and that are
blocked, the served requests' mean and p99 response time and the servers' busy share.
With ``requests`` = 400,000 the shares and means are good to about 0.5% (one standard
error, from batch means), the p99 to about 1.5%.
"""

from __future__ import annotations

import heapq
import random


def simulate(lam: float, mu: float, c: int, timeout: float, requests: int = 400_000,
             seed: int = 1, ca2: float = 1.0, limit: int | None = None) -> dict:  # fmt: skip
    rng = random.Random(seed)
    free = [0.0] * c  # when each server is next free (of the requests committed to it)
    leave = []  # when each waiting request leaves the queue (served or giving up)
    t = 0.0
    gave_up = blocked = 0
    responses = []
    busy = 0.0
    warm = requests // 10
    start = None
    for n in range(requests + warm):
        # Gamma gaps of squared coefficient of variation ca2 (1: Poisson; 1/k: Erlang-k,
        # what a balancer dealing in turn to k instances gives each one).
        t += rng.gammavariate(1.0 / ca2, ca2 / lam) if ca2 != 1.0 else rng.expovariate(lam)
        if n == warm:
            start = t
        soonest = free[0]
        wait = soonest - t if soonest > t else 0.0
        if limit is not None and wait > 0.0:
            while leave and leave[0] <= t:
                heapq.heappop(leave)
            if len(leave) >= limit:
                if n >= warm:
                    blocked += 1
                continue
        if wait > timeout:
            if n >= warm:
                gave_up += 1
            if limit is not None:
                heapq.heappush(leave, t + timeout)
            continue
        if limit is not None and wait > 0.0:
            heapq.heappush(leave, t + wait)
        service = rng.expovariate(mu)
        heapq.heapreplace(free, max(soonest, t) + service)
        if n >= warm:
            responses.append(wait + service)
            busy += service
    responses.sort()
    served = len(responses)
    return {
        "gave_up": gave_up / requests,
        "blocked": blocked / requests,
        "mean": sum(responses) / served,
        "p99": responses[int(0.99 * served)],
        "rho": busy / ((t - start) * c),
    }
