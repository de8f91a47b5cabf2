"""Scaling up is not free: moving to another size tier means moving to a new box."""

from __future__ import annotations

import pytest

from simulation import Engine

from .designs import single_server, web_stack


def engine_for(rps: float, instances: int = 1, **params: object) -> Engine:
    """One web tier of ``instances`` small boxes (1 server of 100 req/s each)."""
    doc = single_server(rps=rps, concurrency=1, service_ms=10.0, instances=instances)
    doc["components"][1]["params"].update(params)
    return Engine(doc)


def texts(engine: Engine, kind: str) -> list[tuple[float, str]]:
    return [(e["t"], e["text"]) for e in engine.events if e["kind"] == kind]


def test_a_single_box_is_down_while_it_moves_to_a_bigger_tier():
    """One instance: down for resize_s (reason resizing), then serving at the new size."""
    engine = engine_for(50)
    engine.apply({"action": "scale", "target": "web", "size": "medium"})
    frames = [engine.step() for _ in range(32)]
    moving = frames[:30]
    assert all(f.nodes["web"].status == "down" for f in moving)
    assert all(f.nodes["web"].reason == "resizing" for f in moving)
    assert all(f.globals["availability"] == 0.0 for f in moving)
    assert all(f.globals["cost_per_hour"] == pytest.approx(0.05) for f in moving)  # old box
    moved = frames[30]  # the tick starting at t=30
    assert moved.nodes["web"].status == "up"
    assert moved.nodes["web"].util == pytest.approx(50 / 200)  # medium: 2 servers
    assert moved.globals["availability"] == 1.0
    assert moved.globals["cost_per_hour"] == pytest.approx(0.12)
    assert texts(engine, "resizing") == [(0.0, "web: resizing to medium, down for 30 s")]
    assert texts(engine, "resized") == [(30.0, "web: resized to medium")]


def test_a_redundant_tier_rolls_one_instance_at_a_time_without_an_outage():
    """n instances: one is out for n x resize_s at the old size, nothing fails, then all grow."""
    engine = engine_for(60, instances=3, resize_s=20)
    engine.apply({"action": "scale", "target": "web", "size": "medium"})
    frames = [engine.step() for _ in range(61)]
    rolling = frames[:60]
    assert all(f.globals["availability"] == 1.0 for f in rolling)
    assert all(f.nodes["web"].ready == 2 for f in rolling)
    assert all(f.nodes["web"].util == pytest.approx(60 / 200) for f in rolling)  # 2 small
    assert {(f.nodes["web"].status, f.nodes["web"].reason) for f in rolling} == {
        ("degraded", "resizing")
    }
    done = frames[60].nodes["web"]
    assert (done.status, done.ready) == ("up", 3)
    assert done.util == pytest.approx(60 / 600)  # 3 medium
    assert texts(engine, "resizing") == [
        (0.0, "web: resizing to medium one instance at a time, 2 of 3 serving for 60 s")
    ]
    assert texts(engine, "resized") == [(60.0, "web: resized to medium")]


def test_a_new_target_during_a_resize_replaces_it_and_restarts_the_clock():
    """Resizing again mid-move: the new size wins, counted from the second request."""
    engine = engine_for(50)
    engine.apply({"action": "scale", "target": "web", "size": "medium"})
    for _ in range(10):
        engine.step()
    engine.apply({"action": "scale", "target": "web", "size": "large"})
    frames = [engine.step() for _ in range(31)]
    assert all(f.nodes["web"].reason == "resizing" for f in frames[:30])
    assert frames[30].nodes["web"].util == pytest.approx(50 / 400)  # large, not medium
    assert texts(engine, "resizing") == [
        (0.0, "web: resizing to medium, down for 30 s"),
        (10.0, "web: resizing to large, down for 30 s"),
    ]
    assert texts(engine, "resized") == [(40.0, "web: resized to large")]


def test_the_same_size_again_changes_nothing():
    """Asking for the size a tier already has starts no move."""
    engine = engine_for(50)
    engine.apply({"action": "scale", "target": "web", "size": "small"})
    assert engine.step().nodes["web"].status == "up"
    assert texts(engine, "scaled") == [(0.0, "web: already small")]


def test_the_autoscaler_does_not_add_a_box_because_one_is_resizing():
    """A planned move is not a failure: autoscaling (which never changes size) waits."""
    engine = engine_for(50, autoscale=True, cooldown_s=0)
    engine.apply({"action": "scale", "target": "web", "size": "medium"})
    frames = [engine.step() for _ in range(31)]
    assert [f.nodes["web"].inst for f in frames] == [1] * 31
    assert texts(engine, "autoscaled") == []


def test_a_cache_on_a_new_box_comes_back_cold_and_warms_up():
    """A single cache box moved to a bigger tier starts empty: while it moves every read
    goes to the database, and once back its hit ratio climbs from zero over warmup_s."""
    doc = web_stack()
    cache = next(c for c in doc["components"] if c["id"] == "cache")
    cache["params"].update({"resize_s": 10, "warmup_s": 20})
    engine = Engine(doc)
    warm_db = engine.step().nodes["db-r1"].offered
    engine.apply({"action": "scale", "target": "cache", "size": "medium"})
    frames = [engine.step() for _ in range(40)]
    assert frames[5].nodes["cache"].reason == "resizing"
    assert frames[5].nodes["db-r1"].offered > warm_db  # every read reaches the database
    assert frames[10].nodes["cache"].x["warm"] == pytest.approx(1 / 20)
    assert frames[19].nodes["cache"].x["warm"] == pytest.approx(10 / 20)
    assert frames[35].nodes["cache"].x["warm"] == 1.0
    assert frames[35].nodes["db-r1"].offered == pytest.approx(warm_db)
    assert texts(engine, "resized") == [(11.0, "cache: resized to medium (cold: warming up)")]


def test_a_cache_group_rolled_to_a_new_tier_loses_only_the_last_boxs_share():
    """Four cache boxes moved one at a time: the last to move is empty, so warmth starts
    again from 3 of 4."""
    doc = web_stack()
    cache = next(c for c in doc["components"] if c["id"] == "cache")
    cache["params"].update({"instances": 4, "resize_s": 5, "warmup_s": 20})
    engine = Engine(doc)
    engine.step()
    engine.apply({"action": "scale", "target": "cache", "size": "medium"})
    frames = [engine.step() for _ in range(21)]
    assert all(f.nodes["cache"].x["warm"] == 1.0 for f in frames[:20])
    assert frames[20].nodes["cache"].x["warm"] == pytest.approx(0.75 + 1 / 20)
    assert texts(engine, "resized") == [
        (21.0, "cache: resized to medium (warming up: 3 of 4 boxes warm)")
    ]
