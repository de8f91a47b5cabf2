"""A live control changes the numbers exactly as a design built with the new values.

Kinds keep what they derive from the live parameters and instances until the next
change (``components.base.memo``); these tests change each input of such a value
between ticks and compare the next frame with an engine built with the new values.
"""

from __future__ import annotations

import copy

import pytest

from simulation import Engine, Frame


def balanced(algorithm: str = "round_robin") -> dict:
    """A balancer over a small and a large web tier, each with its own provisioning."""
    return {
        "format": 1, "name": "balanced",
        "components": [
            {"id": "users", "kind": "client", "params": {"rps": 300}},
            {"id": "lb", "kind": "load_balancer",
             "params": {"algorithm": algorithm, "weights": {"big": 2}}},
            {"id": "small", "kind": "web_server",
             "params": {"size": "small", "provision_s": 0, "resize_s": 0}},
            {"id": "big", "kind": "web_server",
             "params": {"size": "large", "instances": 2, "provision_s": 0, "resize_s": 0}},
        ],
        "links": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "small"},
                  {"from": "lb", "to": "big"}],
    }  # fmt: skip


def queue_two_tiers() -> dict:
    """A web tier publishing jobs to a queue that feeds two worker tiers."""
    return {
        "format": 1, "name": "queue",
        "components": [
            {"id": "users", "kind": "client",
             "params": {"rps": 30, "mix": {"read": 0, "write": 0, "static": 0, "job": 1}}},
            {"id": "web", "kind": "web_server", "params": {}},
            {"id": "queue", "kind": "message_queue", "params": {}},
            {"id": "fast", "kind": "worker",
             "params": {"instances": 2, "provision_s": 0, "resize_s": 0}},
            {"id": "slow", "kind": "worker",
             "params": {"instances": 4, "service_ms": 400, "provision_s": 0, "resize_s": 0}},
            {"id": "db", "kind": "database", "params": {}},
        ],
        "links": [{"from": "users", "to": "web"}, {"from": "web", "to": "queue"},
                  {"from": "queue", "to": "fast"}, {"from": "queue", "to": "slow"},
                  {"from": "fast", "to": "db"}, {"from": "slow", "to": "db"}],
    }  # fmt: skip


def with_params(doc: dict, changes: dict[str, dict]) -> dict:
    """``doc`` with some components' parameters replaced."""
    doc = copy.deepcopy(doc)
    for comp in doc["components"]:
        comp["params"].update(changes.get(comp["id"], {}))
    return doc


def numbers(frame: Frame) -> dict:
    """The frame's flows and latencies, node by node and link by link."""
    nodes = {
        cid: (n.offered, n.served, n.dropped, n.queued, n.util, n.lat, n.var)
        for cid, n in frame.nodes.items()
    }
    return {"nodes": nodes, "links": frame.links}


def live_then_built(doc: dict, control: dict, changes: dict[str, dict]) -> tuple[dict, dict]:
    """The frame after ``control`` applied between ticks, and the first frame of an
    engine built with ``changes`` instead."""
    live = Engine(doc)
    live.run(until=3)
    live.apply(control)
    after = live.step()
    built = Engine(with_params(doc, changes)).step()
    return numbers(after), numbers(built)


BALANCER_CHANGES = [
    ({"action": "set_param", "target": "lb", "param": "algorithm", "value": "least_connections"},
     {"lb": {"algorithm": "least_connections"}}),
    ({"action": "set_param", "target": "lb", "param": "algorithm", "value": "weighted"},
     {"lb": {"algorithm": "weighted"}}),
    ({"action": "set_param", "target": "lb", "param": "algorithm", "value": "random"},
     {"lb": {"algorithm": "random"}}),
    ({"action": "scale", "target": "small", "instances": 3}, {"small": {"instances": 3}}),
]  # fmt: skip


@pytest.mark.parametrize(("control", "changes"), BALANCER_CHANGES)
def test_a_balancer_splits_by_its_live_algorithm_and_targets(control: dict, changes: dict):
    """A new algorithm or target count moves the split at once, as if built with it."""
    after, built = live_then_built(balanced(), control, changes)
    assert after == built
    assert after != numbers(Engine(balanced()).step())  # the change moved something


TARGET_CHANGES = [
    ("weighted",
     {"action": "set_param", "target": "lb", "param": "weights", "value": {"small": 5}},
     {"lb": {"weights": {"small": 5}}}),
    ("least_connections",
     {"action": "scale", "target": "small", "size": "xlarge"}, {"small": {"size": "xlarge"}}),
    ("least_connections",
     {"action": "set_param", "target": "big", "param": "service_ms", "value": 80.0},
     {"big": {"service_ms": 80.0}}),
    ("least_connections",
     {"action": "set_param", "target": "small", "param": "concurrency", "value": 32},
     {"small": {"concurrency": 32}}),
]  # fmt: skip


@pytest.mark.parametrize(("algorithm", "control", "changes"), TARGET_CHANGES)
def test_a_balancer_weighs_its_targets_by_their_live_parameters(
    algorithm: str, control: dict, changes: dict
):
    """Weights and the targets' capacities count as they are now, not as they were."""
    doc = balanced(algorithm)
    after, built = live_then_built(doc, control, changes)
    assert after == built
    assert after != numbers(Engine(doc).step())


def test_a_balancer_stops_and_resumes_sending_to_a_target_that_fails_and_recovers():
    """A whole target's death is seen after the health check; its recovery at once."""
    doc = balanced()
    doc["components"][1]["params"]["health_check_s"] = 2
    engine = Engine(doc)
    engine.run(until=3)
    engine.apply({"action": "fail", "target": "small"})
    lost = [engine.step().nodes["small"].dropped for _ in range(4)]
    assert lost == [pytest.approx(100.0), pytest.approx(100.0), 0.0, 0.0]
    engine.apply({"action": "recover", "target": "small"})
    assert numbers(engine.step()) == numbers(Engine(doc).step())


QUEUE_CHANGES = [
    ({"action": "scale", "target": "fast", "instances": 5}, {"fast": {"instances": 5}}),
    ({"action": "scale", "target": "slow", "size": "large"}, {"slow": {"size": "large"}}),
    ({"action": "set_param", "target": "slow", "param": "service_ms", "value": 100.0},
     {"slow": {"service_ms": 100.0}}),
    ({"action": "set_param", "target": "fast", "param": "concurrency", "value": 1},
     {"fast": {"concurrency": 1}}),
    ({"action": "fail", "target": "fast", "count": 1}, {"fast": {"instances": 1}}),
]  # fmt: skip


@pytest.mark.parametrize(("control", "changes"), QUEUE_CHANGES)
def test_a_queue_feeds_its_worker_tiers_by_their_live_capacity(control: dict, changes: dict):
    """The jobs pulled go to each worker tier in proportion to what it can take now."""
    after, built = live_then_built(queue_two_tiers(), control, changes)
    for node in ("queue", "fast", "slow"):
        assert after["nodes"][node] == built["nodes"][node]
    assert after["links"] == built["links"]
    assert after != numbers(Engine(queue_two_tiers()).step())


def test_a_queue_stops_feeding_a_dead_worker_tier_and_feeds_it_again_on_recovery():
    """A dead tier takes nothing; the other takes all; after recovery both take again."""
    engine = Engine(queue_two_tiers())
    before = numbers(engine.run(until=3))
    engine.apply({"action": "fail", "target": "fast"})
    dead = engine.step()
    assert dead.nodes["fast"].offered == 0.0
    assert dead.nodes["slow"].offered == pytest.approx(30.0)
    engine.apply({"action": "recover", "target": "fast"})
    assert numbers(engine.step()) == before


def two_stateful_tiers() -> dict:
    """Users -> two balancers, each in front of its own stateful web tier."""
    return {
        "format": 1, "name": "two tiers",
        "components": [
            {"id": "users", "kind": "client", "params": {"rps": 400}},
            {"id": "lb-a", "kind": "load_balancer", "params": {"algorithm": "ip_hash"}},
            {"id": "lb-b", "kind": "load_balancer", "params": {"algorithm": "round_robin"}},
            {"id": "web-a", "kind": "web_server", "params": {"instances": 4, "stateful": True}},
            {"id": "web-b", "kind": "web_server", "params": {"instances": 4, "stateful": True}},
        ],
        "links": [{"from": "users", "to": "lb-a"}, {"from": "users", "to": "lb-b"},
                  {"from": "lb-a", "to": "web-a"}, {"from": "lb-b", "to": "web-b"}],
    }  # fmt: skip


def test_sticky_routing_is_judged_by_the_live_balancers_feeding_the_tier():
    """Only a tier's own balancers count; switching one to ip_hash keeps sessions at once."""
    doc = two_stateful_tiers()
    first = Engine(doc).step()
    assert first.nodes["web-a"].dropped == 0.0
    assert first.nodes["web-b"].dropped == pytest.approx(200.0 * 3 / 4)
    control = {"action": "set_param", "target": "lb-b", "param": "algorithm", "value": "ip_hash"}
    after, built = live_then_built(doc, control, {"lb-b": {"algorithm": "ip_hash"}})
    assert after == built
    assert after["nodes"]["web-b"][2] == 0.0  # nothing dropped
