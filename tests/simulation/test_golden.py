"""Golden runs: a design and scenario whose report summary is kept in a file.

A change in the engine's numbers fails here first. When the change is intended,
regenerate with ``.venv/bin/python -m tests.simulation.test_golden`` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulation import Engine

from .designs import web_stack
from .flat import flatten

GOLDEN = Path(__file__).with_name("golden")

SCENARIO = {
    "duration_s": 300,
    "seed": 4,
    "traffic": [{"at": 60, "source": "users", "rps": 900, "ramp_s": 30}],
    "faults": [
        {"at": 100, "target": "web", "action": "fail", "count": 1},
        {"at": 150, "target": "cache", "action": "flush"},
        {"at": 200, "target": "db", "action": "fail"},
        {"at": 260, "target": "web", "action": "recover"},
    ],
}


def golden_runs() -> dict[str, dict]:
    """Each golden run's report, without the per-tick series."""
    engine = Engine(web_stack(), SCENARIO)
    engine.run()
    report = engine.report()
    report.pop("series")
    return {"web_stack": report}


@pytest.mark.parametrize("name", ["web_stack"])
def test_a_golden_run_gives_its_stored_report(name: str):
    """The web stack under traffic growth, an instance loss, a flush and a failover."""
    stored = flatten(json.loads((GOLDEN / f"{name}.json").read_text()))
    got = flatten(json.loads(json.dumps(golden_runs()[name])))
    numbers = sorted(k for k, v in stored.items() if isinstance(v, float))
    assert {k: v for k, v in got.items() if k not in numbers} == {
        k: v for k, v in stored.items() if k not in numbers
    }
    # Solvers converge to 1e-9; anything beyond 1e-6 is a change in the model.
    assert [got[k] for k in numbers] == pytest.approx([stored[k] for k in numbers], rel=1e-6)


if __name__ == "__main__":
    for run_name, data in golden_runs().items():
        (GOLDEN / f"{run_name}.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
