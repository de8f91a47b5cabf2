"""The engine side by side with an earlier commit's, in one process, alternating.

Usage: ``python bench/bench_engine_vs.py BASELINE [--rounds N] [--markdown] [--write]``
(``BASELINE`` is a git revision; ``--write`` puts the results under "Engine side by side"
in docs/benchmarks.md).

The baseline's ``simulation`` package is taken with ``git archive`` into a temporary
directory and imported as ``baseline_simulation`` (its modules import each other
relatively, so the two engines share nothing but the standard library). Each round runs,
for every case, a block of ticks on each side, in alternating order. The cases, on a
generated design of 10, 100 and 1,000 components:

- computed: every client's traffic on a slow wave (a new rate every tick, so every tick
  is computed in full and none repeats a memoised one), noise off;
- noisy: steady traffic with Poisson noise on (every tick computed);
- quiet: steady traffic, every tick reused.

Round ``r`` runs seed ``r + 1`` on both sides, so no round replays another's noise or
wave. Reported: the median over rounds of each side's median CPU time per tick, and the
median of the per-round ratios. Computed and quiet ticks must be within ``TOLERANCE`` of
the baseline; noisy ticks are reported beside them (a baseline with another noise model
does other work: see docs/model.md "Noise", Cost).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import io
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from bench_engine import BENCH_LIMITS, ROOT, machine
from benchdoc import write_section

from simulation import Engine
from tests.simulation.designs import generated_design

SIZES = (10, 100, 1000)
TICKS = {10: 400, 100: 150, 1000: 30}  # per block: each block takes about 10-30 ms
HEADING = "## Engine side by side"
DOCS = ROOT / "docs" / "benchmarks.md"
TOLERANCE = 0.10  # the engine may be at most this much slower than the baseline (issue 13)


def import_baseline(revision: str, into: Path):
    """The ``simulation`` package of ``revision``, imported as ``baseline_simulation``."""
    archive = subprocess.run(
        ["git", "archive", revision, "simulation"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    (into / "simulation").rename(into / "baseline_simulation")
    sys.path.insert(0, str(into))
    return importlib.import_module("baseline_simulation")


CASES = ("computed", "noisy", "quiet")
GUARDED = ("computed", "quiet")  # held to TOLERANCE


def case_scenario(case: str, design: dict, seed: int) -> dict:
    """The scenario of one case (see the module's docstring)."""
    scenario = {"duration_s": 1e6, "noise": case == "noisy", "seed": seed, "warmup_s": 0}
    if case == "computed":
        clients = [c["id"] for c in design["components"] if c["kind"] == "client"]
        # Periods differ by round, so no round finds another's rates in the memos.
        period = 1000.0 + 37.0 * seed
        scenario["waves"] = [{"source": c, "amplitude": 0.3, "period_s": period} for c in clients]
    return scenario


def block_us(engine_class, limits, design: dict, case: str, ticks: int, seed: int) -> float:
    """Median CPU time (us) of one tick over a block of ``ticks``, after two warm-up ticks."""
    scenario = case_scenario(case, design, seed)
    engine = engine_class(design, scenario, limits=limits)
    engine.step()
    engine.step()
    times = []
    for _ in range(ticks):
        start = time.thread_time_ns()
        engine.step()
        times.append(time.thread_time_ns() - start)
    return statistics.median(times) / 1000.0


def measure(baseline, rounds: int, sizes: tuple[int, ...] = SIZES) -> list[dict]:
    limits = {"ours": BENCH_LIMITS, "baseline": baseline.Limits(**vars(BENCH_LIMITS))}
    engines = {"ours": Engine, "baseline": baseline.Engine}
    rows = []
    for size in sizes:
        design = generated_design(size)
        for case in CASES:
            ours, base, ratios = [], [], []
            for r in range(rounds):
                order = ("ours", "baseline") if r % 2 == 0 else ("baseline", "ours")
                # Each round its own seed (the same on both sides): a round that replayed an
                # earlier round's noise would find its percentiles in the process's memos.
                got = {
                    side: block_us(engines[side], limits[side], design, case, TICKS[size], r + 1)
                    for side in order
                }
                ours.append(got["ours"])
                base.append(got["baseline"])
                ratios.append(got["ours"] / got["baseline"])
            rows.append({"size": size, "ticks": case,
                         "ours_us": statistics.median(ours), "baseline_us": statistics.median(base),
                         "ratio": statistics.median(ratios)})  # fmt: skip
    return rows


def markdown(rows: list[dict], revision: str, rounds: int) -> str:
    today = datetime.date.today().isoformat()
    lines = [
        f"Measured {today} on {machine()} with `python bench/bench_engine_vs.py {revision} "
        f"--rounds {rounds} --write`: this engine and commit `{revision}`'s in one process, "
        "blocks of ticks alternating side by side, each round with its own seed (the same "
        "on both sides); CPU time per tick, medians over rounds, and the median of the "
        "per-round ratios (below 1: faster). Computed: traffic on a wave, a new rate "
        "every tick, noise off; noisy: steady traffic, Poisson noise on; quiet: steady "
        f"traffic, every tick reused. Computed and quiet ticks are held to {TOLERANCE:.0%}.",
        "",
        "| components | ticks | this engine (us) | baseline (us) | ratio |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {row['size']:,} | {row['ticks']} | {row['ours_us']:.1f} | {row['baseline_us']:.1f} "
        f"| {row['ratio']:.3f} |"
        for row in rows
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", help="git revision to compare with (e.g. a commit hash)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--sizes", default="10,100,1000", help="design sizes, comma-separated (of 10,100,1000)"
    )
    parser.add_argument("--markdown", action="store_true", help="print a Markdown section")
    parser.add_argument("--write", action="store_true", help=f'write "{HEADING}" of {DOCS}')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        baseline = import_baseline(args.baseline, Path(tmp))
        sizes = tuple(int(size) for size in args.sizes.split(","))
        rows = measure(baseline, args.rounds, sizes)
    text = markdown(rows, args.baseline, args.rounds)
    if args.write:
        write_section(DOCS, HEADING, text)
    if args.markdown or args.write:
        print(f"{HEADING}\n\n{text}")
    else:
        for row in rows:
            print(f"{row['size']:>6} {row['ticks']:<9} ours {row['ours_us']:9.1f} us  "
                  f"baseline {row['baseline_us']:9.1f} us  ratio {row['ratio']:.3f}")  # fmt: skip
    slower = [row for row in rows if row["ticks"] in GUARDED and row["ratio"] > 1.0 + TOLERANCE]
    if slower:
        sys.exit(f"slower than {args.baseline} by more than {TOLERANCE:.0%}: {slower}")


if __name__ == "__main__":
    main()
