"""The run report of a run that ends before its warm-up does: the ticks it ran, said so."""

from __future__ import annotations

import pytest

from simulation import Engine

from .designs import single_server

GLOBALS = {"offered_rps": "offered_rps", "served_rps": "throughput_rps",
           "dropped_rps": "dropped_rps", "cost_per_hour": "cost_per_hour",
           "goodput_rps": "goodput_rps", "late_rps": "late_rps"}  # fmt: skip
NODE_FIELDS = {"offered_rps": "offered", "served_rps": "served", "dropped_rps": "dropped",
               "utilization": "util", "queue": "queued"}  # fmt: skip

# A server at 150% load with a 200-request queue: drops and a backlog, then 60% from t=4.
OVERLOADED = single_server(rps=150.0, queue_limit=200)
TRAFFIC = [{"at": 4, "source": "users", "rps": 60}]


def _frames(scenario: dict, ticks: int) -> tuple[Engine, list]:
    engine = Engine(OVERLOADED, {"noise": True, "seed": 3, "traffic": TRAFFIC, **scenario})
    return engine, [engine.step() for _ in range(ticks)]


def _expected_summary(frames: list) -> dict:
    """The summary's averages computed straight from the frames' globals."""
    n = len(frames)
    expected = {key: sum(f.globals[g] for f in frames) / n for key, g in GLOBALS.items()}
    served = sum(f.globals["throughput_rps"] for f in frames)
    dropped = sum(f.globals["dropped_rps"] for f in frames)
    late = sum(f.globals["late_rps"] for f in frames)
    expected["error_rate"] = (dropped + late) / (served + dropped)
    expected["availability"] = 1.0 - expected["error_rate"]
    expected["mean_ms"] = sum(f.globals["mean_ms"] * f.globals["throughput_rps"] for f in frames)
    expected["mean_ms"] /= served
    return expected


def _assert_summary_is(summary: dict, expected: dict) -> None:
    for key, value in expected.items():
        got = summary["latency_ms"]["mean"] if key == "mean_ms" else summary[key]
        assert got == pytest.approx(value, rel=1e-12, abs=1e-12), key


def test_a_run_stopped_during_warm_up_is_summarised_over_the_ticks_it_ran():
    """Stopped at 12 s of a 30-s warm-up: the summary and components average those 12 ticks
    (not zeros, not 100% availability) and the report says the warm-up was cut short."""
    engine, frames = _frames({"duration_s": 600, "warmup_s": 30}, 12)
    report = engine.report()
    assert report["warmup_cut_short"] is True
    assert (report["ticks"], report["duration_s"], report["warmup_s"]) == (12, 12.0, 30)
    expected = _expected_summary(frames)
    assert expected["offered_rps"] > 0
    assert expected["dropped_rps"] > 0, "the run drops requests, so errors show"
    _assert_summary_is(report["summary"], expected)
    assert report["summary"]["availability"] < 1.0
    for cid in ("users", "web"):
        nodes = [f.nodes[cid] for f in frames]
        for key, field in NODE_FIELDS.items():
            average = sum(getattr(n, field) for n in nodes) / len(nodes)
            assert report["components"][cid][key] == pytest.approx(average, rel=1e-12, abs=1e-12)
        assert report["components"][cid]["status"] == nodes[-1].status


def test_a_cut_short_summary_is_the_one_the_same_ticks_give_without_warm_up():
    """The latency law too: the percentiles are those of every tick run, as a run without
    warm-up over the same (identical) frames reports them."""
    cut, cut_frames = _frames({"duration_s": 600, "warmup_s": 30}, 12)
    whole, whole_frames = _frames({"duration_s": 600, "warmup_s": 0}, 12)
    assert [f.to_json() for f in cut_frames] == [f.to_json() for f in whole_frames]
    cut_report, whole_report = cut.report(), whole.report()
    assert whole_report["warmup_cut_short"] is False
    assert cut_report["summary"]["latency_ms"]["p99"] > 0
    assert cut_report["summary"] == whole_report["summary"]
    assert cut_report["components"] == whole_report["components"]


def test_a_run_aborted_during_warm_up_shows_its_errors():
    """An aborting check ends an overloaded run at 3 s, long before the 60-s warm-up: the
    summary shows the dropped requests instead of 0% errors."""
    scenario = {"duration_s": 600, "warmup_s": 60, "traffic": [],
                "checks": [{"metric": "error_rate", "op": ">", "value": 0.05, "for_s": 3,
                            "abort": True}]}  # fmt: skip
    engine = Engine(OVERLOADED, scenario)
    frames = []
    while not engine.finished:
        frames.append(engine.step())
    report = engine.report()
    assert report["aborted"] is True
    assert report["ticks"] == len(frames) < 60
    assert report["warmup_cut_short"] is True
    expected = _expected_summary(frames)
    assert expected["error_rate"] > 0.05
    _assert_summary_is(report["summary"], expected)


def test_a_run_past_its_warm_up_averages_only_the_ticks_after_it():
    """One tick after the warm-up is enough: the summary is that tick's, warm-up left out."""
    engine, frames = _frames({"duration_s": 600, "warmup_s": 10}, 11)
    report = engine.report()
    assert report["warmup_cut_short"] is False
    _assert_summary_is(report["summary"], _expected_summary(frames[10:]))
    whole = _expected_summary(frames)
    assert report["summary"]["offered_rps"] != pytest.approx(whole["offered_rps"])


def test_a_run_ending_exactly_at_its_warm_up_end_is_cut_short():
    """Ten one-second ticks of a 10-s warm-up: none starts after it, so all ten count."""
    engine, frames = _frames({"duration_s": 600, "warmup_s": 10}, 10)
    report = engine.report()
    assert report["warmup_cut_short"] is True
    _assert_summary_is(report["summary"], _expected_summary(frames))


def test_a_finished_run_shorter_than_its_warm_up_is_cut_short():
    """A scenario may ask for more warm-up than it lasts; its run still gets numbers."""
    engine = Engine(OVERLOADED, {"duration_s": 5, "warmup_s": 60})
    engine.run()
    report = engine.report()
    assert (report["ticks"], report["aborted"], report["warmup_cut_short"]) == (5, False, True)
    assert report["summary"]["served_rps"] > 0


def test_a_run_of_no_tick_reports_zeros_and_no_cut_short_warm_up():
    """Nothing ran: every summary number is 0 (availability too, not 100%), no components,
    and nothing is divided by zero."""
    report = Engine(OVERLOADED, {"duration_s": 600, "warmup_s": 30}).report()
    assert (report["ticks"], report["warmup_cut_short"], report["components"]) == (0, False, {})
    summary = report["summary"]
    numbers = [v for k, v in summary.items() if k != "latency_ms"]
    assert numbers + list(summary["latency_ms"].values()) == [0.0] * (len(numbers) + 4)
