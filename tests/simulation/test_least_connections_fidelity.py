"""Least connections as join the shortest queue (issue 13, item 2).

The reference is the per-request JSQ simulation in jsq_sim.py (its sampling error is
stated there; 3 standard errors are allowed on top of the tolerance).
"""

from __future__ import annotations

from functools import cache

import pytest

from simulation import Engine, jsq
from simulation.jsq import UnequalPool, unequal_split

from .designs import settled
from .jsq_sim import Result, simulate

EQUAL = [(k, rho) for k in (2, 4, 8, 16) for rho in (0.5, 0.7, 0.9)] + [(8, 0.95), (16, 0.95)]


def design(algorithm: str, rps: float, service_ms: list[float]) -> dict:
    """Client -> balancer -> one single-server web tier per distinct speed."""
    lb = {"algorithm": algorithm, "concurrency": 10_000, "service_ms": 0.01}
    components = [
        {"id": "users", "kind": "client",
         "params": {"rps": rps, "mix": {"read": 0.0, "write": 0.0, "static": 1.0, "job": 0.0}}},
        {"id": "lb", "kind": "load_balancer", "params": lb},
    ]  # fmt: skip
    links = [{"from": "users", "to": "lb"}]
    for ms in sorted(set(service_ms)):
        params = {"instances": service_ms.count(ms), "concurrency": 1, "service_ms": ms}
        components.append({"id": f"web{ms:g}", "kind": "web_server", "params": params})
        links.append({"from": "lb", "to": f"web{ms:g}"})
    return {"format": 1, "name": "jsq", "components": components, "links": links}


def user_ms(algorithm: str, rps: float, service_ms: list[float]) -> tuple[float, float]:
    """Mean and p99 (ms) the user reads."""
    g = settled(Engine(design(algorithm, rps, service_ms))).globals
    return g["mean_ms"], g["p99_ms"]


@cache
def reference(rps: float, service_ms: tuple[float, ...], requests: int) -> Result:
    """The per-request simulation, run once per point for the whole module."""
    return simulate(rps, [ms / 1000.0 for ms in service_ms], requests=requests, seed=11)


def assert_close(service_ms: list[float], rho: float, rel: float, requests: int) -> None:
    rps = rho * sum(1000.0 / ms for ms in service_ms)
    mean, p99 = user_ms("least_connections", rps, service_ms)
    sim = reference(rps, tuple(service_ms), requests)
    want, err = sim.mean * 1000.0, sim.mean_err * 1000.0
    assert abs(mean - want) <= rel * want + 3.0 * err, ("mean", mean, want)
    want, err = sim.p99 * 1000.0, sim.p99_err * 1000.0
    assert abs(p99 - want) <= rel * want + 3.0 * err, ("p99", p99, want)


@pytest.mark.parametrize(("k", "rho"), EQUAL)
def test_equal_instances_match_a_per_request_simulation(k: int, rho: float):
    """Mean and p99 within 10% of JSQ for 2..16 equal instances, utilisation 0.5..0.95."""
    assert_close([10.0] * k, rho, 0.10, 150_000)


@pytest.mark.parametrize("rho", [0.3, 0.5, 0.7, 0.9])
@pytest.mark.parametrize("service_ms", [[5.0, 10.0], [5.0, 5.0, 10.0, 20.0]])
def test_unequal_instances_match_a_per_request_simulation(service_ms: list[float], rho: float):
    """Instances of unequal speed (2:1 and 4:1): within 10%. Least connections sends a
    slow instance more than its share of capacity below saturation (docs/model.md)."""
    assert_close(service_ms, rho, 0.10, 150_000)


@pytest.mark.parametrize("k", [2, 4, 8, 16])
def test_least_connections_is_faster_than_round_robin_and_random(k: int):
    """The ordering users should learn: least connections < round robin < random."""
    for rho in (0.3, 0.5, 0.7, 0.9, 0.95):
        rps = rho * k * 100.0
        lc = user_ms("least_connections", rps, [10.0] * k)
        rr = user_ms("round_robin", rps, [10.0] * k)
        rand = user_ms("random", rps, [10.0] * k)
        assert lc[0] < rr[0] < rand[0], rho
        assert lc[1] < rr[1] < rand[1], rho


def test_one_instance_is_plain_mmc():
    """A pool of one is M/M/1: least connections, round robin and random agree."""
    lc = user_ms("least_connections", 70.0, [10.0])
    rr = user_ms("round_robin", 70.0, [10.0])
    assert lc == pytest.approx(rr, rel=1e-9)


def pool_of(service_ms: list[float]) -> tuple[UnequalPool, list[float]]:
    """The pool ``design`` builds (one target per distinct speed) and each target's
    capacity share."""
    speeds = sorted(set(service_ms))
    servers = tuple(float(service_ms.count(ms)) for ms in speeds)
    mus = tuple(1000.0 / ms for ms in speeds)
    capacity = sum(n * mu for n, mu in zip(servers, mus, strict=True))
    pool = UnequalPool(len(service_ms), servers, mus)
    return pool, [n * mu / capacity for n, mu in zip(servers, mus, strict=True)]


@pytest.mark.parametrize("rho", [0.3, 0.5, 0.7, 0.9])
@pytest.mark.parametrize("service_ms", [[5.0, 10.0], [5.0, 5.0, 10.0, 20.0]])
def test_unequal_split_matches_the_simulated_split(service_ms: list[float], rho: float):
    """Each speed's share of the requests within 2.5 points of the simulation's (whose
    error is about 0.2 points; the capacity split is up to 10 points off): a slow
    instance takes more than its capacity share."""
    pool, caps = pool_of(service_ms)
    rps = rho * sum(1000.0 / ms for ms in service_ms)
    shares, _, _ = unequal_split(rps, pool)
    sim = reference(rps, tuple(service_ms), 150_000)
    for ms, share in zip(sorted(set(service_ms)), shares, strict=True):
        want = sum(x for x, t in zip(sim.shares, service_ms, strict=True) if t == ms)
        assert share == pytest.approx(want, abs=0.025), (ms, share, want)
    assert shares[-1] > caps[-1] + 0.005  # the slowest takes more than its capacity


def test_unequal_split_from_even_to_capacity():
    """Even per instance at light load, the capacity split near saturation."""
    pool, caps = pool_of([5.0, 10.0, 20.0])
    light, _, _ = unequal_split(0.1, pool)
    assert light == pytest.approx([1 / 3] * 3, abs=1e-3)
    heavy, waits, _ = unequal_split(0.999 * 350.0, pool)
    assert heavy == pytest.approx(caps, abs=2e-3)
    assert waits == pytest.approx([0.999] * 3, abs=0.01)


def test_large_unequal_pool_is_close_to_the_exact_sum(monkeypatch: pytest.MonkeyPatch):
    """Above 64 servers the busy set is taken as independent servers: at the threshold
    it gives nearly the exact split and wait."""
    pool = UnequalPool(24, (32.0, 32.0), (100.0, 50.0))
    for rho in (0.3, 0.7, 0.9):
        exact = unequal_split(rho * 4800.0, pool)
        monkeypatch.setattr(jsq, "EXACT_SERVERS", 0)
        unequal_split.cache_clear()
        rough = unequal_split(rho * 4800.0, pool)
        monkeypatch.undo()
        unequal_split.cache_clear()
        assert rough[0] == pytest.approx(exact[0], abs=0.005), rho
        assert rough[1] == pytest.approx(exact[1], abs=0.01, rel=0.05), rho
