"""Latency mixtures: pooling of exit streams and the Newton solver on the mixture CDF."""

from __future__ import annotations

import random

import pytest

from simulation.latency import (
    POOL_ABOVE,
    exit_latencies,
    mixture_cdf_pdf,
    mixture_percentiles,
    pool,
)

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
