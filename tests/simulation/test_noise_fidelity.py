"""Poisson noise: tick-to-tick variation around M/M/c's steady state, never a bias.

With noise on, the queueing numbers come from each client's set rate (the formulas
already hold Poisson randomness), the tallies from a Poisson count, and each serving
node's mean response wanders as a real queue's does (simulation/noise.py). Checked
against M/M/c's closed form (``simulation.queueing``) for the run's mean and p99, and
against a per-request simulation (``noise_sim``) for the per-tick spread.
"""

from __future__ import annotations

import functools

import pytest

from simulation import Engine
from simulation.queueing import mmc, response_percentile

from .designs import single_server
from .noise_sim import lag_one, simulate, spread

LOADS = [0.5, 0.8, 0.9, 0.95, 0.97]
# (servers per instance, instances behind a random balancer or 0 for none)
SHAPES = {"one server": (1, 0), "four servers": (4, 0), "balanced tier of 4": (1, 4)}


def tier(rps: float, service_ms: float, instances: int) -> dict:
    """Client -> balancer picking at random (far from busy) -> ``instances`` one-server
    web instances: each instance an M/M/1 at a share of the stream."""
    mix = {"read": 0.0, "write": 0.0, "static": 1.0, "job": 0.0}
    lb = {"algorithm": "random", "concurrency": 10000, "service_ms": 0.001}
    web = {"instances": instances, "concurrency": 1, "service_ms": service_ms}
    return {
        "format": 1,
        "name": "tier",
        "components": [
            {"id": "users", "kind": "client", "params": {"rps": rps, "mix": mix}},
            {"id": "lb", "kind": "load_balancer", "params": lb},
            {"id": "web", "kind": "web_server", "params": web},
        ],
        "links": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "web"}],
    }


def relaxation(rho: float, mu: float, c: int) -> float:
    """The waits' integrated relaxation time (s) the engine uses (noise.py)."""
    return (2.0 + rho * (5.0 - rho * (4.0 - rho))) / (2.0 * rho * c * mu * (1.0 - rho) ** 2)


@functools.cache
def noisy_run(c: int, instances: int, rho: float, mu: float, ticks: int, seed: int = 7):
    """Per-tick web (offered, served, mean response s) and the report's web latency."""
    rps = rho * c * max(instances, 1) * mu
    if instances:
        doc = tier(rps, 1000.0 / mu, instances)
    else:
        doc = single_server(rps=rps, service_ms=1000.0 / mu, concurrency=c)
    engine = Engine(doc, {"noise": True, "duration_s": ticks, "warmup_s": 0}, seed=seed)
    rows = []
    while not engine.finished:
        node = engine.step().nodes["web"]
        rows.append((node.offered, node.served, node.lat / 1000.0))
    return rows, engine.report()["components"]["web"]["latency_ms"]


@pytest.mark.parametrize("rho", LOADS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_the_run_mean_and_p99_are_mmc_s(shape: str, rho: float):
    """Long-run mean and p99 within 5% of M/M/c. The service rate puts the waits'
    relaxation time at a thirtieth of a tick, so 1,000 ticks hold the run's own
    sampling error (the wandering is real) near 1% of the mean and 2% of the p99."""
    c, instances = SHAPES[shape]
    mu = relaxation(rho, 1.0, c) * 30.0  # relaxation(rho, mu, c) = 1/30 s
    _rows, latency = noisy_run(c, instances, rho, mu, 1000)
    lam = rho * c * mu
    assert latency["mean"] / 1000.0 == pytest.approx(mmc(lam, mu, c).mean_response, rel=0.05)
    assert latency["p99"] / 1000.0 == pytest.approx(response_percentile(0.99, lam, mu, c), rel=0.05)


# (servers, utilisation, service ms, ticks): runs long against the queue's relaxation time
# (noise_sim states the reference's sampling error), 10 ms of service where affordable.
SPREAD_POINTS = [(1, 0.5, 10.0, 1000), (1, 0.9, 10.0, 1500), (1, 0.97, 2.0, 1500),
                 (4, 0.5, 10.0, 1000), (4, 0.9, 10.0, 1000), (4, 0.97, 10.0, 1500)]  # fmt: skip


@pytest.mark.parametrize(("c", "rho", "service_ms", "ticks"), SPREAD_POINTS)
def test_per_tick_spread_is_a_real_queue_s(c: int, rho: float, service_ms: float, ticks: int):
    """Per tick: the counts' spread within 10% of the per-request simulation's, the mean
    response's spread within 25% and its lag-one autocorrelation within 0.2."""
    mu = 1000.0 / service_ms
    rows, _latency = noisy_run(c, 0, rho, mu, ticks)
    ref = simulate(rho * c * mu, mu, c, ticks, seed=3)
    offered, served, mean = zip(*rows, strict=True)
    assert spread(offered) == pytest.approx(spread(ref["arrivals"]), rel=0.10)
    assert spread(served) == pytest.approx(spread(ref["completions"]), rel=0.10)
    assert spread(mean) == pytest.approx(spread(ref["mean"]), rel=0.25)
    assert lag_one(mean) == pytest.approx(lag_one(ref["mean"]), abs=0.2)


def test_a_tick_over_capacity_stays_in_steady_state():
    """At utilisation 0.97 many ticks' counts exceed what the server can do in a tick, yet
    the rate is below capacity: no tick carries a backlog (the fluid regime) or drops."""
    rows = []
    engine = Engine(single_server(rps=97.0), {"noise": True, "duration_s": 300}, seed=1)
    while not engine.finished:
        node = engine.step().nodes["web"]
        rows.append((node.offered, node.queued, node.dropped, node.util))
    assert sum(1 for offered, *_ in rows if offered > 100.0) > 30
    assert all(queued == 0.0 and dropped == 0.0 for _, queued, dropped, _ in rows)
    assert all(util == pytest.approx(0.97) for *_, util in rows)


def test_the_same_seed_gives_the_same_frames():
    def frames(seed: int) -> list[dict]:
        engine = Engine(tier(300.0, 10.0, 4), {"noise": True, "duration_s": 200}, seed=seed)
        return [engine.step().to_json() for _ in range(200)]

    first = frames(5)
    assert frames(5) == first
    assert frames(6) != first


def test_counts_add_up_along_the_path():
    """Each tick the client's count reaches the balancer and the tier whole."""
    engine = Engine(tier(300.0, 10.0, 4), {"noise": True, "duration_s": 50}, seed=2)
    counts = set()
    for _ in range(50):
        nodes = engine.step().nodes
        assert nodes["lb"].offered == pytest.approx(nodes["users"].offered)
        assert nodes["web"].offered == pytest.approx(nodes["users"].offered)
        counts.add(nodes["users"].offered)
    assert len(counts) > 20
