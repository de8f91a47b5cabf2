"""Latency mixtures: pooling of exit streams and the Newton solver on the mixture CDF."""

from __future__ import annotations

import math
import random

import pytest

from simulation import Engine
from simulation.latency import (
    POOL_ABOVE,
    RunLatency,
    exit_latencies,
    mixture_cdf_pdf,
    mixture_percentiles,
    pool,
)

from .designs import single_server

PS = (0.5, 0.95, 0.99)


def test_pooling_moves_quantiles_by_less_than_a_tenth_of_a_percent():
    """Many streams spread over a few bins: pooled quantiles match the exact mixture."""
    rng = random.Random(3)
    for _ in range(20):
        parts = []
        for _ in range(60):
            centre = rng.choice((0.004, 0.03, 0.2))
            mean = centre * rng.uniform(0.985, 1.015)
            shape = rng.choice((0.8, 3.0, 40.0)) * rng.uniform(0.98, 1.02)
            parts.append((rng.uniform(1.0, 50.0), mean, mean * mean / shape))
        pooled = pool(parts)
        assert len(pooled) <= 40
        assert sum(w for w, _, _ in pooled) == pytest.approx(sum(w for w, _, _ in parts))
        exact = mixture_percentiles(PS, parts)
        assert mixture_percentiles(PS, pooled) == pytest.approx(exact, rel=1e-3)


def test_few_streams_are_not_pooled():
    parts = [(1.0, 0.01 * (1 + i / 1000), 1e-4) for i in range(POOL_ABOVE)]
    assert pool(parts) is parts


@pytest.mark.parametrize("p", PS)
def test_the_solver_finds_the_quantile_with_point_masses_and_large_shapes(p: float):
    """Parts at zero, a deterministic part and a Wilson-Hilferty part still solve CDF = p."""
    parts = [(0.2, 0.0, 0.0), (0.2, 0.05, 0.0), (0.3, 0.02, 0.0004), (0.3, 0.5, 0.5**2 / 900)]
    (x,) = mixture_percentiles((p,), parts)
    below, _ = mixture_cdf_pdf(x * (1 - 1e-9), parts)
    above, _ = mixture_cdf_pdf(x * (1 + 1e-9), parts)
    assert below <= p + 1e-7
    assert above >= p - 1e-7


def test_the_mixture_density_is_the_derivative_of_its_cdf():
    parts = [(0.4, 0.02, 0.0004), (0.6, 0.09, 0.09**2 / 400)]
    for x in (0.01, 0.05, 0.09, 0.1):
        h = x * 1e-6
        slope = (mixture_cdf_pdf(x + h, parts)[0] - mixture_cdf_pdf(x - h, parts)[0]) / (2 * h)
        assert mixture_cdf_pdf(x, parts)[1] == pytest.approx(slope, rel=1e-4)


def test_exit_latencies_add_up_classes_and_return_the_overall_parts():
    exits = (((100.0, 0.02, 0.0008),), ((50.0, 0.05, 0.005),), (), ())
    completed, weighted_mean, classes, overall, parts = exit_latencies(exits)
    assert completed == 150.0
    assert weighted_mean == pytest.approx(100 * 0.02 + 50 * 0.05)
    assert set(classes) == {"read", "write"}
    assert sorted(parts) == [(50.0, 0.05, pytest.approx(0.0025)), (100.0, 0.02, 0.0004)]
    assert overall["p50_ms"] / 1000 == pytest.approx(mixture_percentiles((0.5,), parts)[0])


def test_exit_latencies_without_traffic_are_zero():
    """No class completes anything (streams of zero rate count as none)."""
    for exits in (((), (), (), ()), (((0.0, 0.02, 0.0008),), (), ((0.0, 0.1, 0.02),) * 2, ())):
        completed, weighted_mean, classes, overall, parts = exit_latencies(exits)
        assert (completed, weighted_mean, classes, parts) == (0.0, 0.0, {}, [])
        assert overall == {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0}


def test_exit_latencies_merge_equal_streams_and_pool_many():
    """Streams with equal moments count once with their rates added; past POOL_ABOVE
    distinct streams the class's parts are pooled, its rate and mean kept."""
    same = ((30.0, 0.02, 0.0008), (10.0, 0.05, 0.005), (20.0, 0.02, 0.0008))
    _, _, classes, _, parts = exit_latencies((same, (), (), ()))
    assert sorted(parts) == [(10.0, 0.05, pytest.approx(0.0025)), (50.0, 0.02, 0.0004)]
    assert classes["read"]["mean_ms"] == pytest.approx((50 * 0.02 + 10 * 0.05) / 60 * 1000)
    many = tuple((1.0 + i, 0.02 * (1 + i / 1000), 0.0008) for i in range(3 * POOL_ABOVE))
    completed, weighted_mean, classes, _, parts = exit_latencies(((), many, (), ()))
    assert len(parts) < POOL_ABOVE
    assert completed == pytest.approx(sum(r for r, _, _ in many))
    assert weighted_mean == pytest.approx(sum(r * m1 for r, m1, _ in many))
    exact = mixture_percentiles(PS, [(r, m1, m2 - m1 * m1) for r, m1, m2 in many])
    pooled = [classes["write"][name] / 1000 for name in ("p50_ms", "p95_ms", "p99_ms")]
    assert pooled == pytest.approx(exact, rel=1e-3)


def _bisect(cdf, p: float, hi: float = 10.0) -> float:
    lo = 0.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if cdf(mid) < p else (lo, mid)
    return 0.5 * (lo + hi)


def test_run_percentiles_are_those_of_the_whole_run_not_averages_of_ticks():
    """M/M/1 (mu 100/s) at 50 req/s for 100 s, then 90 req/s for 100 s, in summary and
    per component.

    The run's response time is the mixture of Exp(50) and Exp(10) weighted by the
    requests served in each half; its quantiles differ from the throughput-weighted
    average of the per-tick quantiles.
    """
    scenario = {"duration_s": 200, "warmup_s": 0,
                "traffic": [{"at": 100, "source": "users", "rps": 90}]}  # fmt: skip
    engine = Engine(single_server(rps=50.0, service_ms=10.0), scenario)
    engine.run()
    report = engine.report()
    summary = report["summary"]["latency_ms"]
    web = report["components"]["web"]["latency_ms"]

    def cdf(x: float) -> float:
        return (50 * -math.expm1(-50 * x) + 90 * -math.expm1(-10 * x)) / 140

    for p, name in ((0.5, "p50"), (0.95, "p95"), (0.99, "p99")):
        exact = _bisect(cdf, p)
        assert summary[name] / 1000 == pytest.approx(exact, rel=1e-6)
        assert web[name] / 1000 == pytest.approx(exact, rel=1e-6)  # the one server's, too
        average = (50 * -math.log1p(-p) / 50 + 90 * -math.log1p(-p) / 10) / 140
        assert abs(exact / average - 1) > 0.05
    assert summary["mean"] / 1000 == pytest.approx((50 / 50 + 90 / 10) / 140, rel=1e-9)


def test_a_run_with_many_distinct_ticks_pools_within_a_tenth_of_a_percent():
    rng = random.Random(5)
    run = RunLatency(exact_limit=50)
    everything = []
    for _ in range(400):
        fast = (rng.uniform(10, 100), rng.uniform(0.01, 0.012), 2e-5 * rng.uniform(1, 1.1))
        slow = (rng.uniform(1, 10), rng.uniform(0.2, 0.22), 0.01 * rng.uniform(1, 1.1))
        parts = [fast, slow]
        run.add(parts, 0.5)
        everything += [(w * 0.5, m, v) for w, m, v in parts]
    assert run.pooled
    assert len(run.bins) < 100
    assert run.requests == pytest.approx(sum(w for w, _, _ in everything))
    assert run.percentiles(PS) == pytest.approx(mixture_percentiles(PS, everything), rel=1e-3)


@pytest.mark.parametrize("p", PS)
def test_a_quantile_in_the_gap_between_far_apart_parts_is_found(p: float):
    """Milliseconds for most requests, twenty seconds of backlog for some: the solver
    crosses the flat stretch of the CDF between them."""
    parts = [(894.0, 0.0018, 1.6e-06), (200.0, 20.6, 0.052), (357.6, 0.0013, 1.4e-06)]
    (x,) = mixture_percentiles((p,), parts)
    total = sum(w for w, _, _ in parts)
    normalised = [(w / total, m, v) for w, m, v in parts]
    assert math.isfinite(x)
    assert mixture_cdf_pdf(x * (1 - 1e-9), normalised)[0] <= p + 1e-7
    assert mixture_cdf_pdf(x * (1 + 1e-9), normalised)[0] >= p - 1e-7


def test_the_solver_agrees_with_bisection_on_random_mixtures():
    """Parts from a millisecond to tens of seconds, shapes 0.3 to 5,000."""
    rng = random.Random(7)
    for _ in range(60):
        parts = []
        for _ in range(rng.randint(2, 8)):
            mean = rng.choice((0.002, 0.02, 0.2, 20.0)) * rng.uniform(0.5, 2.0)
            shape = rng.choice((0.3, 1.0, 3.0, 30.0, 500.0, 5000.0))
            parts.append((rng.uniform(0.01, 1.0), mean, mean * mean / shape))
        total = sum(w for w, _, _ in parts)
        normalised = [(w / total, m, v) for w, m, v in parts]
        for p, x in zip(PS, mixture_percentiles(PS, parts), strict=True):
            reference = _bisect(lambda t, n=normalised: mixture_cdf_pdf(t, n)[0], p, hi=1000.0)
            assert x == pytest.approx(reference, rel=1e-8)
