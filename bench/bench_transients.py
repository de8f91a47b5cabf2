"""Transients: an overload and its drain, tick by tick, against a per-request simulation.

Usage: ``python bench/bench_transients.py [--seeds N] [--servers 1 4]`` prints the
Markdown table quoted in docs/model.md ("Transients"): 70 req/s for 60 s, 130 req/s for
60 s, then 70 req/s, on 100 req/s of capacity (one server of 10 ms, or four of 40 ms).
Per tick: the mean and p99 response time of the requests completing in it, pooled over
N seeded runs of ``tests/simulation/transient_sim.py`` (300 by default), the engine's
(its frame's mean and the p99 of its gamma law), and the engine's error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.simulation.test_transient_fidelity import (  # noqa: E402
    HORIZON,
    PHASES,
    engine_series,
)
from tests.simulation.transient_sim import simulate  # noqa: E402

TICKS = (59, 60, 61, 62, 65, 80, 100, 119, 125, 135, 138, 140, 150, 160, 170, 175, 178,
         180, 182, 184, 186, 188, 190, 195)  # fmt: skip
SERVICE_MS = {1: 10.0, 4: 40.0}  # 100 req/s of capacity either way


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=300)
    parser.add_argument("--servers", type=int, nargs="+", default=[1, 4], choices=[1, 4])
    args = parser.parse_args()
    print(
        "| servers | tick (s) | sim mean (s) | engine | error | sim p99 (s) | engine | error |\n"
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for c in args.servers:
        ms = SERVICE_MS[c]
        ref = simulate(PHASES, c, 1000.0 / ms, None, args.seeds, float(HORIZON))
        got = engine_series(c, ms)
        for k in TICKS:
            (rm, rp), (gm, gp) = ref[k], got[k]
            print(
                f"| {c} | {k} | {rm:.3f} | {gm:.3f} | {100 * (gm / rm - 1):+.1f}% "
                f"| {rp:.3f} | {gp:.3f} | {100 * (gp / rp - 1):+.1f}% |"
            )


if __name__ == "__main__":
    main()
