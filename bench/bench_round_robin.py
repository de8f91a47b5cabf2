"""Round robin and weighted splits against their references (issue 13, item 1).

Usage: ``python bench/bench_round_robin.py`` (about 4 minutes). Prints two markdown tables
for docs/model.md:

1. One round-robin instance (k instances of c servers, 10 ms service) at utilisation
   0.3..0.97: the engine's error in mean and p95 against exact E_k/M/c
   (tests/simulation/reference.py), now and as it was (Allen-Cunneen's factor on M/M/c
   with a gamma p95, computed here from the same formulas), and end to end through
   the balancer (p99, what the summary shows) against the exact phase-type law.
2. Weighted splits: the busiest target's mean and p95 against the per-request
   simulation of the deal (tests/simulation/dealing_sim.py, the mean of
   ``WEIGHTED_SEEDS`` runs of 1,000,000 requests; its standard error, from the runs'
   spread, is printed beside it), now and with the old ca2 (share only).
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulation import Engine
from simulation.latency import gamma_p95_ms
from simulation.queueing import mmc_unchecked, wait_mixture_percentile
from simulation.steady import node_steady_state
from tests.simulation.dealing_sim import simulate
from tests.simulation.designs import settled
from tests.simulation.reference import ek_mc_wait, round_robin
from tests.simulation.test_round_robin_fidelity import dealt

MU = 100.0


def pct(got: float, want: float) -> str:
    return f"{100.0 * (got / want - 1.0):+.1f}%"


def round_robin_table() -> None:
    print("| k | c | rho | mean now | p95 now | e2e p99 now | mean before | p95 before |")
    print("|---|---|-----|----------|---------|-------------|-------------|------------|")
    for c in (1, 8):
        for k in (2, 4, 16):
            for rho in (0.3, 0.5, 0.7, 0.9, 0.97):
                rps = rho * k * c * MU
                wait_prob, drain = ek_mc_wait(k, rps, MU, c)
                mean = wait_prob / drain + 1.0 / MU
                p95 = wait_mixture_percentile(0.95, MU, drain, wait_prob)
                frame = settled(Engine(dealt("round_robin", rps, [("web", k, c, 10.0)])))
                node = frame.nodes["web"]
                e2e = round_robin(rps, web_servers=k, web_concurrency=c, db_fraction=0.0)
                old = mmc_unchecked(rps / k, MU, c, 1.0 / k)
                old_p95 = gamma_p95_ms(old.mean_response, old.response_var)() / 1000.0
                print(f"| {k} | {c} | {rho} | {pct(node.lat / 1000, mean)} | "
                      f"{pct(node.p95 / 1000, p95)} | "
                      f"{pct(frame.globals['p99_ms'] / 1000, e2e.quantile(0.99))} | "
                      f"{pct(old.mean_response, mean)} | {pct(old_p95, p95)} |")  # fmt: skip


WEIGHTED_SEEDS = 4  # runs of the dealing simulation per point: their mean, and its error


def weighted_table() -> None:
    print("| weights | service ms | rho | mean now | p95 now | mean before | p95 before | "
          "sim stderr mean/p95 |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    cases = [([3, 1], [10.0, 10.0]), ([5, 3, 2], [10.0] * 3), ([2, 1], [5.0, 10.0]),
             ([7, 2, 1], [10.0] * 3)]  # fmt: skip
    for weights, service_ms in cases:
        for rho in (0.3, 0.5, 0.7, 0.9):
            share = weights[0] / sum(weights)
            rps = rho * 1000.0 / service_ms[0] / share
            names = [f"w{j}" for j in range(len(weights))]
            targets = [(n, 1, 1, ms) for n, ms in zip(names, service_ms, strict=True)]
            doc = dealt("weighted", rps, targets, dict(zip(names, weights, strict=True)))
            node = settled(Engine(doc)).nodes["w0"]
            service_s = [ms / 1000.0 for ms in service_ms]
            seeds = range(11, 11 + WEIGHTED_SEEDS)
            runs = [simulate(rps, weights, service_s, 1, 1_000_000, s)[0].values for s in seeds]
            want, err = {}, {}
            for key in ("mean", "p95"):
                values = [run[key] for run in runs]
                want[key] = statistics.mean(values)
                err[key] = statistics.stdev(values) / len(values) ** 0.5
            noise = f"{100 * err['mean'] / want['mean']:.1f}% / "
            noise += f"{100 * err['p95'] / want['p95']:.1f}%"
            mu = 1000.0 / service_ms[0]
            _, w, _, p95, _, _ = node_steady_state(rps * share, mu, 1, share, None, None)
            print(f"| {':'.join(map(str, weights))} | {'/'.join(f'{m:g}' for m in service_ms)} "
                  f"| {rho} | {pct(node.lat / 1000, want['mean'])} | "
                  f"{pct(node.p95 / 1000, want['p95'])} | {pct(w, want['mean'])} | "
                  f"{pct(p95() / 1000, want['p95'])} | "
                  f"{noise} |")  # fmt: skip


if __name__ == "__main__":
    round_robin_table()
    print()
    weighted_table()
