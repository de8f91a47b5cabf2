"""The engine's numbers against queueing theory: single nodes, limits, overload, a network."""

from __future__ import annotations

import pytest

from simulation import Engine
from simulation.queueing import mmc, mmck, response_percentile

from .designs import settled, single_server
from .reference import random_routing, round_robin


def one_tick(doc: dict) -> dict:
    """The web node and global numbers once in steady state."""
    frame = settled(Engine(doc))
    return {"web": frame.nodes["web"], "global": frame.globals}


@pytest.mark.parametrize("rho", [0.5, 0.7, 0.8, 0.9, 0.95])
@pytest.mark.parametrize("servers", [1, 4])
def test_a_single_node_matches_mmc(rho: float, servers: int):
    """Client -> one web node of c servers: mean within 1%, p50/p95/p99 within 2% of M/M/c."""
    mu = 100.0  # service_ms = 10
    lam = rho * servers * mu
    out = one_tick(single_server(rps=lam, concurrency=servers, service_ms=10.0))
    exact = mmc(lam, mu, servers)
    assert out["web"].lat / 1000.0 == pytest.approx(exact.mean_response, rel=0.01)
    g = out["global"]
    assert g["mean_ms"] / 1000.0 == pytest.approx(exact.mean_response, rel=0.01)
    for p, key in ((0.5, "p50_ms"), (0.95, "p95_ms"), (0.99, "p99_ms")):
        assert g[key] / 1000.0 == pytest.approx(response_percentile(p, lam, mu, servers), rel=0.02)
    assert out["web"].p95 / 1000.0 == pytest.approx(
        response_percentile(0.95, lam, mu, servers), rel=0.02
    )


@pytest.mark.parametrize("rho", [0.5, 0.9, 0.95, 1.2])
def test_a_queue_limit_drops_the_mmck_fraction(rho: float):
    """With queue_limit K the drop fraction is M/M/c/K's blocking probability (within 5%)."""
    mu, servers, limit = 100.0, 2, 5
    lam = rho * servers * mu
    frame = Engine(single_server(rps=lam, concurrency=servers, service_ms=10.0,
                                 queue_limit=limit)).step()  # fmt: skip
    out = {"web": frame.nodes["web"], "global": frame.globals}  # a limited queue: at once
    exact = mmck(lam, mu, servers, limit)
    web = out["web"]
    if rho < 1.0:
        assert web.dropped / web.offered == pytest.approx(exact.block_prob, rel=0.05)
        assert out["global"]["error_rate"] == pytest.approx(exact.block_prob, rel=0.05)
    else:
        # In overload the backlog fills to the limit, then the excess is dropped.
        engine = Engine(single_server(rps=lam, concurrency=servers, service_ms=10.0,
                                      queue_limit=limit))  # fmt: skip
        frame = engine.run(until=20)
        node = frame.nodes["web"]
        assert node.dropped / node.offered == pytest.approx(exact.block_prob, rel=0.05)
        # It holds M/M/c/K's mean queue (Little's law), nearly the limit.
        assert node.queued == pytest.approx(exact.throughput * exact.mean_wait)


def test_a_queue_limit_is_never_zero_drops_near_saturation():
    """At rho 0.95 with a queue limit of 10, about 6% are dropped (a pure fluid model says 0)."""
    out = one_tick(single_server(rps=95.0, concurrency=1, service_ms=10.0, queue_limit=10))
    fraction = out["web"].dropped / out["web"].offered
    assert fraction == pytest.approx(mmck(95.0, 100.0, 1, 10).block_prob, rel=1e-9)
    assert fraction > 0.05


def test_overload_backlog_grows_at_lambda_minus_capacity():
    """Above capacity the backlog grows by (lambda - capacity) per second, within 1%."""
    engine = Engine(single_server(rps=150.0, concurrency=1, service_ms=10.0),
                    {"duration_s": 100})  # fmt: skip
    queues = [engine.step().nodes["web"].queued for _ in range(30)]
    growth = (queues[-1] - queues[9]) / 20.0
    assert growth == pytest.approx(150.0 - 100.0, rel=0.01)


def test_backlog_drains_at_capacity_minus_lambda():
    """When traffic falls below capacity, the backlog drains at (capacity - lambda)/s."""
    engine = Engine(
        single_server(rps=150.0, concurrency=1, service_ms=10.0),
        {"duration_s": 200, "traffic": [{"at": 40, "source": "users", "rps": 60}]},
    )
    frames = [engine.step() for _ in range(50)]
    q = [f.nodes["web"].queued for f in frames]
    assert q[39] == pytest.approx(40 * 50.0, rel=0.01)
    drain = (q[42] - q[47]) / 5.0
    assert drain == pytest.approx(100.0 - 60.0, rel=0.01)


def test_fifo_wait_in_overload_is_that_of_the_requests_leaving():
    """A saturated node's latency is that of the requests completing in the tick: at 150
    req/s on 100 of capacity from empty, those leaving at t arrived when the arrivals so
    far equalled the departures so far, at 2t/3, and waited t/3 (plus the walk's few
    requests of idle start). The backlog the tick's arrivals find is half as long again."""
    engine = Engine(single_server(rps=150.0, concurrency=1, service_ms=10.0))
    engine.run(until=10)
    node = engine.step().nodes["web"]
    assert node.lat / 1000.0 == pytest.approx(10.5 / 3.0 + 0.01, rel=0.01)
    arriving = (node.queued_before + node.queued) / 2.0 / 100.0 + 0.01
    assert arriving == pytest.approx(1.5 * node.lat / 1000.0, rel=0.02)


def feed_forward(algorithm: str, rps: float = 360.0) -> dict:
    """Client -> LB -> 4 single-server web nodes -> 70% of requests to a DB with 8 connections."""
    return {
        "format": 1,
        "name": "feed forward",
        "components": [
            {"id": "users", "kind": "client",
             "params": {"rps": rps, "mix": {"read": 0.7, "write": 0.0, "static": 0.3, "job": 0.0}}},
            {"id": "lb", "kind": "load_balancer",
             "params": {"algorithm": algorithm, "concurrency": 100, "service_ms": 1.0}},
            {"id": "web", "kind": "web_server",
             "params": {"instances": 4, "concurrency": 1, "service_ms": 10.0}},
            {"id": "db", "kind": "database", "params": {"concurrency": 8, "service_ms": 25.0}},
        ],
        "links": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "web"},
                  {"from": "web", "to": "db"}],
    }  # fmt: skip


def end_to_end(algorithm: str) -> dict:
    g = settled(Engine(feed_forward(algorithm))).globals
    return {"mean": g["mean_ms"], "p50": g["p50_ms"], "p95": g["p95_ms"], "p99": g["p99_ms"]}


def test_random_routing_matches_the_exact_network_within_3_percent():
    """Random routing makes a Jackson network: end-to-end p50/p95/p99 within 3% of exact."""
    exact = random_routing(360.0, lb_service_s=0.001, lb_concurrency=100).summary().ms()
    got = end_to_end("random")
    for key in ("mean", "p50", "p95", "p99"):
        assert got[key] == pytest.approx(exact[key], rel=0.03), key


def test_round_robin_matches_ek_m1_within_5_percent_and_beats_random():
    """Round robin gives each web node Erlang-4 arrivals: within 5% of E_k/M/1, below random."""
    exact = round_robin(360.0, lb_service_s=0.001, lb_concurrency=100).summary().ms()
    got = end_to_end("round_robin")
    for key in ("mean", "p50", "p95", "p99"):
        assert got[key] == pytest.approx(exact[key], rel=0.05), key
    rand = end_to_end("random")
    assert got["mean"] < 0.8 * rand["mean"]
    assert got["p99"] < 0.8 * rand["p99"]


def test_a_full_limited_queue_drains_once_traffic_falls_below_capacity():
    """Overload fills the queue to M/M/c/K's mean queue (18 of 20) and blocks; at 60 req/s
    on 100 req/s of capacity the queued requests are served within the next second and the
    queue stays empty."""
    drop = {"duration_s": 60, "traffic": [{"at": 30, "source": "users", "rps": 60}]}
    engine = Engine(single_server(rps=150, queue_limit=20), drop)
    frames = [engine.step() for _ in range(40)]
    held = mmck(150.0, 100.0, 1, 20)
    held = held.throughput * held.mean_wait
    assert frames[29].nodes["web"].queued == pytest.approx(held)
    assert frames[29].nodes["web"].dropped > 0.0
    assert frames[30].nodes["web"].queued == pytest.approx(0.0)
    assert frames[30].nodes["web"].served == pytest.approx(60.0 + held)  # arriving + queued
    assert frames[30].nodes["web"].dropped == 0.0
    assert frames[35].nodes["web"].queued == 0.0
    assert frames[35].nodes["web"].util == pytest.approx(0.6, rel=1e-4)
    assert frames[35].nodes["web"].dropped < 1e-3  # M/M/1/K blocking at rho 0.6: ~1e-5
