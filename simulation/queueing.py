"""Closed-form queueing results the tick engine builds its latencies on.

Times are in seconds and rates per second throughout. Every public function
checks its arguments and raises ``ValueError`` naming the bad argument. The
results are memoised in bounded LRU caches keyed on the exact arguments, since
the engine asks the same questions tick after tick while traffic is steady.

References: Erlang B/C and M/M/c (Kleinrock, *Queueing Systems* vol. 1, ch. 3);
M/M/c/K (Gross & Harris, *Fundamentals of Queueing Theory*, 2.5); Allen-Cunneen
(Allen, *Probability, Statistics and Queueing Theory*, 1978) and its
Kraemer/Langenbach-Belz refinement (Whitt, "The Queueing Network Analyzer", 1983);
the incomplete gamma function (Numerical Recipes, 6.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

__all__ = [
    "QueueStats",
    "erlang_b",
    "erlang_c",
    "gamma_percentile",
    "klb_factor",
    "mmc",
    "mmck",
    "response_percentile",
    "response_sf",
    "wait_mixture_percentile",
]

_CACHE_SIZE = 4096
_STANDARD_NORMAL = NormalDist()
# Above this gamma shape the Wilson-Hilferty cube is exact to ~2e-9 relative,
# while the incomplete-gamma series would need thousands of terms.
_WILSON_HILFERTY_SHAPE = 1e5


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Steady-state numbers of one queueing node.

    ``rho`` is the busy fraction of the servers (throughput / (c * mu));
    ``wait_prob`` the probability that an accepted request waits;
    ``mean_wait``, ``mean_response`` (wait plus service) and ``response_var``
    are in seconds (seconds squared for the variance) and describe accepted
    requests; ``block_prob`` is the fraction of arrivals turned away;
    ``throughput`` the accepted rate in requests per second.
    """

    rho: float
    wait_prob: float
    mean_wait: float
    mean_response: float
    response_var: float
    block_prob: float
    throughput: float


# --- argument checks --------------------------------------------------------


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name}: must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name}: must be finite, got {value!r}")
    return number


def _non_negative(name: str, value: object) -> float:
    number = _number(name, value)
    if number < 0:
        raise ValueError(f"{name}: must be >= 0, got {value!r}")
    return number


def _positive(name: str, value: object) -> float:
    number = _number(name, value)
    if number <= 0:
        raise ValueError(f"{name}: must be > 0, got {value!r}")
    return number


def _count(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name}: must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name}: must be an integer >= {minimum}, got {value!r}")
    return value


def _probability(name: str, value: object) -> float:
    number = _number(name, value)
    if not 0.0 < number < 1.0:
        raise ValueError(f"{name}: must be a probability strictly between 0 and 1, got {value!r}")
    return number


def _unsaturated(lam: object, mu: object, c: object) -> tuple[float, float, int]:
    lam_f = _non_negative("lam", lam)
    mu_f = _positive("mu", mu)
    c_i = _count("c", c, 1)
    if lam_f >= c_i * mu_f:
        raise ValueError(
            f"lam: {lam_f:g}/s is at or above the capacity c*mu = {c_i * mu_f:g}/s; "
            "an M/M/c queue has no steady state there (use mmck for a bounded queue)"
        )
    return lam_f, mu_f, c_i


# --- Erlang B and C ---------------------------------------------------------


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of the Erlang loss system M/M/c/c with offered load ``a`` (erlangs).

    Uses the stable recursion ``B_k = a*B_{k-1} / (k + a*B_{k-1})``, ``B_0 = 1``;
    ``c = 0`` gives 1 and ``a = 0`` gives 0 (for c >= 1).
    """
    return _erlang_b(_count("c", c, 0), _non_negative("a", a))


@lru_cache(maxsize=_CACHE_SIZE)
def _erlang_b(c: int, a: float) -> float:
    b = 1.0
    for k in range(1, c + 1):
        ab = a * b
        b = ab / (k + ab)
        if b == 0.0:
            break
    return b


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load ``a = lam/mu`` (needs a < c).

    ``C = B / (1 - rho*(1 - B))`` with ``rho = a/c`` and B from :func:`erlang_b`.
    """
    c_i = _count("c", c, 1)
    a_f = _non_negative("a", a)
    if a_f >= c_i:
        raise ValueError(f"a: offered load {a_f:g} must be below c = {c_i} for Erlang C")
    return _erlang_c(c_i, a_f)


def _erlang_c(c: int, a: float) -> float:
    b = _erlang_b(c, a)
    return b / (1.0 - (a / c) * (1.0 - b))


# --- M/M/c ------------------------------------------------------------------


def mmc(lam: float, mu: float, c: int, ca2: float = 1.0, *, klb: bool = False) -> QueueStats:
    """Steady state of an unsaturated M/M/c queue (``lam < c*mu``).

    With ``ca2`` (squared coefficient of variation of inter-arrival times) other
    than 1, the mean wait is scaled by the Allen-Cunneen factor ``(ca2 + 1)/2``
    (service stays exponential, cs2 = 1); ``klb=True`` also applies the
    Kraemer/Langenbach-Belz refinement (:func:`klb_factor`), which matters at
    low utilisation. The corrected wait keeps the M/M/c shape: it is the wait
    law of plain M/M/c at the arrival rate with that mean wait, which sets
    ``wait_prob`` and ``response_var``. For GI/M/1 the exact wait law has
    this shape, with sigma as the equivalent utilisation, so there only the
    mean is approximate.
    ``rho`` and ``throughput`` stay those of the real arrivals. ``lam = 0``
    gives a pure service time.
    """
    lam_f, mu_f, c_i = _unsaturated(lam, mu, c)
    return mmc_unchecked(lam_f, mu_f, c_i, _non_negative("ca2", ca2), bool(klb))


def klb_factor(rho: float, ca2: float) -> float:
    """Kraemer/Langenbach-Belz correction to the Allen-Cunneen wait, exponential service.

    ``exp(-2(1-rho)(1-ca2)^2 / (3 rho (ca2+1)))`` for ca2 <= 1 and
    ``exp(-(1-rho)(ca2-1) / (ca2+4))`` above (Whitt, QNA, 1983, eqs. 45-46);
    1 at ca2 = 1 or rho >= 1. Exact-ish for GI/M/1: with Erlang-4 arrivals it
    brings the response time within ~2% of E_4/M/1 for rho 0.3..0.95, where
    Allen-Cunneen alone is up to 13% high. With c > 1 it is applied by
    utilisation, as QNA does.
    """
    rho_f = _non_negative("rho", rho)
    ca2_f = _non_negative("ca2", ca2)
    return _klb_factor(rho_f, ca2_f)


def _klb_factor(rho: float, ca2: float) -> float:
    if rho >= 1.0 or ca2 == 1.0:
        return 1.0
    if rho == 0.0:
        return 0.0 if ca2 < 1.0 else math.exp(-(ca2 - 1.0) / (ca2 + 4.0))
    if ca2 < 1.0:
        return math.exp(-2.0 * (1.0 - rho) * (1.0 - ca2) ** 2 / (3.0 * rho * (ca2 + 1.0)))
    return math.exp(-(1.0 - rho) * (ca2 - 1.0) / (ca2 + 4.0))


def exponential_wait(lam: float, mu: float, c: int, wait_prob: float, drain: float) -> QueueStats:
    """A queue whose wait is 0 with probability ``1 - wait_prob``, else exponential at rate
    ``drain`` (1/s), with exponential service ``mu`` on ``c`` servers and nothing turned
    away: the shape of GI/M/c's wait and of the join-the-shortest-queue approximation."""
    mean_wait = wait_prob / drain
    wait_var = wait_prob * (2.0 - wait_prob) / (drain * drain)
    return QueueStats(
        rho=lam / (c * mu),
        wait_prob=wait_prob,
        mean_wait=mean_wait,
        mean_response=mean_wait + 1.0 / mu,
        response_var=1.0 / (mu * mu) + wait_var,
        block_prob=0.0,
        throughput=lam,
    )


@lru_cache(maxsize=_CACHE_SIZE)
def mmc_unchecked(lam: float, mu: float, c: int, ca2: float, klb: bool = False) -> QueueStats:
    """``mmc`` without its argument checks, memoised: for the engine's hot path, which asks
    only with valid arguments (``lam`` below capacity, ``c`` >= 1)."""
    service_var = 1.0 / (mu * mu)
    if lam == 0.0:
        return QueueStats(0.0, 0.0, 0.0, 1.0 / mu, service_var, 0.0, 0.0)
    rho = lam / (c * mu)
    wait_prob = _erlang_c(c, lam / mu)
    mean_wait = wait_prob / (c * mu - lam)
    factor = 0.5 * (ca2 + 1.0)
    if klb:
        factor *= _klb_factor(rho, ca2)
    if factor != 1.0 and wait_prob > 0.0:
        mean_wait *= factor
        # The corrected wait keeps the M/M/c shape, at the load with that mean wait.
        wait_prob = _erlang_c(c, _shape_lam(lam, mu, c, ca2, klb) / mu)
    # W = 0 w.p. C, else Exp(d) with C/d = E[W]: Var[W] = E[W]^2 (2 - C) / C.
    wait_var = mean_wait * mean_wait * (2.0 - wait_prob) / wait_prob if wait_prob > 0.0 else 0.0
    return QueueStats(
        rho=rho,
        wait_prob=wait_prob,
        mean_wait=mean_wait,
        mean_response=mean_wait + 1.0 / mu,
        response_var=service_var + wait_var,
        block_prob=0.0,
        throughput=lam,
    )


@lru_cache(maxsize=_CACHE_SIZE)
def _equivalent_lam(lam: float, mu: float, c: int, factor: float) -> float:
    """The arrival rate at which plain M/M/c waits ``factor`` times as long as at ``lam``.

    Solves ``g(x) = C(c, c x) / (1 - x) = factor * g(rho)`` for the utilisation
    x (g is increasing), by safeguarded Newton steps on ``log g``; c = 1 has the
    closed form ``x = t / (1 + t)``.
    """
    rho = lam / (c * mu)
    target = factor * _erlang_c(c, lam / mu) / (1.0 - rho)
    if target <= 0.0:
        return lam
    if c == 1:
        return c * mu * target / (1.0 + target)
    log_target = math.log(target)
    blocking = _erlang_b.__wrapped__  # uncached: trial loads would only churn the cache

    def newton_terms(x: float) -> tuple[float, float]:
        """log g(x) - log target and its derivative in x."""
        b = blocking(c, c * x)
        if b == 0.0:
            return -math.inf, 0.0
        slope_b = c * (1.0 / x - 1.0 + b)  # d log B / dx, from dB/da = B (c/a - 1 + B)
        rest = 1.0 - x + x * b
        value = math.log(b / rest / (1.0 - x)) - log_target
        slope = slope_b - (b - 1.0 + x * b * slope_b) / rest + 1.0 / (1.0 - x)
        return value, slope

    lo, hi = 0.0, 1.0
    x = rho
    for _ in range(100):
        value, slope = newton_terms(x)
        if value > 0.0:
            hi = x
        else:
            lo = x
        candidate = x - value / slope if slope > 0.0 and math.isfinite(value) else -1.0
        if abs(candidate - x) <= 1e-14 * x:
            x = candidate
            break
        x = candidate if lo < candidate < hi else 0.5 * (lo + hi)
    return c * mu * x


# --- M/M/c/K ----------------------------------------------------------------


def _geometric_moments(x: float, n: int) -> tuple[float, float, float]:
    """``(sum x^i, sum i*x^i, sum i^2*x^i)`` over i = 0..n-1, for 0 <= x <= 1.

    Built by binary splitting, ``S(A+L) = S(A) + x^A * sum_r binom(q,r) A^(q-r) S_r(L)``,
    so every term is positive: no cancellation near x = 1, O(log n) steps.
    """
    acc = (0.0, 0.0, 0.0)
    acc_len = 0
    acc_pow = 1.0  # x ** acc_len
    block = (1.0, 0.0, 0.0)  # the single term i = 0
    block_len = 1
    block_pow = x  # x ** block_len
    remaining = n
    while remaining:
        if remaining & 1:
            acc = _shifted_sum(acc, acc_len, acc_pow, block)
            acc_len += block_len
            acc_pow *= block_pow
        remaining >>= 1
        if remaining:
            block = _shifted_sum(block, block_len, block_pow, block)
            block_len *= 2
            block_pow *= block_pow
    return acc


def _shifted_sum(
    head: tuple[float, float, float],
    shift: int,
    shift_pow: float,
    tail: tuple[float, float, float],
) -> tuple[float, float, float]:
    t0, t1, t2 = tail
    return (
        head[0] + shift_pow * t0,
        head[1] + shift_pow * (t1 + shift * t0),
        head[2] + shift_pow * (t2 + 2.0 * shift * t1 + float(shift) * shift * t0),
    )


def mmck(lam: float, mu: float, c: int, k: int) -> QueueStats:
    """Steady state of M/M/c/K with ``k`` waiting places beyond the ``c`` servers (K = c + k).

    Valid for any ``lam >= 0``, overload included. ``block_prob`` is the fraction
    of arrivals that find the system full; the wait, response and its variance
    are those of accepted requests (an arrival finding j >= 0 others waiting
    waits Erlang(j + 1, c*mu)); ``rho`` is the carried utilisation.
    ``k = 0`` is the Erlang loss system.
    """
    lam_f = _non_negative("lam", lam)
    mu_f = _positive("mu", mu)
    return mmck_unchecked(lam_f, mu_f, _count("c", c, 1), _count("k", k, 0))


@lru_cache(maxsize=_CACHE_SIZE)
def mmck_unchecked(lam: float, mu: float, c: int, k: int) -> QueueStats:
    """``mmck`` without its argument checks, memoised (see ``mmc_unchecked``)."""
    service_var = 1.0 / (mu * mu)
    if lam == 0.0:
        return QueueStats(0.0, 0.0, 0.0, 1.0 / mu, service_var, 0.0, 0.0)
    a = lam / mu
    rho = a / c
    b = _erlang_b(c, a)
    # Write p_{c+j} for j = 0..k (j requests waiting). Below c the states sum to
    # p_c * (1/B - 1); above, p_{c+j} = p_c * rho^j. The sums below are taken in
    # the direction where rho^j decays, so nothing overflows in overload.
    if rho <= 1.0:
        m0, m1, m2 = _geometric_moments(rho, k)
        top = rho**k
        p_c = b / (1.0 - b + b * (m0 + top))  # = 1 / (1/B - 1 + sum_{j<=k} rho^j)
        block = p_c * top
        waiting = p_c * m0  # sum_{j<k} p_{c+j}
        first = p_c * (m1 + m0)  # sum_{j<k} (j+1) p_{c+j}
        second = p_c * (m2 + 3.0 * m1 + 2.0 * m0)  # sum_{j<k} (j+1)(j+2) p_{c+j}
    else:
        r = 1.0 / rho
        m0, m1, m2 = _geometric_moments(r, k)
        bottom = r**k
        # p_{c+k-i} = p_top * r^i; the states below c add r^k * (1/B - 1).
        block = 1.0 / (bottom * (1.0 - b) / b + m0 + bottom)
        # j = k - 1 - i for i = 0..k-1, so p_{c+j} = block * r * r^i.
        waiting = block * r * m0
        first = block * r * (k * m0 - m1)
        second = block * r * (k * (k + 1) * m0 - (2 * k + 1) * m1 + m2)
    accepted = 1.0 - block
    drain = c * mu
    mean_wait = first / (accepted * drain)
    second_moment = second / (accepted * drain * drain)
    wait_var = max(second_moment - mean_wait * mean_wait, 0.0)
    throughput = lam * accepted
    return QueueStats(
        rho=throughput / (c * mu),
        wait_prob=waiting / accepted,
        mean_wait=mean_wait,
        mean_response=mean_wait + 1.0 / mu,
        response_var=service_var + wait_var,
        block_prob=block,
        throughput=throughput,
    )


# --- M/M/c response-time distribution ---------------------------------------


def _expm1_ratio(x: float) -> float:
    """``(1 - e^-x) / x`` for x >= 0, equal to 1 at x = 0."""
    if x < 1e-8:
        return 1.0 - 0.5 * x
    return -math.expm1(-x) / x


def _two_phase_sf(t: float, mu: float, d: float) -> float:
    """P(S + W > t) for independent S ~ Exp(mu), W ~ Exp(d); exact also when mu == d."""
    lo, hi = (mu, d) if mu <= d else (d, mu)
    # (mu e^{-dt} - d e^{-mu t}) / (mu - d) rewritten to stay finite at mu == d.
    return math.exp(-lo * t) * (1.0 + lo * t * _expm1_ratio((hi - lo) * t))


def _two_phase_pdf(t: float, mu: float, d: float) -> float:
    lo, hi = (mu, d) if mu <= d else (d, mu)
    return mu * d * t * math.exp(-lo * t) * _expm1_ratio((hi - lo) * t)


def response_sf(
    t: float, lam: float, mu: float, c: int, *, ca2: float = 1.0, klb: bool = False
) -> float:
    """P(T > t) for the response time T of an unsaturated M/M/c queue.

    ``P(T>t) = (1-C) e^{-mu t} + C (mu e^{-d t} - d e^{-mu t}) / (mu - d)``,
    ``d = c*mu - lam``, with the limit ``e^{-mu t}(1 + mu t)`` when mu == d.
    With ``ca2``/``klb`` the law is that of :func:`mmc` with the same
    arguments: plain M/M/c at the load whose mean wait equals the corrected one.
    Negative ``t`` gives 1.
    """
    t_f = _number("t", t)
    lam_f, mu_f, c_i = _unsaturated(lam, mu, c)
    lam_f = _shape_lam(lam_f, mu_f, c_i, _non_negative("ca2", ca2), bool(klb))
    if t_f <= 0.0:
        return 1.0
    return _response_sf(t_f, lam_f, mu_f, c_i)


def _shape_lam(lam: float, mu: float, c: int, ca2: float, klb: bool) -> float:
    """The Poisson arrival rate whose M/M/c wait law stands for this node's (see mmc)."""
    if lam == 0.0 or (ca2 == 1.0 and not klb):
        return lam
    factor = 0.5 * (ca2 + 1.0)
    if klb:
        factor *= _klb_factor(lam / (c * mu), ca2)
    if factor == 1.0 or _erlang_c(c, lam / mu) == 0.0:
        return lam
    return _equivalent_lam(lam, mu, c, factor)


def _response_sf(t: float, lam: float, mu: float, c: int) -> float:
    wait_prob = _erlang_c(c, lam / mu) if lam > 0.0 else 0.0
    return _mixture_sf(t, mu, c * mu - lam, wait_prob)


def _mixture_sf(t: float, mu: float, drain: float, wait_prob: float) -> float:
    return (1.0 - wait_prob) * math.exp(-mu * t) + wait_prob * _two_phase_sf(t, mu, drain)


def _mixture_pdf(t: float, mu: float, drain: float, wait_prob: float) -> float:
    return (1.0 - wait_prob) * mu * math.exp(-mu * t) + wait_prob * _two_phase_pdf(t, mu, drain)


def response_percentile(
    p: float, lam: float, mu: float, c: int, *, ca2: float = 1.0, klb: bool = False
) -> float:
    """The ``p`` quantile (0 < p < 1, e.g. 0.99) of the M/M/c response time, in seconds.

    Inverts :func:`response_sf` (same ``ca2``/``klb`` meaning) by Newton steps
    on ``log P(T>t)`` (nearly linear in the exponential tail), kept inside a
    bracket; relative accuracy ~1e-12.
    """
    p_f = _probability("p", p)
    lam_f, mu_f, c_i = _unsaturated(lam, mu, c)
    lam_f = _shape_lam(lam_f, mu_f, c_i, _non_negative("ca2", ca2), bool(klb))
    return _response_percentile(p_f, lam_f, mu_f, c_i)


@lru_cache(maxsize=_CACHE_SIZE)
def _response_percentile(p: float, lam: float, mu: float, c: int) -> float:
    wait_prob = _erlang_c(c, lam / mu) if lam > 0.0 else 0.0
    return wait_mixture_percentile(p, mu, c * mu - lam, wait_prob)


@lru_cache(maxsize=_CACHE_SIZE)
def wait_mixture_percentile(p: float, mu: float, drain: float, wait_prob: float) -> float:
    """The ``p`` quantile (s) of S + W, S ~ Exp(mu), W = 0 w.p. 1 - ``wait_prob`` and else
    Exp(``drain``): the response time of M/M/c and of GI/M/c (renewal.py). Unchecked."""
    log_tail = math.log1p(-p)
    # The slower of the two exponential rates sets the tail; start from its quantile.
    slow = min(mu, drain) if wait_prob > 0.0 else mu
    t = max(-log_tail / slow, 1e-3 / mu)
    lo, hi = 0.0, math.inf
    for _ in range(200):
        sf = _mixture_sf(t, mu, drain, wait_prob)
        excess = math.log(sf) - log_tail if sf > 0.0 else -math.inf
        if excess == 0.0:
            return t
        if excess > 0.0:
            lo = t
        else:
            hi = t
        candidate = -1.0
        if sf > 0.0:
            slope = -_mixture_pdf(t, mu, drain, wait_prob) / sf
            if slope < 0.0:
                candidate = t - excess / slope
        if abs(candidate - t) <= 1e-13 * t:
            return candidate
        if not lo < candidate < hi:
            candidate = 2.0 * t if hi == math.inf else 0.5 * (lo + hi)
        t = candidate
    return t


# --- gamma quantile ---------------------------------------------------------


def _lower_gamma_regularized(a: float, x: float) -> float:
    """P(a, x), the regularized lower incomplete gamma function."""
    if x <= 0.0:
        return 0.0
    return gamma_pq(a, math.log(x))[0]


def gamma_pq(a: float, log_x: float) -> tuple[float, float, float]:
    """``(P(a, x), Q(a, x), x^a e^-x / Gamma(a))`` at ``x = e^log_x``.

    P by its series where it converges fast, Q by its continued fraction
    elsewhere; each is accurate relative to itself, so tails far below 1e-16
    keep their precision. Taking log x lets the quantile search reach x far
    below the smallest float without losing the answer.
    """
    x = math.exp(log_x)
    prefix = math.exp(-x + a * log_x - math.lgamma(a))
    # The series converges for every x; past a + 1 (and 8, for small a) the
    # continued fraction needs fewer terms.
    if x < a + 1.0 or x < 8.0:
        term = total = 1.0 / a
        n = a
        while True:
            n += 1.0
            term *= x / n
            total += term
            if term < total * 1e-16:
                break
        lower = min(1.0, total * prefix)
        return lower, 1.0 - lower, prefix
    # Continued fraction for Q(a, x) by the modified Lentz method.
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    i = 0
    while True:
        i += 1
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15 or i > 10_000:
            break
    upper = min(1.0, prefix * h)
    return 1.0 - upper, upper, prefix


def gamma_percentile(p: float, mean: float, var: float) -> float:
    """The ``p`` quantile (0 < p < 1) of the gamma distribution with this mean and variance.

    Shape ``mean^2/var``, scale ``var/mean``; ``var == 0`` (a point mass) gives
    ``mean``, and ``mean == 0`` gives 0. Newton steps on ``log P`` (p < 1/2) or
    ``log Q`` against log x, from the Wilson-Hilferty guess (or the small-x
    power law for shapes below 1); relative accuracy about 1e-12 in both tails
    and for any shape. Quantiles below the smallest float come back as 0.
    """
    p_f = _probability("p", p)
    mean_f = _non_negative("mean", mean)
    var_f = _non_negative("var", var)
    if var_f == 0.0 or mean_f == 0.0:
        return mean_f
    return _gamma_percentile(p_f, mean_f, var_f)


@lru_cache(maxsize=_CACHE_SIZE)
def _gamma_percentile(p: float, mean: float, var: float) -> float:
    shape = mean * mean / var
    scale = var / mean
    z = _STANDARD_NORMAL.inv_cdf(p)
    wilson = 1.0 - 1.0 / (9.0 * shape) + z / (3.0 * math.sqrt(shape))
    if shape >= _WILSON_HILFERTY_SHAPE:
        return scale * shape * wilson**3
    lower_tail = p <= 0.5
    target = math.log(p) if lower_tail else math.log1p(-p)
    if shape < 1.0:
        # Numerical Recipes' start for small shapes: P ~ x^a / Gamma(a+1) near 0.
        knee = 1.0 - shape * (0.253 + 0.12 * shape)
        if p < knee:
            u = (math.log(p / knee)) / shape
        else:
            u = math.log(1.0 - math.log1p(-(p - knee) / (1.0 - knee)))
    else:
        u = math.log(shape * max(wilson, 1e-3) ** 3)
    # g(u) = log P(e^u) - log p, or log(1 - p) - log Q(e^u): increasing in u.
    lo, hi = -math.inf, math.inf
    reach = 1.0
    for _ in range(200):
        lower, upper, prefix = gamma_pq(shape, u)
        tail = lower if lower_tail else upper
        if tail > 0.0:
            value = math.log(tail) - target
            slope = prefix / tail  # d log P / d log x = x f(x) / P
            if not lower_tail:
                value, slope = -value, slope
        else:
            value, slope = (-math.inf if lower_tail else math.inf), 0.0
        if value == 0.0:
            break
        if value < 0.0:
            lo = u
        else:
            hi = u
        step = value / slope if slope > 0.0 and math.isfinite(value) else math.nan
        if abs(step) <= 1e-13:
            u -= step
            break
        candidate = u - step
        if not lo < candidate < hi:
            if math.isinf(lo) or math.isinf(hi):
                reach *= 2.0
                candidate = u + (reach if value < 0.0 else -reach)
            else:
                candidate = 0.5 * (lo + hi)
        u = candidate
    return math.exp(u) * scale
