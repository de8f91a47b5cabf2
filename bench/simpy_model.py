"""Per-request SimPy model of client -> load balancer -> web servers -> database.

The reference the tick engine is benchmarked against: every request is its own
SimPy process. Poisson arrivals at ``rps``; the balancer, a FIFO resource with
``lb_concurrency`` servers and exponential service of mean ``lb_service_ms``
(the engine's load_balancer defaults, 100 and 1 ms; 0 ms leaves it out), then
sends each request to one of ``web_servers`` web nodes, at random or in turn;
each web node is a FIFO ``simpy.Resource`` with ``web_concurrency`` servers and
exponential service of mean ``web_service_ms``; a fraction ``db_fraction`` of
requests then goes to the database, a FIFO resource with ``db_connections``
servers and exponential service of mean ``db_service_ms``.

Defaults match tests/simulation/reference.py: at 360 req/s each web node runs
at utilisation 0.9 and the database at 0.7875. Latency is measured from the
arrival at the balancer to the end of the last service, for requests that
arrive after the warm-up and finish before the end of the run.

Usage: ``python bench/simpy_model.py [rps] [seconds] [random|round_robin] [seed]``
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Generator

import simpy

ROUTINGS = ("random", "round_robin")


def _percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def run_simpy(
    rps: float,
    seconds: float,
    routing: str,
    seed: int,
    *,
    web_servers: int = 4,
    web_concurrency: int = 1,
    web_service_ms: float = 10.0,
    db_fraction: float = 0.7,
    db_connections: int = 8,
    db_service_ms: float = 25.0,
    lb_service_ms: float = 1.0,
    lb_concurrency: int = 100,
    warmup_s: float | None = None,
) -> dict:
    """Simulate ``seconds`` of traffic at ``rps`` and return latency and wall time.

    ``routing`` is ``"random"`` or ``"round_robin"``. ``warmup_s`` defaults to
    10% of the run; requests arriving earlier are not measured. Returns
    ``{"rps", "seconds", "routing", "seed", "requests", "measured",
    "mean_ms", "p50_ms", "p95_ms", "p99_ms", "wall_s"}``; ``requests`` counts
    every arrival, ``measured`` the requests behind the latency numbers.
    """
    if routing not in ROUTINGS:
        raise ValueError(f"routing: must be one of {', '.join(ROUTINGS)}, got {routing!r}")
    if not rps > 0:
        raise ValueError(f"rps: must be > 0, got {rps!r}")
    if not seconds > 0:
        raise ValueError(f"seconds: must be > 0, got {seconds!r}")
    warmup = 0.1 * seconds if warmup_s is None else warmup_s
    if not 0 <= warmup < seconds:
        raise ValueError(f"warmup_s: must be within [0, seconds), got {warmup_s!r}")

    rng = random.Random(seed)
    env = simpy.Environment()
    webs = [simpy.Resource(env, capacity=web_concurrency) for _ in range(web_servers)]
    database = simpy.Resource(env, capacity=db_connections)
    balancer = simpy.Resource(env, capacity=lb_concurrency)
    lb_rate = 1000.0 / lb_service_ms if lb_service_ms > 0 else 0.0
    web_rate = 1000.0 / web_service_ms
    db_rate = 1000.0 / db_service_ms
    latencies: list[float] = []
    arrivals = 0
    dispatched = 0

    def request(to_db: bool) -> Generator[simpy.Event, object, None]:
        nonlocal dispatched
        start = env.now
        if lb_rate:
            with balancer.request() as slot:
                yield slot
                yield env.timeout(rng.expovariate(lb_rate))
        # The balancer picks the target when it forwards, so round robin deals
        # the balancer's departures in turn.
        web = webs[choose(dispatched)]
        dispatched += 1
        with web.request() as slot:
            yield slot
            yield env.timeout(rng.expovariate(web_rate))
        if to_db:
            with database.request() as slot:
                yield slot
                yield env.timeout(rng.expovariate(db_rate))
        if start >= warmup:
            latencies.append(env.now - start)

    choose: Callable[[int], int]
    if routing == "random":

        def choose(_: int) -> int:
            return rng.randrange(web_servers)
    else:

        def choose(n: int) -> int:
            return n % web_servers

    def client() -> Generator[simpy.Event, object, None]:
        nonlocal arrivals
        while True:
            yield env.timeout(rng.expovariate(rps))
            arrivals += 1
            env.process(request(rng.random() < db_fraction))

    env.process(client())
    began = time.perf_counter()
    env.run(until=seconds)
    wall = time.perf_counter() - began

    latencies.sort()
    measured = len(latencies)
    return {
        "rps": rps,
        "seconds": seconds,
        "routing": routing,
        "seed": seed,
        "requests": arrivals,
        "measured": measured,
        "mean_ms": 1000.0 * sum(latencies) / measured if measured else 0.0,
        "p50_ms": 1000.0 * _percentile(latencies, 0.50),
        "p95_ms": 1000.0 * _percentile(latencies, 0.95),
        "p99_ms": 1000.0 * _percentile(latencies, 0.99),
        "wall_s": wall,
    }


if __name__ == "__main__":
    args = sys.argv[1:]
    result = run_simpy(
        float(args[0]) if args else 360.0,
        float(args[1]) if len(args) > 1 else 600.0,
        args[2] if len(args) > 2 else "random",
        int(args[3]) if len(args) > 3 else 1,
    )
    print(result)
