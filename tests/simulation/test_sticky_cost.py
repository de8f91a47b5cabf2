"""Sticky sessions burden the load balancer: ip_hash looks up every request's server."""

from __future__ import annotations

import pytest

from simulation import Engine


def balanced(rps: float, algorithm: str, **lb: object) -> dict:
    """Users -> one balancer of 1,000 req/s (1 server, 1 ms) -> a web tier with room to spare."""
    return {
        "format": 1,
        "name": "sticky balancer",
        "components": [
            {"id": "users", "kind": "client",
             "params": {"rps": rps, "mix": {"read": 0, "write": 0, "static": 1, "job": 0}}},
            {"id": "lb", "kind": "load_balancer",
             "params": {"algorithm": algorithm, "concurrency": 1, "service_ms": 1.0,
                        "queue_limit": 100, **lb}},
            {"id": "web", "kind": "web_server",
             "params": {"instances": 4, "concurrency": 100, "service_ms": 1.0}},
        ],
        "links": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "web"}],
    }  # fmt: skip


def lb_after(doc: dict, ticks: int = 5):  # -> NodeFrame
    engine = Engine(doc)
    frame = engine.run(until=ticks)
    return frame.nodes["lb"]


def test_ip_hash_costs_the_balancer_sticky_cost_times_the_work():
    """Same traffic below saturation: utilisation x sticky_cost (default 2), latency higher."""
    plain = lb_after(balanced(300, "round_robin"))
    sticky = lb_after(balanced(300, "ip_hash"))
    assert plain.util == pytest.approx(0.3)
    assert sticky.util == pytest.approx(2.0 * plain.util)
    assert sticky.lat > plain.lat
    heavy = lb_after(balanced(300, "ip_hash", sticky_cost=3.0, queue_limit=None))
    assert heavy.util == pytest.approx(3.0 * plain.util)


def test_only_ip_hash_pays_the_sticky_cost():
    """Other algorithms keep no session table: sticky_cost does not touch them."""
    plain = lb_after(balanced(300, "round_robin", sticky_cost=5.0))
    picked = lb_after(balanced(300, "random", sticky_cost=5.0))
    assert plain.util == pytest.approx(0.3)
    assert picked.util == pytest.approx(0.3)
    free = lb_after(balanced(300, "ip_hash", sticky_cost=1.0))
    assert free.util == pytest.approx(0.3)


def test_a_rate_round_robin_carries_saturates_a_sticky_balancer():
    """700 req/s: round robin uses 70% of the balancer; ip_hash needs 1,400 of its 1,000
    req/s at 2 ms a request, so it serves 500 req/s and drops the rest."""
    engine = Engine(balanced(700, "round_robin"))
    fine = engine.run(until=10)
    assert fine.globals["availability"] == pytest.approx(1.0)
    assert fine.nodes["lb"].util == pytest.approx(0.7)
    engine = Engine(balanced(700, "ip_hash"))
    sticky = engine.run(until=10)
    assert sticky.nodes["lb"].served == pytest.approx(500.0, rel=1e-6)
    assert sticky.globals["error_rate"] == pytest.approx(200 / 700, rel=1e-6)
    assert sticky.nodes["lb"].health == "critical"


def test_switching_to_ip_hash_live_loads_the_balancer_at_once():
    """set_param algorithm: the lookup cost follows the live algorithm."""
    engine = Engine(balanced(300, "round_robin"))
    assert engine.step().nodes["lb"].util == pytest.approx(0.3)
    engine.apply({"action": "set_param", "target": "lb", "param": "algorithm",
                  "value": "ip_hash"})  # fmt: skip
    assert engine.step().nodes["lb"].util == pytest.approx(0.6)
