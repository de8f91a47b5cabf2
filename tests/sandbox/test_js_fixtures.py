"""The JavaScript tests read the catalog from files written from Python: they stay current.

Refresh them with ``.venv/bin/python -m tests.sandbox.test_js_fixtures``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import simulation

TESTDATA = Path(__file__).resolve().parents[2] / "static" / "src" / "testdata"
FIXTURES: dict[str, Callable[[], object]] = {
    "catalog.json": simulation.catalog,
    "kind_looks.json": simulation.kind_looks,
    "metric_names.json": simulation.metric_names_json,
}


def fixture_text(name: str) -> str:
    return json.dumps(FIXTURES[name](), indent=1, sort_keys=True) + "\n"


def write_fixtures() -> None:
    for name in FIXTURES:
        (TESTDATA / name).write_text(fixture_text(name), encoding="utf-8")


def test_the_js_fixtures_are_what_python_says_today() -> None:
    """Each file under static/src/testdata is what its Python source gives now."""
    for name in FIXTURES:
        stored = (TESTDATA / name).read_text(encoding="utf-8")
        assert stored == fixture_text(name), (
            f"static/src/testdata/{name} is stale: run "
            "`.venv/bin/python -m tests.sandbox.test_js_fixtures`"
        )


if __name__ == "__main__":
    write_fixtures()
