"""Queueing formulas against textbook closed forms and independent brute-force solutions."""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from fractions import Fraction
from statistics import NormalDist, stdev

import pytest

from simulation.queueing import (
    QueueStats,
    _lower_gamma_regularized,
    erlang_b,
    erlang_c,
    gamma_percentile,
    klb_factor,
    mmc,
    mmck,
    response_percentile,
    response_sf,
)
from tests.simulation import reference

# --- independent helpers ----------------------------------------------------


def exact_erlang_c(c: int, a: Fraction) -> Fraction:
    """Erlang C from its factorial definition, in exact rational arithmetic."""
    top = a**c / math.factorial(c) * Fraction(c) / (c - a)
    below = sum(a**n / math.factorial(n) for n in range(c))
    return top / (below + top)


def solve_linear(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting."""
    n = len(rhs)
    rows = [[*row, value] for row, value in zip(matrix, rhs, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(n):
            if r != col and rows[r][col] != 0.0:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [x - factor * y for x, y in zip(rows[r], rows[col], strict=True)]
    return [rows[i][n] / rows[i][i] for i in range(n)]


def ctmc_mmck(lam: float, mu: float, c: int, k: int) -> dict[str, float]:
    """M/M/c/K by solving the global balance equations pi Q = 0 of its generator."""
    size = c + k + 1
    q = [[0.0] * size for _ in range(size)]
    for n in range(size):
        if n + 1 < size:
            q[n][n + 1] = lam
        if n > 0:
            q[n][n - 1] = min(n, c) * mu
        q[n][n] = -sum(q[n])
    # Transposed generator, with the last balance equation replaced by sum(pi) = 1.
    matrix = [[q[j][i] for j in range(size)] for i in range(size)]
    matrix[-1] = [1.0] * size
    pi = solve_linear(matrix, [0.0] * (size - 1) + [1.0])
    block = pi[-1]
    accepted = 1.0 - block
    rate = c * mu
    first = sum(pi[n] * (n - c + 1) / rate for n in range(c, size - 1)) / accepted
    second = sum(pi[n] * (n - c + 1) * (n - c + 2) / rate**2 for n in range(c, size - 1))
    second /= accepted
    return {
        "block": block,
        "wait_prob": sum(pi[n] for n in range(c, size - 1)) / accepted,
        "mean_wait": first,
        "response_var": 1.0 / mu**2 + second - first**2,
        "busy": sum(pi[n] * min(n, c) for n in range(size)) / c,
    }


def integrate(f: Callable[[float], float], upper: float, steps: int = 20_000) -> float:
    """Composite Simpson rule on [0, upper]."""
    h = upper / steps
    total = f(0.0) + f(upper)
    total += 4.0 * sum(f((2 * i - 1) * h) for i in range(1, steps // 2 + 1))
    total += 2.0 * sum(f(2 * i * h) for i in range(1, steps // 2))
    return total * h / 3.0


# --- Erlang B and C ---------------------------------------------------------


def test_erlang_c_matches_the_factorial_definition() -> None:
    """Erlang C from the recursion equals the exact factorial formula, small c to c = 500."""
    for c, a in [(1, 0.5), (2, 1), (3, 2.5), (10, 8), (50, 45), (500, 490), (500, 100)]:
        expected = float(exact_erlang_c(c, Fraction(a)))
        assert erlang_c(c, a) == pytest.approx(expected, rel=1e-12)


def test_erlang_c_textbook_values() -> None:
    """C(1, a) = a; C(2, 1) = 1/3; ten agents at 8 erlangs wait 40.9% of the time."""
    assert erlang_c(1, 0.7) == pytest.approx(0.7, rel=1e-14)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-14)
    assert erlang_c(10, 8.0) == pytest.approx(0.4092, abs=5e-5)


def test_erlang_b_recursion_edges() -> None:
    """B(0, a) = 1, B(c, 0) = 0, B(1, a) = a/(1+a), and a tiny B underflows to 0 without error."""
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(5, 0.0) == 0.0
    assert erlang_b(1, 2.0) == pytest.approx(2 / 3, rel=1e-15)
    assert erlang_b(2000, 1.0) == 0.0


# --- M/M/c ------------------------------------------------------------------


@pytest.mark.parametrize("rho", [0.1, 0.5, 0.9, 0.95, 0.999])
def test_mm1_matches_closed_form(rho: float) -> None:
    """M/M/1: W = 1/(mu - lam), Var T = W^2, P(wait) = rho."""
    mu = 100.0
    stats = mmc(rho * mu, mu, 1)
    assert stats.mean_response == pytest.approx(1 / (mu - rho * mu), rel=1e-12)
    assert stats.response_var == pytest.approx(1 / (mu - rho * mu) ** 2, rel=1e-12)
    assert stats.wait_prob == pytest.approx(rho, rel=1e-12)
    assert stats.rho == pytest.approx(rho, rel=1e-15)
    assert stats.block_prob == 0.0
    assert stats.throughput == rho * mu


def test_mmc_mean_wait_is_erlang_c_over_drain_rate() -> None:
    """M/M/c: Wq = C/(c mu - lam) and W = Wq + 1/mu."""
    lam, mu, c = 300.0, 40.0, 8
    expected_c = float(exact_erlang_c(c, Fraction(lam) / Fraction(mu)))
    stats = mmc(lam, mu, c)
    assert stats.mean_wait == pytest.approx(expected_c / (c * mu - lam), rel=1e-12)
    assert stats.mean_response == pytest.approx(stats.mean_wait + 1 / mu, rel=1e-14)


def test_allen_cunneen_scales_the_wait_only() -> None:
    """With ca2 the mean wait scales by (ca2 + 1)/2, not the service; ca2 = 1 is plain M/M/c."""
    base = mmc(90.0, 100.0, 1)
    regular = mmc(90.0, 100.0, 1, ca2=0.25)
    assert regular.mean_wait == pytest.approx(base.mean_wait * 0.625, rel=1e-14)
    assert regular.mean_response == pytest.approx(regular.mean_wait + 0.01, rel=1e-14)
    assert regular.rho == base.rho
    assert regular.throughput == base.throughput
    assert mmc(90.0, 100.0, 1, ca2=1.0) == base
    bursty = mmc(300.0, 40.0, 8, ca2=3.0)
    assert bursty.mean_wait == pytest.approx(mmc(300.0, 40.0, 8).mean_wait * 2.0, rel=1e-14)


@pytest.mark.parametrize(("lam", "mu", "c", "ca2"), [(90.0, 100.0, 1, 0.25), (3.0, 1.0, 4, 0.5),
                                                     (300.0, 40.0, 8, 3.0)])  # fmt: skip
def test_corrected_wait_has_the_mmc_shape_at_an_equivalent_load(
    lam: float, mu: float, c: int, ca2: float
) -> None:
    """The corrected node's wait law is plain M/M/c at the load with the same mean wait.

    The equivalent load is found here by bisection, independently of the module.
    """
    corrected = mmc(lam, mu, c, ca2=ca2)
    lo, hi = 0.0, c * mu
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if mmc(mid, mu, c).mean_wait < corrected.mean_wait else (lo, mid)
    equivalent = mmc(lo, mu, c)
    assert corrected.wait_prob == pytest.approx(equivalent.wait_prob, rel=1e-9)
    assert corrected.response_var == pytest.approx(equivalent.response_var, rel=1e-9)
    for p in (0.5, 0.99):
        shaped = response_percentile(p, lam, mu, c, ca2=ca2)
        assert shaped == pytest.approx(response_percentile(p, lo, mu, c), rel=1e-9)
        assert response_sf(shaped, lam, mu, c, ca2=ca2) == pytest.approx(1 - p, rel=1e-9)


@pytest.mark.parametrize("rho", [0.3, 0.5, 0.7, 0.9, 0.95])
def test_klb_brings_round_robin_nodes_close_to_ek_m1(rho: float) -> None:
    """Erlang-4 arrivals (ca2 = 1/4) at one server: with klb the mean response is within 2.5%
    of exact E_4/M/1 (T ~ Exp(mu(1 - sigma))), its variance within 5%, p99 within 3%."""
    mu = 100.0
    sigma = reference.ek_m1_sigma(4, 4 * rho * mu, mu)
    exact_mean = 1 / (mu * (1 - sigma))
    stats = mmc(rho * mu, mu, 1, ca2=0.25, klb=True)
    assert stats.mean_response == pytest.approx(exact_mean, rel=0.025)
    assert stats.response_var == pytest.approx(exact_mean**2, rel=0.05)
    p99 = response_percentile(0.99, rho * mu, mu, 1, ca2=0.25, klb=True)
    assert p99 == pytest.approx(math.log(100) * exact_mean, rel=0.03)
    plain = mmc(rho * mu, mu, 1, ca2=0.25)
    assert abs(stats.mean_response - exact_mean) < abs(plain.mean_response - exact_mean)


def test_klb_factor() -> None:
    """exp(-2(1-rho)(1-ca2)^2/(3 rho (ca2+1))) below ca2 = 1, exp(-(1-rho)(ca2-1)/(ca2+4)) above."""
    assert klb_factor(0.9, 1.0) == 1.0
    assert klb_factor(1.0, 0.25) == 1.0
    expected = math.exp(-2 * 0.5 * 0.75**2 / (3 * 0.5 * 1.25))
    assert klb_factor(0.5, 0.25) == pytest.approx(expected, rel=1e-15)
    assert klb_factor(0.5, 3.0) == pytest.approx(math.exp(-0.5 * 2.0 / 7.0), rel=1e-15)
    assert mmc(50.0, 100.0, 1, ca2=0.25, klb=True).mean_wait == pytest.approx(
        mmc(50.0, 100.0, 1).mean_wait * 0.625 * expected, rel=1e-14
    )


def test_idle_mmc_is_pure_service() -> None:
    """With no arrivals nobody waits: T ~ Exp(mu)."""
    assert mmc(0.0, 50.0, 4) == QueueStats(0.0, 0.0, 0.0, 0.02, 0.0004, 0.0, 0.0)


def test_mmc_handles_heavy_load_and_many_servers() -> None:
    """rho = 0.9999 and c = 500 give finite numbers that match the formulas."""
    near = mmc(0.9999, 1.0, 1)
    assert near.mean_response == pytest.approx(10_000.0, rel=1e-9)
    big = mmc(499.0, 1.0, 500)
    expected_c = float(exact_erlang_c(500, Fraction(499)))
    assert big.wait_prob == pytest.approx(expected_c, rel=1e-11)
    assert big.mean_wait == pytest.approx(expected_c / 1.0, rel=1e-11)


# --- M/M/c/K ----------------------------------------------------------------


@pytest.mark.parametrize("rho", [0.3, 0.9, 1.0, 1.5, 4.0])
def test_mm1k_matches_closed_form(rho: float) -> None:
    """M/M/1/K: P_K = (1-rho) rho^K / (1 - rho^(K+1)) (1/(K+1) at rho = 1), L by its closed form."""
    mu, big_k = 10.0, 10
    stats = mmck(rho * mu, mu, 1, big_k - 1)
    if rho == 1.0:
        block = 1 / (big_k + 1)
        mean_number = big_k / 2
    else:
        block = (1 - rho) * rho**big_k / (1 - rho ** (big_k + 1))
        mean_number = rho / (1 - rho) - (big_k + 1) * rho ** (big_k + 1) / (1 - rho ** (big_k + 1))
    assert stats.block_prob == pytest.approx(block, rel=1e-12)
    # Little's law on the whole system, with accepted arrivals only.
    assert stats.mean_response * stats.throughput == pytest.approx(mean_number, rel=1e-11)


@pytest.mark.parametrize(
    ("lam", "mu", "c", "k"),
    [
        (0.9, 1.0, 1, 0),
        (7.0, 1.0, 8, 0),
        (7.6, 1.0, 8, 5),
        (9.5, 1.0, 10, 30),
        (12.0, 1.0, 10, 30),
        (300.0, 40.0, 8, 50),
        (50.0, 1.0, 4, 12),
        (0.01, 1.0, 3, 7),
        (100.0, 1.0, 100, 60),
    ],
)
def test_mmck_matches_the_balance_equations(lam: float, mu: float, c: int, k: int) -> None:
    """Blocking, waits and response variance equal the numerically solved CTMC, overload too."""
    stats = mmck(lam, mu, c, k)
    truth = ctmc_mmck(lam, mu, c, k)
    assert stats.block_prob == pytest.approx(truth["block"], rel=1e-9, abs=1e-15)
    assert stats.wait_prob == pytest.approx(truth["wait_prob"], rel=1e-9, abs=1e-15)
    assert stats.mean_wait == pytest.approx(truth["mean_wait"], rel=1e-9, abs=1e-15)
    assert stats.response_var == pytest.approx(truth["response_var"], rel=1e-9)
    assert stats.rho == pytest.approx(truth["busy"], rel=1e-9)
    assert stats.throughput == pytest.approx(lam * (1 - truth["block"]), rel=1e-9)


def test_mmck_at_rho_095_drops_about_3_percent() -> None:
    """An M/M/1 with 20 waiting places at rho 0.95 drops ~2.8%, not the 0 a fluid model says."""
    stats = mmck(95.0, 100.0, 1, 20)
    rho, big_k = 0.95, 21
    assert stats.block_prob == pytest.approx((1 - rho) * rho**big_k / (1 - rho ** (big_k + 1)))
    assert 0.025 < stats.block_prob < 0.035


def test_mmck_with_a_huge_queue_approaches_mmc() -> None:
    """With a million waiting places and rho < 1, M/M/c/K is M/M/c (no cancellation near rho 1)."""
    for lam in (0.5, 3.6, 3.999):
        bounded = mmck(lam, 1.0, 4, 1_000_000)
        unbounded = mmc(lam, 1.0, 4)
        assert bounded.mean_response == pytest.approx(unbounded.mean_response, rel=1e-9)
        assert bounded.response_var == pytest.approx(unbounded.response_var, rel=1e-8)
        assert bounded.wait_prob == pytest.approx(unbounded.wait_prob, rel=1e-9)


def test_mmck_at_exactly_full_load_with_a_long_queue() -> None:
    """rho = 1, M/M/1 with k places: uniform states, block 1/(k+2), mean waiters k(k+1)/(2(k+2))."""
    k = 100_000
    stats = mmck(1.0, 1.0, 1, k)
    assert stats.block_prob == pytest.approx(1 / (k + 2), rel=1e-9)
    waiting = sum(range(k + 1)) / (k + 2)
    assert stats.mean_wait * stats.throughput == pytest.approx(waiting, rel=1e-9)


def test_mmck_in_deep_overload_serves_at_capacity() -> None:
    """Far past capacity the servers stay busy and the rest is dropped: throughput -> c*mu."""
    stats = mmck(1000.0, 1.0, 8, 100)
    assert stats.throughput == pytest.approx(8.0, rel=1e-9)
    assert stats.block_prob == pytest.approx(1 - 8.0 / 1000.0, rel=1e-9)
    assert stats.mean_wait == pytest.approx(100 / 8.0, rel=1e-3)


def test_idle_mmck_is_pure_service() -> None:
    """No arrivals: nothing blocked, no wait."""
    stats = mmck(0.0, 2.0, 3, 5)
    assert (stats.block_prob, stats.mean_wait, stats.mean_response) == (0.0, 0.0, 0.5)


# --- response-time distribution ---------------------------------------------


@pytest.mark.parametrize(("lam", "mu", "c"), [(0.5, 1.0, 1), (3.0, 1.0, 4), (7.6, 1.0, 8)])
def test_response_sf_integrates_to_the_mean_and_variance(lam: float, mu: float, c: int) -> None:
    """int P(T>t) dt = E[T] and int 2t P(T>t) dt = E[T^2] (numerical integration)."""
    stats = mmc(lam, mu, c)
    upper = 80.0 * stats.mean_response
    mean = integrate(lambda t: response_sf(t, lam, mu, c), upper)
    second = integrate(lambda t: 2 * t * response_sf(t, lam, mu, c), upper)
    assert mean == pytest.approx(stats.mean_response, rel=1e-9)
    assert second - mean**2 == pytest.approx(stats.response_var, rel=1e-8)


def test_response_sf_is_continuous_where_mu_equals_the_drain_rate() -> None:
    """At d = c*mu - lam = mu the waiting branch is Erlang(2, mu): e^{-mu t}(1 + mu t)."""
    lam, mu, c = 1.0, 1.0, 2  # d = 1 = mu
    wait_prob = erlang_c(2, 1.0)
    for t in (0.1, 1.0, 5.0):
        expected = (1 - wait_prob) * math.exp(-t) + wait_prob * math.exp(-t) * (1 + t)
        assert response_sf(t, lam, mu, c) == pytest.approx(expected, rel=1e-14)
        nearby = response_sf(t, lam * (1 + 1e-9), mu, c)
        assert nearby == pytest.approx(expected, rel=1e-7)


def test_response_sf_edges() -> None:
    """P(T > t) is 1 at t <= 0 and decreases to 0."""
    assert response_sf(0.0, 0.5, 1.0, 1) == 1.0
    assert response_sf(-1.0, 0.5, 1.0, 1) == 1.0
    values = [response_sf(t, 3.0, 1.0, 4) for t in (0.5, 1, 2, 4, 8, 16, 64)]
    assert values == sorted(values, reverse=True)
    assert values[-1] < 1e-12


@pytest.mark.parametrize("p", [0.5, 0.9, 0.95, 0.99, 0.999])
def test_mm1_percentiles_are_exponential(p: float) -> None:
    """M/M/1 response time is Exp(mu - lam): t_p = -ln(1-p)/(mu - lam)."""
    assert response_percentile(p, 90.0, 100.0, 1) == pytest.approx(-math.log(1 - p) / 10.0)


@pytest.mark.parametrize(("lam", "mu", "c"), [(3.0, 1.0, 4), (7.6, 1.0, 8), (1.0, 1.0, 2)])
@pytest.mark.parametrize("p", [0.01, 0.5, 0.95, 0.99])
def test_response_percentile_inverts_the_tail(p: float, lam: float, mu: float, c: int) -> None:
    """P(T > t_p) = 1 - p to 1e-12, and the quantile grows with p."""
    t = response_percentile(p, lam, mu, c)
    assert response_sf(t, lam, mu, c) == pytest.approx(1 - p, rel=1e-10)
    assert response_percentile(min(p + 0.005, 0.999), lam, mu, c) > t


def test_response_percentile_with_many_servers_and_idle() -> None:
    """c = 500 near capacity, and lam = 0 (pure Exp(mu) service)."""
    t = response_percentile(0.99, 495.0, 1.0, 500)
    assert response_sf(t, 495.0, 1.0, 500) == pytest.approx(0.01, rel=1e-10)
    assert response_percentile(0.99, 0.0, 2.0, 3) == pytest.approx(math.log(100) / 2.0)


# --- gamma quantile ---------------------------------------------------------


@pytest.mark.parametrize("p", [0.01, 0.5, 0.95, 0.99])
def test_gamma_percentile_of_an_exponential(p: float) -> None:
    """Shape 1 (var = mean^2) is Exp: quantile -mean ln(1-p)."""
    assert gamma_percentile(p, 0.02, 0.0004) == pytest.approx(-0.02 * math.log(1 - p), rel=1e-12)


@pytest.mark.parametrize("p", [0.05, 0.5, 0.95, 0.99])
def test_gamma_percentile_of_chi_square_one(p: float) -> None:
    """Shape 1/2, scale 2 is Z^2: quantile = (Phi^-1((1+p)/2))^2."""
    expected = NormalDist().inv_cdf((1 + p) / 2) ** 2
    assert gamma_percentile(p, 1.0, 2.0) == pytest.approx(expected, rel=1e-11)


@pytest.mark.parametrize("p", [0.5, 0.95, 0.99])
def test_gamma_percentile_of_erlang_two(p: float) -> None:
    """Shape 2, rate 1: P(X > x) = e^{-x}(1 + x) at the returned quantile."""
    x = gamma_percentile(p, 2.0, 2.0)
    assert math.exp(-x) * (1 + x) == pytest.approx(1 - p, rel=1e-11)


def test_gamma_percentile_extreme_shapes() -> None:
    """A point mass returns the mean; huge shapes approach the normal; tiny shapes stay positive."""
    assert gamma_percentile(0.99, 0.05, 0.0) == 0.05
    assert gamma_percentile(0.5, 0.0, 0.0) == 0.0
    normal = NormalDist(1.0, math.sqrt(1e-8)).inv_cdf(0.99)
    assert gamma_percentile(0.99, 1.0, 1e-8) == pytest.approx(normal, rel=1e-6)
    tiny = gamma_percentile(0.5, 1.0, 100.0)
    assert 0.0 < tiny < 1e-20
    for shape in (50.0, 5e4, 2e5):
        x = gamma_percentile(0.99, shape, shape)
        assert x > shape
        # The quantile is right to 1e-8 relative, also on the Wilson-Hilferty branch.
        density = math.exp(-x + (shape - 1) * math.log(x) - math.lgamma(shape))
        assert abs(_lower_gamma_regularized(shape, x) - 0.99) / density < 1e-8 * x


# --- bad input --------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: mmc(2.0, 1.0, 1), "lam"),
        (lambda: mmc(-1.0, 1.0, 1), "lam"),
        (lambda: mmc(0.5, 0.0, 1), "mu"),
        (lambda: mmc(0.5, 1.0, 0), "c"),
        (lambda: mmc(0.5, 1.0, 1.5), "c"),
        (lambda: mmc(0.5, 1.0, True), "c"),
        (lambda: mmc(0.5, 1.0, 1, ca2=-0.1), "ca2"),
        (lambda: response_percentile(0.5, 0.5, 1.0, 1, ca2=math.nan), "ca2"),
        (lambda: klb_factor(-0.5, 1.0), "rho"),
        (lambda: mmc(math.nan, 1.0, 1), "lam"),
        (lambda: mmc("1", 1.0, 1), "lam"),
        (lambda: mmck(1.0, 1.0, 1, -1), "k"),
        (lambda: mmck(math.inf, 1.0, 1, 3), "lam"),
        (lambda: erlang_b(-1, 1.0), "c"),
        (lambda: erlang_c(2, 2.0), "a"),
        (lambda: erlang_c(2, -1.0), "a"),
        (lambda: response_sf(math.nan, 0.5, 1.0, 1), "t"),
        (lambda: response_sf(1.0, 1.0, 1.0, 1), "lam"),
        (lambda: response_percentile(1.0, 0.5, 1.0, 1), "p"),
        (lambda: response_percentile(0.0, 0.5, 1.0, 1), "p"),
        (lambda: gamma_percentile(0.5, -1.0, 1.0), "mean"),
        (lambda: gamma_percentile(0.5, 1.0, -1.0), "var"),
        (lambda: gamma_percentile(99.0, 1.0, 1.0), "p"),
    ],
)
def test_bad_input_names_the_argument(call: Callable[[], object], name: str) -> None:
    """Every bad argument raises ValueError whose message starts with the argument's name."""
    with pytest.raises(ValueError, match=rf"^{name}: "):
        call()


def test_memo_caches_are_bounded() -> None:
    """Per-tick calls are memoised, but no cache grows without bound."""
    from simulation import queueing

    cached = [queueing._erlang_b, queueing.mmc_unchecked, queueing.mmck_unchecked]
    cached += [queueing._response_percentile, queueing._gamma_percentile]
    for function in cached:
        assert function.cache_info().maxsize == queueing._CACHE_SIZE
    for i in range(queueing._CACHE_SIZE + 10):
        queueing.mmc(0.5 + i * 1e-6, 1.0, 1)
    assert queueing.mmc_unchecked.cache_info().currsize == queueing._CACHE_SIZE


# --- reference topology (tests/simulation/reference.py) ---------------------


def simulate_topology(
    rps: float,
    routing: str,
    requests: int,
    seed: int,
    web_concurrency: int = 1,
    web_service_s: float = reference.WEB_SERVICE_S,
) -> list[float]:
    """Per-request FIFO simulation of client -> 4 web nodes -> 70% to the DB (8 servers).

    Each FIFO node with c servers starts a request at max(arrival, earliest free
    server); web nodes see their requests in arrival order, the database in
    order of web completion. The first 5% of requests are dropped as warm-up.
    """
    rng = random.Random(seed)
    web_rate, db_rate = 1.0 / web_service_s, 1.0 / reference.DB_SERVICE_S
    web_free = [[0.0] * web_concurrency for _ in range(reference.WEB_SERVERS)]
    arrival = [0.0] * requests
    done = [0.0] * requests
    to_db: list[tuple[float, int]] = []
    now = 0.0
    for i in range(requests):
        now += rng.expovariate(rps)
        arrival[i] = now
        free = web_free[i % 4 if routing == "round_robin" else rng.randrange(4)]
        done[i] = max(now, heapq.heappop(free)) + rng.expovariate(web_rate)
        heapq.heappush(free, done[i])
        if rng.random() < reference.DB_FRACTION:
            to_db.append((done[i], i))
    to_db.sort()
    db_free = [0.0] * reference.DB_CONNECTIONS
    for ready, i in to_db:
        start = max(ready, heapq.heappop(db_free))
        done[i] = start + rng.expovariate(db_rate)
        heapq.heappush(db_free, done[i])
    return [done[i] - arrival[i] for i in range(requests // 20, requests)]


def batch_estimates(latencies: list[float], batches: int = 20) -> dict[str, tuple[float, float]]:
    """Each statistic over the whole run, with its standard error from batch means."""

    def pick(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        size = len(ordered)
        return {
            "mean": sum(values) / size,
            "p50": ordered[int(0.50 * size)],
            "p95": ordered[int(0.95 * size)],
            "p99": ordered[int(0.99 * size)],
        }

    size = len(latencies) // batches
    per_batch = [pick(latencies[b * size : (b + 1) * size]) for b in range(batches)]
    overall = pick(latencies)
    return {
        name: (overall[name], stdev([row[name] for row in per_batch]) / math.sqrt(batches))
        for name in overall
    }


def test_reference_single_node_paths_reduce_to_mmc() -> None:
    """One web node, no database: the reference is the M/M/c response-time law itself."""
    law = reference.random_routing(
        270.0, web_servers=1, web_concurrency=3, db_fraction=0.0, lb_service_s=None
    )
    for p in (0.5, 0.95, 0.99):
        assert law.quantile(p) == pytest.approx(response_percentile(p, 270.0, 100.0, 3), rel=1e-11)
    assert law.mean == pytest.approx(mmc(270.0, 100.0, 3).mean_response, rel=1e-14)


def test_reference_tandem_of_two_mm1_is_hypoexponential() -> None:
    """Web then DB, both M/M/1, every request: T = Exp(a) + Exp(b), hypoexponential."""
    law = reference.random_routing(
        60.0,
        web_servers=1,
        db_fraction=1.0,
        db_connections=1,
        db_service_s=0.004,
        lb_service_s=None,
    )
    a, b = 100.0 - 60.0, 250.0 - 60.0
    for t in (0.001, 0.02, 0.1, 0.3):
        expected = (b * math.exp(-a * t) - a * math.exp(-b * t)) / (b - a)
        assert law.sf(t) == pytest.approx(expected, rel=1e-11, abs=1e-15)


def test_reference_mixture_matches_numerical_convolution() -> None:
    """Random routing at 360 req/s: P(T>t) = 0.3 P(W>t) + 0.7 P(W+D>t), the sum by convolution."""
    law = reference.random_routing(360.0, lb_service_s=None)
    web = (90.0, 100.0, 1)
    db = (252.0, 40.0, 8)
    web_pdf_rate = 100.0 - 90.0  # the M/M/1 response time is Exp(mu - lam)
    for t in (0.02, 0.1, 0.3, 0.5):

        def tail_after(s: float, t: float = t) -> float:
            density = web_pdf_rate * math.exp(-web_pdf_rate * s)
            return density * response_sf(t - s, *db)

        both = response_sf(t, *web) + integrate(tail_after, t, steps=4000)
        expected = 0.3 * response_sf(t, *web) + 0.7 * both
        assert law.sf(t) == pytest.approx(expected, rel=1e-9)


def test_reference_load_balancer_stage_adds_its_own_sojourn() -> None:
    """By default the balancer is an M/M/100 with 1 ms service in front of every path."""
    with_lb = reference.random_routing(360.0)
    without = reference.random_routing(360.0, lb_service_s=None)
    lb = mmc(360.0, 1000.0, 100)
    assert with_lb.mean - without.mean == pytest.approx(lb.mean_response, rel=1e-12)
    assert with_lb.quantile(0.99) > without.quantile(0.99)


def test_reference_mean_is_the_integral_of_the_tail() -> None:
    """int P(T>t) dt equals the stage-sum mean, for both routings."""
    laws = [
        build(360.0, lb_service_s=None)
        for build in (reference.random_routing, reference.round_robin)
    ]
    for law in laws:
        upper = 30.0 * law.mean
        assert integrate(law.sf, upper, steps=3000) == pytest.approx(law.mean, rel=1e-8)


def test_ek_m1_sigma() -> None:
    """k = 1 gives rho; sigma solves sigma = (lam/(lam + mu(1 - sigma)))^k; k -> inf nears D/M/1."""
    assert reference.ek_m1_sigma(1, 0.9, 1.0) == pytest.approx(0.9, rel=1e-12)
    sigma = reference.ek_m1_sigma(4, 3.6, 1.0)
    assert sigma == pytest.approx((3.6 / (3.6 + 1.0 - sigma)) ** 4, rel=1e-13)
    assert 0.0 < sigma < 0.9
    deterministic = reference.ek_m1_sigma(100_000, 90_000.0, 1.0)
    assert deterministic == pytest.approx(math.exp(-(1 - deterministic) / 0.9), rel=1e-4)


def test_ek_mc_arrival_view_is_geometric_from_c_minus_one() -> None:
    """E_k/M/c arrivals see q[n+1]/q[n] = sigma for n >= c - 1; c = 1 gives (1 - sigma) sigma^n."""
    sigma = reference.ek_m1_sigma(4, 360.0, 100.0)
    single = reference.ek_mc_arrival_view(4, 360.0, 100.0, 1)
    for n in (0, 1, 5, 40):
        assert single[n] == pytest.approx((1 - sigma) * sigma**n, rel=1e-10)
    seen = reference.ek_mc_arrival_view(4, 8 * 360.0, 100.0, 8)
    for n in (7, 8, 20, 60):
        assert seen[n + 1] / seen[n] == pytest.approx(sigma, rel=1e-10)
    assert sum(seen) == pytest.approx(1.0, rel=1e-14)


def test_ek_mc_with_poisson_arrivals_is_erlang_c() -> None:
    """k = 1 is M/M/c: the wait probability is Erlang C and the drain rate c mu - lam."""
    wait_prob, drain = reference.ek_mc_wait(1, 300.0, 40.0, 8)
    assert wait_prob == pytest.approx(erlang_c(8, 7.5), rel=1e-10)
    assert drain == pytest.approx(8 * 40.0 - 300.0, rel=1e-10)


def test_round_robin_cuts_web_latency_by_about_a_third() -> None:
    """At web rho 0.9, E_4/M/1 sojourn 1/(mu(1-sigma)) is ~36% below M/M/1's 1/(mu - lam)."""
    web_only_rr = reference.round_robin(360.0, db_fraction=0.0, lb_service_s=None)
    web_only_random = reference.random_routing(360.0, db_fraction=0.0, lb_service_s=None)
    sigma = reference.ek_m1_sigma(4, 360.0, 100.0)
    assert web_only_rr.mean == pytest.approx(1 / (100.0 * (1 - sigma)), rel=1e-14)
    assert web_only_random.mean == pytest.approx(0.1, rel=1e-12)
    assert 0.6 < web_only_rr.mean / web_only_random.mean < 0.7
    full_rr, full_random = reference.round_robin(360.0), reference.random_routing(360.0)
    assert full_rr.quantile(0.99) < 0.7 * full_random.quantile(0.99)


def test_reference_rejects_saturated_nodes() -> None:
    """A node at or past capacity has no steady state; the error names it."""
    with pytest.raises(ValueError, match=r"^web: "):
        reference.random_routing(400.0)
    with pytest.raises(ValueError, match=r"^database: "):
        reference.random_routing(390.0, db_fraction=1.0)
    with pytest.raises(ValueError, match=r"^web: "):
        reference.round_robin(400.0)
    with pytest.raises(ValueError, match=r"^rps: "):
        reference.random_routing(-1.0)


@pytest.mark.parametrize(
    ("routing", "concurrency", "allowance"),
    [("random", 1, 0.0), ("round_robin", 1, 0.015), ("round_robin", 2, 0.015)],
)
def test_reference_agrees_with_a_per_request_simulation(
    routing: str, concurrency: int, allowance: float
) -> None:
    """400k simulated requests at 280 req/s (web rho 0.7) land within 4 standard errors.

    Round robin gets 1.5% more: its reference treats the database's arrivals as
    Poisson while they are slightly more regular, which puts the reference
    about 0.5-1% above the truth.
    """
    build = reference.random_routing if routing == "random" else reference.round_robin
    service = 0.010 * concurrency  # keeps each web node at rho 0.7
    expected = build(
        280.0, web_concurrency=concurrency, web_service_s=service, lb_service_s=None
    ).summary()
    simulated = simulate_topology(280.0, routing, 400_000, 11, concurrency, service)
    measured = batch_estimates(simulated)
    for name, (value, standard_error) in measured.items():
        exact = getattr(expected, name)
        assert abs(value - exact) <= 4 * standard_error + allowance * exact, name
        assert standard_error < 0.01 * exact, name


def test_gamma_percentile_far_tails() -> None:
    """Tiny shapes put low quantiles near 0: P(a, x) ~ x^a / Gamma(a+1) there; far upper
    tails of the exponential follow -mean ln(1 - p)."""
    for shape, p in [(0.05, 0.01), (0.02, 0.3), (0.5, 1e-9)]:
        x = gamma_percentile(p, 1.0, 1.0 / shape)  # scale 1/shape
        power_law = (p * math.gamma(shape + 1.0)) ** (1.0 / shape) / shape
        assert x == pytest.approx(power_law, rel=1e-6)
    for p in (1 - 1e-6, 1 - 1e-12):
        assert gamma_percentile(p, 0.02, 0.0004) == pytest.approx(-0.02 * math.log1p(-p), rel=1e-9)
