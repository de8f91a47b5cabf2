"""Golden frames: every frame and the report of fixed runs, kept as digests in a file.

The runs are every built-in example under its own scenario, and generated designs of a
few sizes, with noise on and off, under every live control applied at fixed ticks. Any
change to a single number of a single frame fails here, naming the run and the first
tick whose frame differs. A restructure of the engine must leave this file's test
passing untouched. When a change in the numbers is intended, regenerate with
``.venv/bin/python -m tests.simulation.test_golden_frames`` and say why in the commit.

Stored per run: the SHA-256 of all frames' canonical JSON in order and of the report's,
plus the first 8 hex digits of each frame's own SHA-256 (only to find the first tick
that differs; 60 ticks a line), so the file stays small.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from simulation import Engine, Frame, get_example, list_examples

from .designs import generated_design

STORED = Path(__file__).with_name("golden") / "frames.json"
TICK_DIGITS = 8
TICKS_PER_LINE = 60


def canonical(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def cell_controls(cell: int) -> list[tuple[int, dict]]:
    """(tick, control): every kind of live control on one ten-component cell."""
    p = f"c{cell}-"
    return [
        (20, {"action": "fail", "target": p + "web", "count": 1}),
        (40, {"action": "set_rate", "target": p + "users", "rps": 2500}),
        (60, {"action": "flush", "target": p + "cache"}),
        (80, {"action": "scale", "target": p + "web", "instances": 6}),
        (100, {"action": "set_param", "target": p + "db", "param": "service_ms", "value": 8.0}),
        (120, {"action": "link_latency", "from": p + "web", "to": p + "db", "ms": 40.0}),
        (140, {"action": "fail", "target": p + "db"}),
        (160, {"action": "recover", "target": p + "web"}),
        (170, {"action": "recover", "target": p + "db"}),
        (180, {"action": "scale", "target": p + "db", "size": "large"}),
        (200, {"action": "fail", "target": p + "cache"}),
        (230, {"action": "recover", "target": p + "cache"}),
        (250, {"action": "set_rate", "target": p + "users", "rps": 600}),
    ]


@dataclass(frozen=True)
class Run:
    """A golden run: how to build its engine, and the live controls it gets at fixed ticks."""

    build: Callable[[], Engine]
    controls: tuple[tuple[int, dict], ...] = ()

    def frames(self, engine: Engine) -> Iterator[Frame]:
        """Every frame to the end, each control applied just before its tick is computed."""
        controls = list(self.controls)
        while not engine.finished:
            while controls and controls[0][0] <= engine.now:
                engine.apply(controls.pop(0)[1])
            yield engine.step()


def example_run(slug: str) -> Run:
    """A built-in example under its own scenario."""

    def build() -> Engine:
        example = get_example(slug)
        return Engine(example.document, example.scenario)

    return Run(build)


def generated_run(size: int, noise: bool, ticks: int) -> Run:
    """A generated design of ``size`` components; controls on its first and last cells."""
    cells = sorted({0, size // 10 - 1})
    # Stable sort: at the same tick the first cell's control comes first.
    controls = sorted(
        ((at, c) for cell in cells for at, c in cell_controls(cell) if at < ticks),
        key=lambda item: item[0],
    )
    scenario = {"duration_s": ticks, "seed": 11, "noise": noise, "warmup_s": 30}
    return Run(lambda: Engine(generated_design(size), scenario), tuple(controls))


def all_runs() -> dict[str, Run]:
    """Each golden run by name."""
    runs = {f"example {e.slug}": example_run(e.slug) for e in list_examples()}
    for size, noise, ticks in (
        (10, False, 300),
        (10, True, 300),
        (100, True, 260),
        (1000, False, 60),
    ):
        name = f"generated {size} components, noise {'on' if noise else 'off'}"
        runs[name] = generated_run(size, noise, ticks)
    return runs


RUNS = all_runs()


def digests(name: str) -> dict:
    """The stored form of one run: report and frames digests, and per-tick short digests."""
    run = RUNS[name]
    engine = run.build()
    frames = hashlib.sha256()
    ticks = []
    for frame in run.frames(engine):
        data = canonical(frame.to_json())
        frames.update(data + b"\n")
        ticks.append(hashlib.sha256(data).hexdigest()[:TICK_DIGITS])
    report = hashlib.sha256(canonical(engine.report())).hexdigest()
    lines = ["".join(ticks[k : k + TICKS_PER_LINE]) for k in range(0, len(ticks), TICKS_PER_LINE)]
    return {"ticks": len(ticks), "frames": frames.hexdigest(), "report": report, "tick": lines}


def tick_digests(run: dict) -> list[str]:
    joined = "".join(run["tick"])
    return [joined[k : k + TICK_DIGITS] for k in range(0, len(joined), TICK_DIGITS)]


def first_difference(stored: dict, got: dict) -> str:
    """Why ``got`` differs from ``stored``, naming the first differing tick if any."""
    old, new = tick_digests(stored), tick_digests(got)
    # Frames number their ticks from 1.
    for tick, (a, b) in enumerate(zip(old, new, strict=False), start=1):
        if a != b:
            return f"the frame of tick {tick} differs (and maybe later ones)"
    if len(old) != len(new):
        return f"the run has {len(new)} frames where {len(old)} were recorded"
    if stored["frames"] != got["frames"]:
        return "a frame differs (its 8-digit tick digest matches by chance; compare frames)"
    return "the frames are identical but the report differs"


def load() -> dict:
    return json.loads(STORED.read_text())


def test_the_stored_runs_are_exactly_the_defined_ones():
    assert sorted(load()) == sorted(RUNS), (
        "tests/simulation/golden/frames.json does not hold the runs defined here; "
        "regenerate it with .venv/bin/python -m tests.simulation.test_golden_frames"
    )


@pytest.mark.parametrize("name", sorted(RUNS))
def test_a_golden_run_gives_its_recorded_frames_and_report(name: str):
    stored, got = load()[name], digests(name)
    assert got == stored, (
        f"Run {name!r}: {first_difference(stored, got)}. If the engine is meant to compute "
        "something new, regenerate with .venv/bin/python -m tests.simulation.test_golden_frames "
        "and say why in the commit; otherwise the change altered what users see."
    )


if __name__ == "__main__":
    recorded = {name: digests(name) for name in sorted(RUNS)}
    STORED.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
