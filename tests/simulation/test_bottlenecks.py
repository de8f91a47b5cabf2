"""Bottlenecks (simulation/bottlenecks.py): the components that limited a run, in the
order they saturated, each at the first tick its utilisation reached 0.9, with the load
it was offered then; the expected ticks are worked out from the ramp and the capacity
formula here, not read from the engine."""

from __future__ import annotations

import pytest

from simulation import Engine
from simulation.cli import render_table

from .designs import single_server


def ramped(doc: dict, to_rps: float, ramp_s: float, duration_s: float = 120) -> dict:
    engine = Engine(doc, {"duration_s": duration_s, "warmup_s": 0, "traffic": [
        {"at": 0, "source": "users", "rps": to_rps, "ramp_s": ramp_s}]})  # fmt: skip
    engine.run()
    return engine.report()


def test_a_ramped_tier_saturates_when_its_load_reaches_ninety_percent_of_capacity():
    """One web server of 8 x 1000 / 20 ms = 400 req/s, traffic ramped from 100 to 800
    req/s over 70 s: it saturates at the first tick offered 360 req/s or more."""
    doc = single_server(rps=100, concurrency=8, service_ms=20.0)
    doc["components"][1]["label"] = "Web tier"
    report = ramped(doc, 800, 70)
    [only] = report["bottlenecks"]
    assert only["component"] == "web"
    assert only["capacity_rps"] == pytest.approx(400)
    assert only["offered_rps"] >= 0.9 * 400
    at = only["at_s"]
    rate_at = report["series"]["offered_rps"][int(at) - 1]
    rate_before = report["series"]["offered_rps"][int(at) - 2]
    assert rate_at >= 360 > rate_before
    assert only["offered_rps"] == pytest.approx(rate_at)
    assert only["text"].startswith(f"Web tier saturated at {at:g} s: offered ")
    assert "against a capacity of 400 req/s" in only["text"]


def test_tiers_in_series_are_listed_in_the_order_they_saturate():
    """Users -> web (2 x 8 x 1000/20 = 800 req/s) -> db (2 x 1000/5 = 400 req/s), which
    takes every read and write: on a ramp the database saturates first (near 360 req/s),
    the web tier later (near 720), each at the tick its frames first reach 0.9."""
    doc = {
        "format": 1,
        "name": "two tiers",
        "components": [
            {"id": "users", "kind": "client",
             "params": {"rps": 50, "mix": {"read": 0.5, "write": 0.5, "static": 0, "job": 0}}},
            {"id": "web", "kind": "web_server", "label": "Web",
             "params": {"instances": 2, "concurrency": 8, "service_ms": 20.0}},
            {"id": "db", "kind": "database", "label": "Orders DB",
             "params": {"role": "primary", "concurrency": 2, "service_ms": 5.0}},
        ],
        "links": [{"from": "users", "to": "web"}, {"from": "web", "to": "db"}],
    }  # fmt: skip
    engine = Engine(doc, {"duration_s": 200, "warmup_s": 0, "traffic": [
        {"at": 0, "source": "users", "rps": 3000, "ramp_s": 200}]})  # fmt: skip
    first_critical = {}
    while not engine.finished:
        frame = engine.step()
        for cid in ("web", "db"):
            if cid not in first_critical and frame.nodes[cid].util >= 0.9:
                first_critical[cid] = frame.t
    report = engine.report()
    expected = sorted(first_critical, key=first_critical.get)
    assert expected == ["db", "web"]
    assert [b["component"] for b in report["bottlenecks"]] == expected
    for b in report["bottlenecks"]:
        assert b["at_s"] == first_critical[b["component"]]
    names = {"web": "Web", "db": "Orders DB"}
    assert report["bottlenecks"][0]["text"].startswith(names[expected[0]] + " saturated at")


def test_a_run_below_capacity_has_no_bottleneck_and_the_table_says_so():
    doc = single_server(rps=200, concurrency=8, service_ms=20.0)  # 50%
    engine = Engine(doc, {"duration_s": 30})
    engine.run()
    report = engine.report()
    assert report["bottlenecks"] == []
    assert "bottlenecks: none saturated" in render_table(report, engine.document)


def test_the_table_lists_the_bottlenecks_in_order():
    doc = single_server(rps=100, concurrency=8, service_ms=20.0)
    report = ramped(doc, 800, 70)
    engine_doc = doc
    table = render_table(report, engine_doc)
    assert "bottlenecks, in the order they saturated:" in table
    assert "  1. web saturated at" in table
