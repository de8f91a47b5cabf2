"""Timeouts as abandonment: the engine against a per-request simulation (M/M/c+D).

Usage: ``python bench/bench_timeouts.py [--requests N]`` prints the two Markdown tables
quoted in docs/model.md ("Timeouts"): for 1, 4 and 16 servers of 10 ms and a 50 ms
timeout, at utilisation 0.5 .. 1.3, the share of requests that give up, the served
requests' mean response and the busy share, each as the engine's error against the
simulation (``tests/simulation/patience_sim.py``, 400,000 requests by default); then the
same with a queue limit (M/M/c/K+D) of a few places, about c mu T (both bind) and four
times that (the timeout binds), the errors being the blocked and those giving up; then
requests dealt in turn (Erlang-k gaps, ca2 = 1/k: GI/M/c+D), the node's steady state
(``simulation.steady.node_steady_state``) against the simulation with those gaps. At
utilisation 1 without a limit, where one run's share scatters by several percent (the
queue wanders for long), the simulation's numbers are the mean of ``CAPACITY_SEEDS``
runs of 1,000,000 requests.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation import Engine  # noqa: E402
from simulation.steady import node_steady_state  # noqa: E402
from tests.simulation.designs import single_server  # noqa: E402
from tests.simulation.patience_sim import simulate  # noqa: E402

MU = 100.0
TIMEOUT_MS = 50.0
CAPACITY_SEEDS = 8  # runs pooled at utilisation 1 (dealt in turn)


def engine_numbers(c: int, rho: float, limit: int | None = None) -> tuple[float, float, float]:
    doc = single_server(rps=rho * c * MU, service_ms=1000.0 / MU, concurrency=c,
                        queue_limit=limit)  # fmt: skip
    doc["components"][1]["params"]["timeout_ms"] = TIMEOUT_MS
    frame = Engine(doc).run(5)
    node = frame.nodes["web"]
    return frame.globals["error_rate"], node.lat / 1000.0, node.util


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400_000)
    args = parser.parse_args()
    print(
        "| servers | utilisation | gave up (sim) | error | served mean (sim, ms) | error "
        "| busy (sim) | error |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for c in (1, 4, 16):
        for rho in (0.5, 0.7, 0.9, 1.0, 1.1, 1.3):
            share, mean, util = engine_numbers(c, rho)
            if rho == 1.0:
                sim = pooled(rho * c * MU, c, 1.0, 1_000_000, CAPACITY_SEEDS)
            else:
                sim = simulate(rho * c * MU, MU, c, TIMEOUT_MS / 1000.0, args.requests, seed=11)
            share_err = (share - sim["gave_up"]) / sim["gave_up"] if sim["gave_up"] else 0.0
            print(f"| {c} | {rho:g} | {sim['gave_up']:.4f} | {share_err:+.1%} | "
                  f"{sim['mean'] * 1000:.2f} | {mean / sim['mean'] - 1:+.1%} | "
                  f"{sim['rho']:.3f} | {util / sim['rho'] - 1:+.1%} |")  # fmt: skip
    print()
    print(
        "| servers | limit | utilisation | blocked (sim) | gave up (sim) | errors: error "
        "| served mean (sim, ms) | error | busy (sim) | error |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for c in (1, 4, 16):
        reach = round(c * MU * TIMEOUT_MS / 1000.0)  # requests served in one timeout
        for limit in (max(reach // 4, 2), reach, 4 * reach):
            for rho in (0.5, 0.9, 1.0, 1.1, 1.3):
                share, mean, util = engine_numbers(c, rho, limit)
                sim = simulate(rho * c * MU, MU, c, TIMEOUT_MS / 1000.0, args.requests,
                               seed=11, limit=limit)  # fmt: skip
                lost = sim["blocked"] + sim["gave_up"]
                lost_err = (share - lost) / lost if lost else 0.0
                print(f"| {c} | {limit} | {rho:g} | {sim['blocked']:.4f} | "
                      f"{sim['gave_up']:.4f} | {lost_err:+.1%} | {sim['mean'] * 1000:.2f} | "
                      f"{mean / sim['mean'] - 1:+.1%} | {sim['rho']:.3f} | "
                      f"{util / sim['rho'] - 1:+.1%} |")  # fmt: skip

    print()
    dealt_in_turn(args.requests)


def pooled(lam: float, c: int, ca2: float, requests: int, seeds: int) -> dict:
    """The simulation's share giving up, served mean and busy share, each the mean over
    ``seeds`` runs (seeds 1 ..)."""
    runs = [simulate(lam, MU, c, TIMEOUT_MS / 1000.0, requests, seed=seed, ca2=ca2)
            for seed in range(1, seeds + 1)]  # fmt: skip
    return {key: sum(run[key] for run in runs) / seeds for key in ("gave_up", "mean", "rho")}


def dealt_in_turn(requests: int) -> None:
    print(
        "| servers | gaps | utilisation | gave up (sim) | error | served mean (sim, ms) "
        "| error | busy (sim) | error |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for c in (1, 4, 16):
        for k in (2, 4, 8, 16):
            for rho in (0.5, 0.7, 0.9, 1.0, 1.1, 1.3):
                lam = rho * c * MU
                share, mean, _v, _p95, util, _cd2 = node_steady_state(
                    lam, MU, c, 1.0 / k, None, TIMEOUT_MS
                )
                if rho == 1.0:
                    sim = pooled(lam, c, 1.0 / k, 1_000_000, CAPACITY_SEEDS)
                else:
                    sim = simulate(lam, MU, c, TIMEOUT_MS / 1000.0, requests, seed=11,
                                   ca2=1.0 / k)  # fmt: skip
                share_err = (share - sim["gave_up"]) / sim["gave_up"] if sim["gave_up"] else 0.0
                print(f"| {c} | Erlang-{k} | {rho:g} | {sim['gave_up']:.4f} | "
                      f"{share_err:+.1%} | {sim['mean'] * 1000:.2f} | "
                      f"{mean / sim['mean'] - 1:+.1%} | {sim['rho']:.3f} | "
                      f"{util / sim['rho'] - 1:+.1%} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
