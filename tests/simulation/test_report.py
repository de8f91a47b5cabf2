"""The run report: component averages, series and the frames it accepts."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from simulation import Engine

from .designs import single_server

FIELDS = {"offered_rps": "offered", "served_rps": "served", "dropped_rps": "dropped",
          "utilization": "util", "queue": "queued"}  # fmt: skip


def _overloaded_run() -> tuple[Engine, list]:
    """A server with a 200-request queue limit at 150% load, then at 60%: a queue and
    drops, then quiet ticks that repeat the one before. (A timeout no longer builds a
    backlog: requests give up, M/M/c+D.)"""
    design = single_server(rps=150.0, queue_limit=200)
    scenario = {"duration_s": 60, "warmup_s": 5,
                "traffic": [{"at": 20, "source": "users", "rps": 60}]}  # fmt: skip
    engine = Engine(design, scenario)
    frames = []
    while not engine.finished:
        frames.append(engine.step())
    return engine, frames


def test_component_numbers_are_averages_over_the_ticks_after_warm_up():
    """Each component's offered, served, dropped, utilisation and queue are plain averages
    of the kept ticks, its mean latency their served-weighted mean, its status the last."""
    engine, frames = _overloaded_run()
    kept = [f for f in frames if f.t - f.dt >= 5.0 - 1e-9]
    web = [f.nodes["web"] for f in kept]
    assert any(n.dropped > 0 for n in web)
    assert any(n.queued > 0 for n in web)
    assert any(a.nodes is b.nodes for a, b in itertools.pairwise(kept)), "some ticks repeat"
    report = engine.report()["components"]
    for cid in ("users", "web"):
        nodes = [f.nodes[cid] for f in kept]
        for key, field in FIELDS.items():
            average = sum(getattr(n, field) for n in nodes) / len(kept)
            assert report[cid][key] == pytest.approx(average, rel=1e-12, abs=1e-12)
        served = sum(n.served for n in nodes)
        mean_ms = sum(n.lat * n.served for n in nodes) / served
        assert report[cid]["latency_ms"]["mean"] == pytest.approx(mean_ms, rel=1e-12)
        assert report[cid]["status"] == nodes[-1].status


def test_series_hold_every_tick_rounded_to_six_decimals():
    engine, frames = _overloaded_run()
    series = engine.report()["series"]
    assert series["t"] == [round(f.t, 6) for f in frames]
    for key in ("offered_rps", "throughput_rps", "error_rate", "p95_ms", "cost_per_hour"):
        assert series[key] == [round(f.globals[key], 6) for f in frames]


def test_a_frame_with_the_components_in_another_order_is_refused():
    """The report sums components by position, so a frame must list them as the run does."""
    engine = Engine(single_server(), {"duration_s": 10, "warmup_s": 0, "noise": True})
    engine.step()
    frame = engine.step()
    shuffled = dataclasses.replace(frame, nodes=dict(reversed(frame.nodes.items())))
    engine.report_data.add(shuffled)
    with pytest.raises(ValueError, match="same order"):
        engine.report()


def test_making_the_report_again_gives_the_same_report():
    engine, _ = _overloaded_run()
    assert engine.report() == engine.report()
