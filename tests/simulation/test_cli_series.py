"""``run --components``: per-component time series in the CLI's JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from simulation import Engine, get_example
from simulation.cli import main
from simulation.component_series import MAX_POINTS
from simulation.latency import gamma_quantile
from simulation.metric_names import COMPONENT_SERIES
from simulation.queueing import response_percentile
from tests.simulation.designs import single_server


def series_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["run", *argv, "--format", "json"]) in (0, 1)
    return json.loads(capsys.readouterr().out)


def series_csv(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, str]]:
    assert main(["run", *argv, "--format", "csv"]) in (0, 1)
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def frames_of(slug: str) -> list:
    example = get_example(slug)
    engine = Engine(example.document, example.scenario)
    frames = []
    while not engine.finished:
        frames.append(engine.step())
    return frames


def test_the_series_are_the_frames_numbers(capsys):
    """Every sampled tick's numbers are the frame JSON's, with its time; p99 is the
    p99 of the gamma with the node's mean and variance (the law the frame's p95 uses)."""
    report = series_json(capsys, "db-replication", "--components", "all", "--every", "7")
    frames = frames_of("db-replication")
    sampled = [frame for frame in frames if frame.tick % 7 == 0]
    series = report["component_series"]
    assert list(series) == list(frames[0].nodes)
    for cid, columns in series.items():
        assert columns["t"] == [round(frame.t, 6) for frame in sampled]
        for index, frame in enumerate(sampled):
            node = frame.nodes[cid]
            numbers = node.to_json()
            for key in COMPONENT_SERIES:
                if key == "p99":
                    expected = gamma_quantile(0.99, node.lat / 1000.0, node.var) * 1000.0
                    assert columns[key][index] == pytest.approx(expected, rel=1e-3, abs=1e-3)
                else:
                    assert columns[key][index] == numbers[key], (cid, key, frame.tick)
            for key, value in numbers["x"].items():
                assert columns[key][index] == value


def test_existing_keys_are_unchanged(capsys):
    """The report with series is the report without them plus one key."""
    plain = series_json(capsys, "cache")
    with_series = series_json(capsys, "cache", "--components", "cache")
    assert with_series.pop("component_series").keys() == {"cache"}
    assert with_series == plain


@pytest.mark.parametrize(
    ("slug", "component", "key", "largest"),
    [
        ("cache", "cache", "hit_ratio", 0.9),
        ("cdn", "cdn", "hit_ratio", 0.95),
        ("db-replication", "db-replica-2", "lag_ms", 10.417),
        ("db-replication", "db-primary", "lost_writes", 2.042),
        ("message-queue", "queue", "age_s", 180.0),
        ("message-queue", "queue", "messages", 10800.0),
        ("stateful-web", "web", "sessions_lost", 5000.0),
    ],
)
def test_the_kinds_own_numbers_appear(capsys, slug, component, key, largest):
    """Hit ratio, replication lag, writes lost, backlog age and sessions lost are series."""
    report = series_json(capsys, slug, "--components", component)
    values = [v for v in report["component_series"][component][key] if v is not None]
    assert len(values) > 0
    assert max(values) == largest


def test_a_promoted_replica_changes_its_kind_numbers(capsys):
    """A replica promoted to primary reports lost_writes instead of lag_ms: each is None
    in the ticks without it."""
    columns = series_json(capsys, "db-replication", "--components", "db-replica-1")[
        "component_series"
    ]["db-replica-1"]
    roles = columns["role"]
    assert {"primary", "replica"} <= set(roles)
    for role, lag, lost in zip(roles, columns["lag_ms"], columns["lost_writes"], strict=True):
        assert (lag is None) == (role == "primary")
        assert (lost is None) == (role == "replica")


def test_csv_and_json_agree(capsys):
    """The long CSV has one row per sampled tick and component, with the JSON's values."""
    argv = ("db-replication", "--components", "db-primary,web", "--every", "20")
    series = series_json(capsys, *argv)["component_series"]
    rows = series_csv(capsys, *argv)
    assert list(rows[0]) == [
        "t", "component", *COMPONENT_SERIES, "role", "lost_writes", "lag_ms"
    ]  # fmt: skip
    assert len(rows) == 2 * len(series["web"]["t"])
    for index, row in enumerate(rows):
        columns = series[row["component"]]
        tick = index // 2
        assert row["component"] == ("db-primary", "web")[index % 2]
        for key, text in row.items():
            if key == "component":
                continue
            value = columns[key][tick] if key in columns else None
            if value is None:
                assert text == ""
            elif isinstance(value, str):
                assert text == value
            else:
                assert float(text) == value


def test_the_global_csv_is_unchanged_without_components(capsys):
    """Without --components the CSV is the run's series, as before."""
    rows = series_csv(capsys, "cache")
    assert list(rows[0])[:3] == ["t", "offered_rps", "throughput_rps"]


@pytest.mark.parametrize("c", [1, 2, 4, 8, 16])
@pytest.mark.parametrize("rho", [0.3, 0.5, 0.7, 0.9, 0.97])
def test_p99_is_within_2_percent_of_the_exact_mmc_law(capsys, tmp_path, c, rho):
    """Reference: the exact M/M/c response-time p99 (queueing.response_percentile). The
    series' gamma fit of mean and variance is within 2% over c = 1..16, rho 0.3..0.97
    (measured at most 1.7%, c = 4, rho = 0.7; exact at c = 1), once the queue has climbed
    to its steady state (at 0.97 on one server, about 70 s from empty)."""
    design = single_server(rps=rho * c * 100.0, concurrency=c, service_ms=10.0)
    path = tmp_path / "mmc.json"
    path.write_text(json.dumps(design), encoding="utf-8")
    columns = series_json(capsys, str(path), "--ticks", "80", "--components", "web")[
        "component_series"
    ]["web"]
    exact = response_percentile(0.99, rho * c * 100.0, 100.0, c) * 1000.0
    assert columns["p99"][-1] == pytest.approx(exact, rel=0.02)
    assert columns["p95"][-1] == pytest.approx(
        response_percentile(0.95, rho * c * 100.0, 100.0, c) * 1000.0, rel=1e-3
    )


def test_output_is_bounded_with_a_message_naming_the_limit(capsys):
    """Components x sampled ticks past MAX_POINTS is invalid input (exit 2): the message
    names the limit and the --every that fits; that --every then runs."""
    ticks = MAX_POINTS // 6 + 1  # db-replication has 6 components
    argv = ["run", "db-replication", "--ticks", str(ticks), "--format", "json"]
    assert main([*argv, "--components", "all"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"--components: 6 components x {ticks:,} ticks = {6 * ticks:,} points, over the "
        f"limit of {MAX_POINTS:,}; name fewer components or sample with --every 2 (or more)\n"
    )
    assert main([*argv, "--components", "users", "--every", "600"]) == 0
    assert len(json.loads(capsys.readouterr().out)["component_series"]["users"]["t"]) == (
        ticks // 600
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--format", "json", "--components", "web,ghost"],
            "--components: no component with id 'ghost'\n"
            "--components: the design's components: users, lb, web, db-primary, "
            "db-replica-1, db-replica-2\n",
        ),
        (["--components", "web"], "--components: needs --format json or csv\n"),
        (
            ["--format", "csv", "--every", "5"],
            "--every: samples the per-component series; add --components\n",
        ),
    ],
)
def test_bad_component_options_exit_2(capsys, argv, message):
    """Unknown ids are named with the design's ids; the options need their partners."""
    assert main(["run", "db-replication", *argv]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", message)


def test_a_design_file_works_too(capsys, tmp_path: Path):
    """A design file's components are named as in the file."""
    path = tmp_path / "one.json"
    path.write_text(json.dumps(single_server()), encoding="utf-8")
    rows = series_csv(capsys, str(path), "--ticks", "4", "--components", "all")
    assert [(row["t"], row["component"]) for row in rows[:3]] == [
        ("1.0", "users"),
        ("1.0", "web"),
        ("2.0", "users"),
    ]
