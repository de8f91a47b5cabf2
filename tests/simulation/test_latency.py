"""Latency mixtures: pooling of exit streams and the Newton solver on the mixture CDF."""

from __future__ import annotations

import math
import pickle
import random
from decimal import Decimal, localcontext

import pytest

from simulation import Engine, latency
from simulation.latency import (
    _CV2_BINS,
    _MEAN_BINS,
    POOL_ABOVE,
    RunLatency,
    _add_part,
    _bin,
    _gamma_density_integral,
    _merged_rates,
    _mixture_terms,
    _near,
    _parts_of,
    _pooled_streams,
    _prepare,
    _terms,
    _variance_parts,
    exit_latencies,
    mixture_cdf_pdf,
    mixture_percentiles,
    pool,
    warm_percentiles,
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


def test_streams_pooled_in_one_pass_equal_pooled_parts():
    """The one-pass pooling of a class's merged streams gives pool's parts exactly, with
    point masses, zero variances and duplicate streams among them."""
    rng = random.Random(19)
    for _ in range(50):
        streams = []
        for _ in range(rng.randint(2 * POOL_ABOVE, 80)):
            m1 = rng.choice((0.0, 0.004, 0.03, 0.2)) * rng.uniform(0.97, 1.03)
            m2 = m1 * m1 * rng.choice((1.0, 1.0 - 1e-12, 1.3, 2.0, 3.0))
            streams.append((rng.uniform(0.0, 50.0), m1, m2))
        streams += rng.sample(streams, 5)
        merged = _merged_rates(tuple(streams))
        if len(merged) <= POOL_ABOVE:
            continue
        parts = _variance_parts(merged)
        weighted, pooled = _pooled_streams(merged)
        assert pooled == pool(parts)
        assert weighted == sum([r * m1 for r, m1, _ in parts])


def test_exit_percentiles_are_the_memoised_mixture_percentiles_tick_after_tick():
    """Per-class and overall percentiles equal mixture_percentiles(memo=True) of their
    parts, on a first tick and on a later one with equal exits (answered from memo)."""
    rng = random.Random(23)
    for _ in range(30):
        exits = tuple(
            tuple(
                (rng.uniform(1.0, 100.0), m1, m1 * m1 * rng.uniform(1.1, 3.0))
                for m1 in (rng.uniform(0.001, 0.5) for _ in range(rng.randint(0, 4)))
            )
            for _ in range(4)
        )
        first = exit_latencies(exits)
        again = exit_latencies(pickle.loads(pickle.dumps(exits)))  # equal, not the same
        assert again == first
        _, _, classes, overall, parts = first
        if parts:
            expected = [x * 1000 for x in mixture_percentiles(PS, parts, memo=True)]
            assert [overall[key] for key in ("p50_ms", "p95_ms", "p99_ms")] == expected
        for k, name in enumerate(("read", "write", "static", "job")):
            if name in classes:
                merged = _variance_parts(_merged_rates(exits[k]))
                expected = [x * 1000 for x in mixture_percentiles(PS, merged, memo=True)]
                assert [classes[name][key] for key in ("p50_ms", "p95_ms", "p99_ms")] == expected


def _bisect(cdf, p: float, hi: float = 10.0) -> float:
    lo = 0.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if cdf(mid) < p else (lo, mid)
    return 0.5 * (lo + hi)


def test_run_percentiles_are_those_of_the_whole_run_not_averages_of_ticks():
    """M/M/1 (mu 100/s) at 20 req/s for 100 s, then 70 req/s for 100 s, in summary and
    per component (loads whose steady state is reached within a tick).

    The run's response time is the mixture of Exp(80) and Exp(30) weighted by the
    requests served in each half; its quantiles differ from the throughput-weighted
    average of the per-tick quantiles.
    """
    scenario = {"duration_s": 200, "warmup_s": 0,
                "traffic": [{"at": 100, "source": "users", "rps": 70}]}  # fmt: skip
    engine = Engine(single_server(rps=20.0, service_ms=10.0), scenario)
    engine.run()
    report = engine.report()
    summary = report["summary"]["latency_ms"]
    web = report["components"]["web"]["latency_ms"]

    def cdf(x: float) -> float:
        return (20 * -math.expm1(-80 * x) + 70 * -math.expm1(-30 * x)) / 90

    for p, name in ((0.5, "p50"), (0.95, "p95"), (0.99, "p99")):
        exact = _bisect(cdf, p)
        assert summary[name] / 1000 == pytest.approx(exact, rel=1e-6)
        assert web[name] / 1000 == pytest.approx(exact, rel=1e-6)  # the one server's, too
        average = (20 * -math.log1p(-p) / 80 + 70 * -math.log1p(-p) / 30) / 90
        assert abs(exact / average - 1) > 0.05
    assert summary["mean"] / 1000 == pytest.approx((20 / 80 + 70 / 30) / 90, rel=1e-9)


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


def _pool_bins(parts: list, bins: dict | None = None) -> dict:
    """``parts`` added to ``pool``'s bins: what a pooled run must hold."""
    bins = {} if bins is None else bins
    for weight, mean, var in parts:
        _add_part(bins, _bin(mean, var), weight, mean, var)
    return bins


def _half_way(value, target: float, x: float) -> float | None:
    """A float near ``x`` (above it) where ``value`` is exactly ``target``, if one is close."""
    for _ in range(100_000):
        if value(x) == target:
            return x
        x = math.nextafter(x, math.inf)
    return None


def _half_way_parts() -> list:
    """Parts whose mean bin or cv2 bin number is exactly half-way between two integers."""
    parts = []
    for k in (-230, -150, -101):
        start = math.exp((k + 0.5) / _MEAN_BINS) * (1 - 1e-12)
        mean = _half_way(lambda m: math.log(m) * _MEAN_BINS, k + 0.5, start)
        if mean is not None:
            parts.append((3.0, mean, mean * mean))
    for k in (-20, -7, 4):
        mean = 0.02
        start = mean * mean * math.exp((k + 0.5) / _CV2_BINS) * (1 - 1e-12)
        var = _half_way(lambda v, m=mean: math.log(v / (m * m)) * _CV2_BINS, k + 0.5, start)
        if var is not None:
            parts.append((2.0, mean, var))
    return parts


def _random_parts(rng: random.Random, count: int) -> list:
    means = [rng.uniform(0.001, 0.5) for _ in range(count)]
    return [(rng.uniform(1.0, 50.0), m, m * m * rng.uniform(0.2, 3.0)) for m in means]


def _exact_bins(parts: list, seconds: float = 1.0) -> dict:
    """A run's exact bins for distinct parts of one tick ``seconds`` long."""
    return {(m, v): [w * seconds, w * seconds * m, w * seconds * (v + m * m)] for w, m, v in parts}


def test_a_pooled_run_adds_its_parts_to_the_bins_of_pool():
    """Past its exact limit a run pools once all of a tick's parts are in; later parts
    fall in pool()'s bins (zero means, zero variances and half-way bin numbers, which
    round to even, included) with the same sums, bit for bit."""
    rng = random.Random(33)
    first, later = _random_parts(rng, 10), _random_parts(rng, 30)
    half_way = _half_way_parts()
    assert len(half_way) >= 3, "this platform's log gives no half-way bin numbers to test"
    later += [(5.0, 0.0, 0.0), (2.0, 0.02, 0.0), *half_way]
    run = RunLatency(exact_limit=5)
    run.add(first, 2.0)
    assert run.pooled
    expected = _pool_bins(_parts_of(_exact_bins(first, 2.0)))
    assert run.bins == expected
    pooled_on_the_sixth = _pool_bins(
        [(w * 2.0, m, v) for w, m, v in first[6:]],
        _pool_bins(_parts_of(_exact_bins(first[:6], 2.0))),
    )
    assert run.bins != pooled_on_the_sixth, "these parts tell the two apart"
    run.add(later, 0.5)
    assert run.bins == _pool_bins([(w * 0.5, m, v) for w, m, v in later], expected)


def test_a_components_run_pools_as_soon_as_it_passes_its_exact_limit():
    """add_one pools right after the part that passes the limit; the next is binned."""
    parts = [(10.0, 0.02, 0.0004), (20.0, 0.03, 0.0009), (30.0, 0.025, 0.0005)]
    run = RunLatency(exact_limit=1)
    for part in parts:
        run.add_one(*part)
    assert run.bins == _pool_bins(parts[2:], _pool_bins(_parts_of(_exact_bins(parts[:2]))))


def test_parts_equal_to_the_last_one_go_to_its_bin_across_pooling():
    """A part with the last part's mean and variance skips the bin lookup; once the run
    pools, that bin is another one. Here the tick that makes the run pool ends with the
    first exact part's latency, whose pooled moments (powers of two) come back equal."""
    first = [(1.0, 0.25, 0.0625), (1.0, 0.5, 0.25)]
    second = [(1.0, 0.125, 0.015625), (1.0, 0.25, 0.0625)]
    run = RunLatency(exact_limit=2)
    run.add(first, 1.0)
    run.add(second, 1.0)
    assert run.pooled
    exact: dict = {}
    for weight, mean, var in first + second:
        _add_part(exact, (mean, var), weight, mean, var)
    expected = _pool_bins(_parts_of(exact))
    assert run.bins == expected
    later = [(3.0, 0.25, 0.0625), (1.0, 0.25, 0.0625), (2.0, 0.25, 0.03), (1.0, 0.5, 0.03)]
    for part in later:
        run.add_one(*part)
    assert run.bins == _pool_bins(later, expected)


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


def _lower_gamma_50_digits(a: float, y: float) -> Decimal:
    """P(a, y) x Gamma(a) by its series, summed with 50 significant digits."""
    a_d, y_d = Decimal(a), Decimal(y)
    with localcontext() as ctx:
        ctx.prec = 50
        term = total = 1 / a_d
        n = a_d
        while term > total * Decimal("1e-45"):
            n += 1
            term *= y_d / n
            total += term
        return total * (a_d * y_d.ln() - y_d).exp()


def test_close_gamma_evaluations_integrate_the_density_to_1e_16():
    """From a full evaluation at y0, P(a, y) at a close y is P(a, y0) plus four Gauss-
    Legendre nodes of the density: within 1e-15 of a 50-digit sum, shapes 0.05 to 200."""
    rng = random.Random(11)
    checked = 0
    while checked < 400:
        a = math.exp(rng.uniform(math.log(0.05), math.log(200.0)))
        y0 = a * math.exp(rng.uniform(-3.0, 1.0))
        y = y0 * (1.0 + rng.uniform(-0.05, 0.05))
        if not _near(y, y0, a - 1.0):
            continue
        checked += 1
        with localcontext() as ctx:
            ctx.prec = 50
            exact = (_lower_gamma_50_digits(a, y) - _lower_gamma_50_digits(a, y0)) / Decimal(
                math.lgamma(a)
            ).exp()
        step = _gamma_density_integral(y0, y, a - 1.0, math.lgamma(a))
        assert abs(step - float(exact)) <= 1e-15


def test_far_gamma_evaluations_are_not_integrated():
    assert _near(1.0, 1.04, 0.5)
    assert not _near(1.0, 1.06, 0.5)  # more than 5% apart
    assert not _near(100.0, 101.0, 150.0)  # the density moves too much in between
    assert not _near(1.0, 0.0, 0.5)  # nothing evaluated yet


def test_anchored_mixture_terms_equal_full_evaluations():
    """CDF, density and slope at points near an earlier evaluation, as the quantile
    search computes them, agree with evaluating every part from scratch."""
    rng = random.Random(13)
    for _ in range(200):
        parts = []
        for _ in range(rng.randint(1, 6)):
            mean = rng.choice((0.002, 0.02, 0.2, 20.0)) * rng.uniform(0.5, 2.0)
            shape = rng.choice((0.1, 0.5, 1.0, 1.7, 3.0, 30.0, 190.0))
            parts.append((rng.uniform(0.01, 1.0), mean, mean * mean / shape))
        prepared = _prepare(parts)
        x = rng.choice(parts)[1] * rng.uniform(0.1, 3.0)
        _terms(x, prepared)  # the full evaluation the others are anchored to
        for scale in (1e-7, 1e-4, 1e-2, 0.04):
            near = x * (1.0 + scale * rng.choice((-1.0, 1.0)))
            cdf, pdf, slope = _terms(near, prepared)
            full = _mixture_terms(near, parts)
            assert cdf == pytest.approx(full[0], rel=1e-14, abs=2e-16)
            assert pdf == pytest.approx(full[1], rel=1e-13)
            assert slope == pytest.approx(full[2], rel=1e-12, abs=1e-12 * abs(pdf) / near)


def test_quantiles_solved_with_anchored_evaluations_equal_those_from_full_ones(monkeypatch):
    """Quantiles of random mixtures (parts from a millisecond to twenty seconds, shapes
    0.3 to 5,000) agree to 1e-12 with those solved evaluating every part in full at
    every step; or, where p lies on a flat stretch between far-apart parts, both meet
    p to the solver's 1e-13 on the fully evaluated CDF."""
    rng = random.Random(17)
    mixtures = []
    for _ in range(300):
        parts = []
        for _ in range(rng.randint(1, 8)):
            mean = rng.choice((0.001, 0.02, 0.2, 20.0)) * rng.uniform(0.5, 2.0)
            shape = rng.choice((0.3, 0.9, 1.7, 3.0, 30.0, 150.0, 199.0, 500.0, 5000.0))
            parts.append((rng.uniform(0.01, 1.0), mean, mean * mean / shape))
        mixtures.append(parts)
    anchored = [mixture_percentiles(PS, parts) for parts in mixtures]
    monkeypatch.setattr(latency, "_near", lambda y, y0, shape_less_one: False)
    for parts, quantiles in zip(mixtures, anchored, strict=True):
        total = sum(w for w, _, _ in parts)
        normalised = [(w / total, m, v) for w, m, v in parts]
        full = mixture_percentiles(PS, parts)
        for p, x, reference in zip(PS, quantiles, full, strict=True):
            if x != pytest.approx(reference, rel=1e-12):
                assert abs(mixture_cdf_pdf(x, normalised)[0] - p) <= 1e-13
                assert abs(mixture_cdf_pdf(reference, normalised)[0] - p) <= 1e-13


def test_percentiles_solved_from_the_last_answers_agree_with_a_cold_solve():
    """Noisy ticks solve from the last tick's answers (``warm_percentiles``): over random
    mixtures (parts from a millisecond to twenty seconds, shapes 0.3 to 5,000) whose
    parts wander by up to 30% a tick, and from answers five times off, the quantiles
    agree with a cold solve's of the exact parts to 3e-7 (the memoised solve rounds the
    parts to six digits: about 1e-6); or, where p lies on a flat stretch between
    far-apart parts, both meet p to 1e-12 on the CDF."""
    rng = random.Random(29)
    keys = ("p50_ms", "p95_ms", "p99_ms")
    for _ in range(60):
        base = []
        for _ in range(rng.randint(1, 8)):
            mean = rng.choice((0.001, 0.02, 0.2, 20.0)) * rng.uniform(0.5, 2.0)
            shape = rng.choice((0.3, 0.9, 1.7, 3.0, 30.0, 150.0, 500.0, 5000.0))
            base.append((rng.uniform(0.01, 1.0), mean, shape))
        warm: dict = {}
        spread = rng.choice((0.01, 0.1, 0.3))
        for tick in range(12):
            parts = []
            for w, mean, shape in base:
                f = max(1.0 + spread * rng.gauss(0.0, 1.0), 0.05)
                parts.append((w, mean * f, mean * mean * f / shape))
            if tick == 6:  # a jump (a failure, a change of traffic): answers far off
                warm = {key: tuple(5.0 * x for x in answers) for key, answers in warm.items()}
            got = warm_percentiles(parts, warm, "class")
            if tick == 0:  # nothing to start from: the memoised solve (six digits)
                expected = [x * 1000.0 for x in mixture_percentiles(PS, parts, memo=True)]
                assert [got[key] for key in keys] == expected
                continue
            cold = mixture_percentiles(PS, parts)
            total = sum(w for w, _, _ in parts)
            normalised = [(w / total, m, v) for w, m, v in parts]
            assert [x * 1000.0 for x in warm["class"]] == [got[key] for key in keys]
            for p, x, reference in zip(PS, warm["class"], cold, strict=True):
                if x != pytest.approx(reference, rel=3e-7):
                    assert abs(mixture_cdf_pdf(x, normalised)[0] - p) <= 1e-12
                    assert abs(mixture_cdf_pdf(reference, normalised)[0] - p) <= 1e-12


def test_exit_latencies_solved_warm_equal_cold_ones_on_the_first_tick():
    """Without last answers the warm path solves as the memoised one does, byte for byte,
    and keeps the answers for the next tick."""
    exits = (
        ((40.0, 0.02, 0.0009), (10.0, 0.05, 0.004)),
        ((5.0, 0.01, 0.0002),),
        (),
        ((3.0, 0.2, 0.08), (3.0, 0.02, 0.0008), (1.0, 0.5, 0.5)),
    )
    warm: dict = {}
    assert exit_latencies(exits, warm) == exit_latencies(exits)
    assert sorted(warm) == [-1, 0, 1, 3]
    _, _, classes, overall, _ = exit_latencies(exits)
    assert warm[-1] == tuple(overall[key] / 1000.0 for key in ("p50_ms", "p95_ms", "p99_ms"))
    assert warm[0][2] == classes["read"]["p99_ms"] / 1000.0
