"""Latency mixtures and scenario checks."""

from __future__ import annotations

import pytest

from simulation.checks import CheckState
from simulation.latency import gamma_quantile, mixture_cdf, mixture_percentile
from simulation.queueing import gamma_percentile


@pytest.mark.parametrize("p", [0.5, 0.95, 0.99])
def test_a_mixture_quantile_solves_the_mixture_cdf(p: float):
    """The mixture's p quantile x has CDF(x) = p."""
    parts = ((0.3, 0.02, 0.0004), (0.7, 0.09, 0.005))
    x = mixture_percentile(p, parts)
    assert mixture_cdf(x, parts) == pytest.approx(p, abs=1e-7)


def test_a_mixture_of_one_gamma_is_that_gamma():
    """Equal parts give the plain gamma quantile."""
    parts = ((0.5, 0.05, 0.001), (0.5, 0.05, 0.001))
    assert mixture_percentile(0.99, parts) == pytest.approx(gamma_percentile(0.99, 0.05, 0.001))


def test_large_shapes_use_wilson_hilferty_within_a_tenth_of_a_percent():
    """A nearly deterministic latency: the cube-root approximation agrees with the exact."""
    mean, var = 2.0, 2.0**2 / 400.0  # shape 400
    assert gamma_quantile(0.99, mean, var) == pytest.approx(
        gamma_percentile(0.99, mean, var), rel=1e-3
    )


def test_a_check_fails_only_after_holding_for_its_duration():
    """error_rate > 0.05 for 3 s: fails at the end of the third bad second, once."""
    check = CheckState({"name": "x", "metric": "error_rate", "component": None, "op": ">",
                        "value": 0.05, "for_s": 3.0, "abort": False})  # fmt: skip
    results = [
        check.update(v, t, t + 1.0) for t, v in enumerate([0.1, 0.1, 0.0, 0.1, 0.1, 0.1, 0.1])
    ]
    assert results == [False, False, False, False, False, True, False]
    assert check.failed_at == 6.0
