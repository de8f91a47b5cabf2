"""Least connections against a per-request join-the-shortest-queue simulation.

Prints the engine's mean and p99 (what the user reads, through a balancer of negligible
service time) beside the simulation's, for 2..16 equal instances at utilisation
0.5..0.95 and for instances of unequal speed, and round robin's mean for the ordering.
The table is quoted in docs/model.md ("Least connections").

Usage: ``python bench/bench_least_connections.py [--requests N] [--seeds S]`` (about
eight minutes at the default 400,000 requests per point, 1,000,000 at utilisation 0.95,
and 4 seeds). The simulation's numbers are the mean over the seeds' runs and their
standard error the runs' spread over the square root of their number: near saturation
the queue wanders for longer than a batch, so one run's batch error understates it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulation import Engine
from tests.simulation.designs import settled
from tests.simulation.jsq_sim import simulate
from tests.simulation.test_least_connections_fidelity import design

KS = (2, 4, 8, 16)
LOADS = (0.5, 0.7, 0.9, 0.95)
UNEQUAL = ((5.0, 10.0), (5.0, 5.0, 10.0, 20.0))  # service_ms per instance: 2:1 and 4:1


def engine_ms(algorithm: str, rps: float, service_ms: list[float]) -> tuple[float, float]:
    g = settled(Engine(design(algorithm, rps, service_ms))).globals
    return g["mean_ms"], g["p99_ms"]


def round_robin_mean(rps: float, service_ms: list[float]) -> str:
    """Round robin's settled mean (ms), or "overloaded": dealing evenly to instances of
    unequal speed puts the slow one past its capacity from 2/3 (2:1) of the pool's
    load, and its queue then grows without end (it never settles)."""
    try:
        return f"{engine_ms('round_robin', rps, service_ms)[0]:.2f}"
    except AssertionError:
        return "overloaded"


def row(service_ms: list[float], rho: float, requests: int, seeds: int) -> str:
    rps = rho * sum(1000.0 / ms for ms in service_ms)
    mean, p99 = engine_ms("least_connections", rps, service_ms)
    rr = round_robin_mean(rps, service_ms)
    # Near saturation the queue wanders slowly: 2.5x the requests (docstring of jsq_sim).
    n = requests * 5 // 2 if rho >= 0.95 else requests
    runs = [simulate(rps, [ms / 1000.0 for ms in service_ms], requests=n, seed=seed)
            for seed in range(1, seeds + 1)]  # fmt: skip
    sm, sm_err = pooled([run.mean * 1000.0 for run in runs])
    sp, sp_err = pooled([run.p99 * 1000.0 for run in runs])
    speeds = "x".join(f"{ms:g}" for ms in service_ms) if len(set(service_ms)) > 1 else (
        f"{len(service_ms)} x {service_ms[0]:g}")  # fmt: skip
    return (f"| {speeds} ms | {rho:.2f} | {mean:.2f} | {sm:.2f} ± {sm_err:.2f} "
            f"| {100 * (mean / sm - 1):+.1f}% | {p99:.1f} | {sp:.1f} ± {sp_err:.1f} "
            f"| {100 * (p99 / sp - 1):+.1f}% | {rr} |")  # fmt: skip


def pooled(values: list[float]) -> tuple[float, float]:
    """The runs' mean and its standard error (0 for one run)."""
    if len(values) < 2:
        return values[0], 0.0
    return statistics.mean(values), statistics.stdev(values) / len(values) ** 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400_000)
    parser.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args()
    print("| instances | rho | mean ms | sim mean ms | error | p99 ms | sim p99 ms | error "
          "| round robin mean ms |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for k in KS:
        for rho in LOADS:
            print(row([10.0] * k, rho, args.requests, args.seeds), flush=True)
    for service_ms in UNEQUAL:
        for rho in (0.3, *LOADS):
            print(row(list(service_ms), rho, args.requests, args.seeds), flush=True)


if __name__ == "__main__":
    main()
