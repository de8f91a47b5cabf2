"""The command line: ``python -m simulation validate|run``, its outputs and exit codes."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from simulation import Engine, get_example
from simulation.cli import _advance, main

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = resources.files("simulation.examples")

BAD_DESIGN = {
    "format": 1,
    "name": "broken",
    "components": [
        {"id": "a", "kind": "nope"},
        {"id": "w", "kind": "web_server", "params": {"instances": 0}},
    ],
    "links": [{"from": "w", "to": "zz"}],
}


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(["run", *argv, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def cache_files(tmp_path: Path) -> Path:
    """The cache example's design and scenario copied to files, as a user would have them."""
    for name in ("08_cache.json", "08_cache.scenario.json"):
        with resources.as_file(EXAMPLES / name) as source:
            shutil.copy(source, tmp_path / name)
    return tmp_path / "08_cache.json"


# --- validate ------------------------------------------------------------------------------


def test_validate_accepts_a_valid_file(cache_files, capsys):
    """A valid design (and the scenario beside it) exits 0 and says so on stdout."""
    assert main(["validate", str(cache_files)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{cache_files}: valid (5 components, 5 links)"
    assert out[1].endswith("valid (480 s, 4 faults, 0 checks)")


def test_validate_accepts_an_example_slug(capsys):
    """An example slug works wherever a file does."""
    assert main(["validate", "multi-dc"]) == 0
    assert capsys.readouterr().out.startswith("example multi-dc: valid (10 components, 8 links)")


def test_validate_prints_warnings_after_valid_and_exits_0(tmp_path, capsys):
    """A design whose writes end at the web tier is valid, with a warning line."""
    doc = {
        "format": 1,
        "components": [
            {"id": "users", "kind": "client"},
            {"id": "web-1", "kind": "web_server"},
            {"id": "cache-1", "kind": "cache"},
            {"id": "db", "kind": "database"},
        ],
        "links": [
            {"from": "users", "to": "web-1"},
            {"from": "web-1", "to": "cache-1"},
            {"from": "cache-1", "to": "db"},
        ],
    }
    path = write(tmp_path / "d.json", doc)
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{path}: valid (4 components, 3 links)",
        f"{path}: warning: components[1]: Writes from users never reach a component that "
        "takes them: they end at web-1; link web-1 to a database.",
    ]


def test_validate_prints_every_problem_with_its_path_and_exits_2(tmp_path, capsys):
    """Each problem is one `file: path: message` line on stderr; nothing on stdout."""
    path = write(tmp_path / "bad.json", BAD_DESIGN)
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"{path}: components[0].kind: unknown kind 'nope'; use client, dns, cdn, "
        "load_balancer, web_server, cache, session_store, database, shard_router, "
        "message_queue, worker, datacenter",
        f"{path}: components[1].params.instances: must be an integer from 1 to 1000",
        f"{path}: links[0].to: no component with id 'zz'",
    ]


def test_validate_checks_a_scenario_against_the_design(cache_files, tmp_path, capsys):
    """A scenario naming a missing component is invalid input too."""
    scenario = write(
        tmp_path / "s.json", {"faults": [{"at": 5, "action": "fail", "target": "ghost"}]}
    )
    assert main(["validate", str(cache_files), "--scenario", str(scenario)]) == 2
    assert (
        capsys.readouterr().err == f"{scenario}: faults[0].target: no component with id 'ghost'\n"
    )


def test_design_and_scenario_problems_are_reported_together(tmp_path, capsys):
    """With a bad design, its problems are listed (a scenario needs a valid design)."""
    design = write(tmp_path / "bad.json", BAD_DESIGN)
    scenario = write(tmp_path / "bad.scenario.json", {"tick_s": -1})
    assert main(["run", str(design), "--scenario", str(scenario)]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 3


def test_unreadable_input_exits_2_with_a_clear_message(tmp_path, capsys):
    """Broken JSON, a JSON list, a missing file and an unknown slug are each named."""
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": 1,\n "components": [}', encoding="utf-8")
    listed = write(tmp_path / "list.json", [1, 2])
    assert main(["validate", str(broken)]) == 2
    assert capsys.readouterr().err.startswith(
        f"{broken}: not valid JSON: Expecting value at line 2 column 17"
    )
    assert main(["validate", str(listed)]) == 2
    assert capsys.readouterr().err == f"{listed}: must hold a JSON object, not list\n"
    assert main(["run", str(tmp_path / "missing.json")]) == 2
    assert capsys.readouterr().err == f"{tmp_path / 'missing.json'}: no such file\n"
    assert main(["run", "no-such-example"]) == 2
    assert "no built-in example of that name (examples: single-server," in (capsys.readouterr().err)


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "cache", "--ticks", "0"],
        ["run", "cache", "--until", "nan"],
        ["run", "cache", "--ticks", "5", "--until", "5"],
        ["run", "cache", "--format", "xml"],
        ["run", "cache", "--seed", "-1"],
        ["frobnicate"],
    ],
)
def test_bad_arguments_exit_2(argv, capsys):
    """argparse's own errors keep the invalid-input exit code."""
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err


# --- run -----------------------------------------------------------------------------------


def test_json_output_has_the_keys_design_md_promises(capsys):
    """The JSON object keeps every key of DESIGN.md "CLI output" (it may add more)."""
    code, report = run_json(capsys, "scale-out")
    assert code == 0
    assert {"design", "seed", "tick_s", "ticks", "summary", "components", "series",
            "events", "checks"} <= report.keys()  # fmt: skip
    assert report["design"] == "Scale out: more servers behind a load balancer"
    assert (report["seed"], report["tick_s"], report["ticks"]) == (3, 1.0, 480)
    summary = report["summary"]
    assert {"offered_rps", "served_rps", "dropped_rps", "availability", "error_rate",
            "cost_per_hour", "latency_ms"} <= summary.keys()  # fmt: skip
    assert set(summary["latency_ms"]) >= {"mean", "p50", "p95", "p99"}
    assert list(report["components"]) == ["users", "lb", "web", "db"]
    web = report["components"]["web"]
    assert {"offered_rps", "served_rps", "dropped_rps", "utilization", "queue", "status",
            "latency_ms"} <= web.keys()  # fmt: skip
    assert set(web["latency_ms"]) >= {"mean", "p50", "p95", "p99"}
    assert {"t", "throughput_rps", "error_rate", "p99_ms"} <= report["series"].keys()
    assert all(len(values) == 480 for values in report["series"].values())
    assert report["series"]["t"][:3] == [1.0, 2.0, 3.0]
    assert {"t": 120.0, "component": "web", "kind": "failed",
            "text": "Web servers: 1 of 4 instances failed"} in report["events"]  # fmt: skip
    assert report["checks"] == []


def test_json_output_is_the_engines_report(capsys):
    """`run --format json` prints exactly Engine.report() for the same inputs."""
    example = get_example("cdn")
    _, report = run_json(capsys, "cdn", "--ticks", "300")
    engine = Engine(example.document, example.scenario)
    for _ in range(300):
        engine.step()
    assert report == json.loads(json.dumps(engine.report()))


def test_run_length_follows_ticks_until_or_the_scenario(capsys):
    """--ticks N runs N ticks, --until S runs to S seconds, else the scenario's duration."""
    assert run_json(capsys, "single-server", "--ticks", "7")[1]["ticks"] == 7
    assert run_json(capsys, "single-server", "--until", "12.5")[1]["ticks"] == 13
    assert run_json(capsys, "single-server", "--until", "30")[1]["ticks"] == 30
    assert run_json(capsys, "single-server")[1]["ticks"] == 480
    longer = run_json(capsys, "single-server", "--ticks", "500")[1]
    assert longer["ticks"] == 500  # past the scenario's end, traffic stays where it was
    assert longer["series"]["offered_rps"][-1] == 480.0


def test_seed_option_overrides_the_scenarios_seed(capsys):
    """--seed replaces the scenario's seed; without it the scenario's seed is used."""
    assert run_json(capsys, "cache", "--ticks", "2")[1]["seed"] == 7
    assert run_json(capsys, "cache", "--ticks", "2", "--seed", "99")[1]["seed"] == 99


def test_a_file_runs_with_the_scenario_beside_it_unless_told_otherwise(cache_files, capsys):
    """<name>.scenario.json next to <name>.json is picked up; --scenario replaces it."""
    _, beside = run_json(capsys, str(cache_files))
    assert beside["ticks"] == 480
    assert [e["text"] for e in beside["events"]][:1] == ["Cache hit_ratio set to 0.5"]
    other = write(cache_files.with_name("calm.json"), {"duration_s": 20, "seed": 4})
    _, calm = run_json(capsys, str(cache_files), "--scenario", str(other))
    assert (calm["ticks"], calm["seed"], calm["events"]) == (20, 4, [])


def test_csv_output_is_the_per_tick_series(capsys):
    """One header row and one row per tick, the same numbers as the JSON series."""
    _, report = run_json(capsys, "message-queue", "--ticks", "40")
    assert main(["run", "message-queue", "--ticks", "40", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][0] == "t"
    assert set(rows[0]) == set(report["series"])
    assert len(rows) == 41
    for column, name in enumerate(rows[0]):
        assert [float(row[column]) for row in rows[1:]] == report["series"][name]


def test_table_output_reads_well_in_a_terminal(capsys):
    """Components with their kind and numbers, global metrics, events and checks."""
    assert main(["run", "db-replication"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert (
        lines[0] == "Database replication: a primary and two replicas  (seed 6, 540 ticks of 1 s)"
    )
    header = next(line for line in lines if line.startswith("component"))
    assert header.split() == ["component", "kind", "status", "offered/s", "served/s",
                              "dropped/s", "util", "queue", "mean", "ms", "p99", "ms"]  # fmt: skip
    assert any(line.split()[:3] == ["db-replica-2", "database", "up"] for line in lines)
    assert any(line.startswith("availability ") for line in lines)
    promoted = (
        "  t=330s  Replica 1 (reads) promoted to primary; ~2 writes inside its replication lag"
    )
    promoted += " lost"
    assert promoted in lines
    assert lines[-1] == "checks: none"
    assert max(len(line) for line in lines if not line.startswith("  t=")) <= 100


def test_a_failed_check_exits_1_and_the_table_says_which(capsys):
    """Alerts that fire fail the run (exit 1); the table marks each check PASS or FAIL."""
    assert main(["run", "monitoring"]) == 1
    lines = capsys.readouterr().out.splitlines()
    checks = lines[lines.index("checks:") + 1 :]
    assert [line.split()[0] for line in checks] == ["FAIL", "FAIL", "FAIL", "PASS"]
    assert checks[3].startswith("  PASS  site down: availability below 50% for 60 s")


# The server fails at 10 s; availability below 50% for 5 s aborts the run at 15 s.
ABORT_AT_15_S = {
    "duration_s": 600,
    "faults": [{"at": 10, "action": "fail", "target": "server"}],
    "checks": [{"metric": "availability", "op": "<", "value": 0.5, "for_s": 5, "abort": True}],
}


def test_an_aborting_check_ends_the_run_early(tmp_path, capsys):
    """A check with abort stops the run where it failed; the report says so."""
    scenario = write(tmp_path / "abort.json", ABORT_AT_15_S)
    code, report = run_json(capsys, "single-server", "--scenario", str(scenario))
    assert code == 1
    assert report["aborted"] is True
    assert report["ticks"] == 15
    assert report["checks"][0]["failed_at"] == 15.0


def test_the_table_says_when_the_run_ended_before_its_warm_up(tmp_path, capsys):
    """Aborted at 15 s of a 60-s warm-up: the averages are over every tick, and it says so."""
    scenario = write(tmp_path / "abort.json", ABORT_AT_15_S)
    assert main(["run", "single-server", "--scenario", str(scenario)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "averages over every tick: the run ended before its 60-s warm-up did"
    assert main(["run", "single-server"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "averages after a warm-up of 48 s"


def test_progress_is_drawn_on_a_terminal_and_cleared_after():
    """Long runs draw a progress bar on a terminal's stderr; other streams get nothing."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    example = get_example("single-server")
    terminal, pipe = Terminal(), io.StringIO()
    _advance(Engine(example.document, example.scenario), 1010, terminal)
    _advance(Engine(example.document, example.scenario), 1010, pipe)
    drawn = terminal.getvalue()
    assert "[##############################] 100%  tick 1010/1010" in drawn
    assert "[###---------------------------]  10%  tick 110/1010" in drawn
    assert drawn.endswith("\r" + " " * 64 + "\r")
    assert pipe.getvalue() == ""


def test_python_dash_m_simulation_runs_as_a_module():
    """The package runs with -m and returns the exit code of main()."""
    done = subprocess.run(
        [sys.executable, "-m", "simulation", "run", "scale-up", "--ticks", "5", "--format",
         "json"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ticks"] == 5
    failed = subprocess.run(
        [sys.executable, "-m", "simulation", "validate", "missing.json"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert failed.returncode == 2
    assert failed.stderr == "missing.json: no such file\n"


def test_examples_lists_every_slug_with_its_title(capsys):
    """`examples` prints one line per built-in example, in teaching order."""
    assert main(["examples"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 15
    assert lines[0].split(maxsplit=1) == ["single-server", "One server does everything"]
    assert lines[-1].startswith("retry-storm ")
