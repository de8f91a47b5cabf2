"""Poisson noise: the engine's run numbers against M/M/c, its per-tick spread against a
per-request simulation.

Usage: ``python bench/bench_noise.py [--ticks N] [--ref-ticks N]`` prints the Markdown
table quoted in docs/model.md ("Noise"): for one server, four servers and a balanced
tier of four one-server instances, at utilisation 0.5 .. 0.97 with noise on,

- the run's mean and p99 response against M/M/c's closed form, each with the engine's
  error (service rate set so the waits' relaxation time is a thirtieth of a 1-s tick,
  ``--ticks`` ticks: 5,000 by default, a sampling error near 0.5% of the mean);
- with 10 ms of service, the standard deviation of the per-tick mean response and its
  lag-one autocorrelation, engine / per-request simulation
  (``tests/simulation/noise_sim.py``, ``--ref-ticks`` 1-s ticks, 3,000 by default:
  good to 3% at light load, about 12% at 0.97 on one server). Not run for the tier.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation.queueing import mmc, response_percentile  # noqa: E402
from tests.simulation.noise_sim import lag_one, simulate, spread  # noqa: E402
from tests.simulation.test_noise_fidelity import SHAPES, noisy_run, relaxation  # noqa: E402

LOADS = (0.5, 0.8, 0.9, 0.95, 0.97)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=5000)
    parser.add_argument("--ref-ticks", type=int, default=3000)
    args = parser.parse_args()
    print("| servers | utilisation | M/M/c mean (ms) | error | M/M/c p99 (ms) | error "
          "| tick spread (ms): engine / sim | lag one: engine / sim |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for shape, (c, instances) in SHAPES.items():
        for rho in LOADS:
            mu = relaxation(rho, 1.0, c) * 30.0
            _rows, latency = noisy_run(c, instances, rho, mu, args.ticks, seed=11)
            lam = rho * c * mu
            mean = mmc(lam, mu, c).mean_response * 1000.0
            p99 = response_percentile(0.99, lam, mu, c) * 1000.0
            row = (f"| {shape} | {rho:g} | {mean:.3f} | {latency['mean'] / mean - 1:+.1%} "
                   f"| {p99:.3f} | {latency['p99'] / p99 - 1:+.1%} ")  # fmt: skip
            if instances:
                print(row + "| - | - |")
                continue
            rows, _latency = noisy_run(c, 0, rho, 100.0, args.ref_ticks, seed=11)
            ticks = [lat * 1000.0 for _offered, _served, lat in rows]
            sim = simulate(rho * c * 100.0, 100.0, c, args.ref_ticks, seed=11)
            ref = [x * 1000.0 for x in sim["mean"]]
            print(row + f"| {spread(ticks):.2f} / {spread(ref):.2f} "
                  f"| {lag_one(ticks):.2f} / {lag_one(ref):.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
