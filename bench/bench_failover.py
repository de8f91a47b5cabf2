"""Writes lost on failover against the per-request simulation of replication (issue 13,
item 9).

Usage: ``python bench/bench_failover.py`` (about 10 s). Prints a markdown table for
docs/model.md: a replica applying 100 writes/s with a 100 ms replication delay, its
primary failing at steady write loads 0.1..0.95 and with a backlog; the reference
(tests/simulation/replication_sim.py, with its standard error), the engine's
``lost_writes`` now, and as it was (write rate x the replica's lag at the failure).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.simulation.replication_sim import at_failure, stationary
from tests.simulation.test_failover_fidelity import (
    APPLY,
    BACKLOG,
    DELAY_MS,
    FAIL_AT,
    STEADY,
    replicated,
)


def engine_now_and_before(rps: float, rates: list) -> tuple[float, float]:
    engine = replicated(rps, rates)
    frames = [engine.step() for _ in range(FAIL_AT + 3)]
    before = frames[FAIL_AT - 1]
    writes = before.nodes["db"].offered
    old = writes * before.nodes["db-r"].x["lag_ms"] / 1000.0
    return frames[-1].nodes["db"].x["lost_writes"], old


def row(case: str, ref, now: float, old: float) -> None:
    print(f"| {case} | {ref.mean:.2f} ± {ref.stderr:.2f} | {now:.2f} "
          f"({100 * (now / ref.mean - 1):+.1f}%) | {old:.2f} "
          f"({100 * (old / ref.mean - 1):+.1f}%) |")  # fmt: skip


def main() -> None:
    print("| writes / apply rate | reference (± s.e.) | engine now | engine before |")
    print("|---------------------|--------------------|------------|---------------|")
    for load, seconds in STEADY:
        w = load * APPLY
        ref = stationary(w, DELAY_MS / 1000.0, APPLY, seconds)
        row(f"{load:g}", ref, *engine_now_and_before(w, []))
    for case, rates, phases in BACKLOG:
        ref = at_failure(phases, DELAY_MS / 1000.0, APPLY, seeds=200)
        row(case, ref, *engine_now_and_before(50.0, rates))


if __name__ == "__main__":
    main()
