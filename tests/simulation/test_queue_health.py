"""A message queue's health follows its backlog (issue: a queue stayed green while its
backlog grew for 600 s), and its explanation gives the backlog, its age and whether the
workers catch up; the numbers are worked out here from the example's rates."""

from __future__ import annotations

import pytest

from simulation import Engine
from simulation.components.message_queue import AGE_CRITICAL_S, AGE_WARNING_S
from simulation.examples import get_example


def run_frames() -> list[tuple[float, object, dict]]:
    """The message-queue lesson: its workers fail at 120 s and recover at 300 s."""
    example = get_example("message-queue")
    engine = Engine(example.document, example.scenario)
    out = []
    while not engine.finished:
        frame = engine.step()
        out.append((frame.t, frame.nodes["queue"], engine.explain().get("queue")))
    return out


def test_the_queue_is_graded_by_its_backlog_growth_and_age():
    frames = run_frames()
    for t, node, _ in frames:
        age = node.x["age_s"]
        if node.x["messages"] <= 0.0:
            assert node.health == "ok", t
        elif age >= AGE_CRITICAL_S:
            assert (node.health, node.reason) == ("critical", "backlog over a minute old"), t
        elif node.health != "ok":
            assert node.health == "warning", t
    reasons = [node.reason for _, node, _ in frames]
    assert "no consumers: backlog growing" in reasons
    assert "backlog over a minute old" in reasons
    assert "backlog draining" in reasons
    # Never green while messages wait longer than the warning age.
    assert all(node.health != "ok" for _, node, _ in frames if node.x["age_s"] >= AGE_WARNING_S)


def test_the_queue_explains_its_backlog_and_how_long_it_takes_to_empty():
    frames = run_frames()
    growing = next(why for t, node, why in frames if why and why["code"] == "queue_backlog")
    p = growing["params"]
    assert p["growth"] == pytest.approx(p["offered"] - p["served"])
    assert p["name"] == "Job queue"
    draining = next(why for t, node, why in frames if why and why["code"] == "queue_draining")
    p = draining["params"]
    assert p["drain_s"] == pytest.approx(p["messages"] / (p["served"] - p["offered"]))
    assert "empties in about" in draining["text"]
