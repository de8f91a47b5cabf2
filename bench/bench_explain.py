"""What explanations cost (simulation/explain.py): CPU time of ``Engine.explain()`` and
the bytes they add to a live frame on the wire, for generated designs whose every cell
is overloaded (each client sends 4x its usual rate, so most components are unhealthy).

Usage: ``python bench/bench_explain.py [--write]`` (``--write`` puts the table under
"Explanations" in docs/benchmarks.md). Each size: median of 50 calls after 3 ticks.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time

from bench_engine import BENCH_LIMITS, ROOT, machine
from benchdoc import write_section

sys.path.insert(0, str(ROOT))

from sandbox.live.wire import FrameCodec
from simulation import Engine
from simulation.explain import explanations
from tests.simulation.designs import generated_design

HEADING = "## Explanations"
SIZES = (10, 100, 1000, 2000)


def overloaded(size: int) -> dict:
    doc = generated_design(size)
    for component in doc["components"]:
        if component["kind"] == "client":
            component["params"]["rps"] *= 4
    return doc


def measure(size: int) -> dict:
    doc = overloaded(size)
    engine = Engine(doc, {"duration_s": 1e6, "warmup_s": 0}, limits=BENCH_LIMITS)
    for _ in range(3):
        engine.step()
    times = []
    for _ in range(50):
        start = time.thread_time_ns()
        explained = explanations(engine.state, engine.frame)
        times.append(time.thread_time_ns() - start)
    frame = engine.frame.to_json()
    codec = FrameCodec(engine.document)
    plain = len(json.dumps(codec.encode(frame), separators=(",", ":")))
    frame["explain"] = explained
    with_why = len(json.dumps(codec.encode(frame), separators=(",", ":")))
    unhealthy = sum(1 for node in engine.frame.nodes.values() if node.health != "ok")
    return {"size": size, "unhealthy": unhealthy, "explained": len(explained),
            "us": statistics.median(times) / 1000.0, "bytes": with_why - plain,
            "frame_bytes": plain}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    rows = [measure(size) for size in SIZES]
    lines = [
        f"Measured {datetime.date.today().isoformat()} on {machine()} with "
        "`python bench/bench_explain.py --write`: generated designs with every client at 4x "
        "its rate; CPU time of computing the tick's explanations (median of 50; a repeated "
        "quiet tick reuses them) and the bytes they add to the frame's wire text (at most "
        "20 components are explained).",
        "",
        "| components | unhealthy | explained | explain() | added to the frame | frame without |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {row['size']:,} | {row['unhealthy']:,} | {row['explained']} | {row['us']:.0f} us | "
        f"{row['bytes'] / 1000:.1f} kB | {row['frame_bytes'] / 1000:.1f} kB |"
        for row in rows
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        write_section(ROOT / "docs" / "benchmarks.md", HEADING, text)


if __name__ == "__main__":
    main()
