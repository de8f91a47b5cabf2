"""Latency distributions: gamma fits of exit streams, their mixtures and mixture quantiles.

Each exit stream of a request class is described by its rate and the first two moments
of its accumulated latency, and fitted with the gamma of that mean and variance. A
class's latency is the rate-weighted mixture of those gammas; its quantiles are found
by safeguarded Newton steps on the mixture CDF, whose density comes from the same
incomplete-gamma evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache, partial
from statistics import NormalDist

from .queueing import gamma_percentile, gamma_pq
from .request_classes import CLASSES

# Above this shape the gamma CDF is evaluated by Wilson-Hilferty (error below 1e-4 in
# probability there), which costs one normal CDF instead of a long series.
WILSON_HILFERTY_SHAPE = 200.0
_NORMAL = NormalDist()
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT2 = math.sqrt(2.0)

PERCENTILES = ((0.5, "p50_ms"), (0.95, "p95_ms"), (0.99, "p99_ms"))

# Above this many distinct streams (large designs, noisy traffic), streams whose means
# lie within 2% and whose squared coefficients of variation lie within 5% of each other
# are pooled into one gamma with the same total weight, mean and variance. Gammas that
# close mix into a law whose p50/p95/p99 differ from the pooled gamma's by less than
# 0.1% (test_pooling_moves_quantiles_by_less_than_a_tenth_of_a_percent), and the
# mixture then has a bounded number of parts.
POOL_ABOVE = 8
_MEAN_BINS = 1.0 / math.log1p(0.02)
_CV2_BINS = 1.0 / math.log1p(0.05)
_NO_BIN = -(1 << 30)
# Adding and taking away 1.5 x 2^52 rounds a float of magnitude below 2^51 to the nearest
# integer, ties to even, as round() does, at a fraction of its cost.
_ROUNDER = 6755399441055744.0
# Solving from the last tick's answer, a Halley step ends the solve once the error it
# leaves, about the cube of the step (as a share of x) times the largest shape, is below
# this share of x: well inside the six digits the memoised solve keeps (see
# warm_percentiles).
WARM_ERROR = 1e-7

Part = tuple[float, float, float]  # (weight, mean s, variance s^2)


def gamma_quantile(p: float, mean: float, var: float) -> float:
    """The ``p`` quantile of the gamma with this mean and variance (s); 0 for a zero mean.

    Large shapes (nearly deterministic latencies, as in a long backlog) use the
    Wilson-Hilferty cube, which is accurate there and far cheaper than inverting
    the incomplete gamma.
    """
    if mean <= 0.0:
        return 0.0
    if var <= 0.0:
        return mean
    shape = mean * mean / var
    if shape > WILSON_HILFERTY_SHAPE:
        spread = 1.0 / (9.0 * shape)
        cube = 1.0 - spread + _NORMAL.inv_cdf(p) * math.sqrt(spread)
        return mean * cube**3
    return gamma_percentile(p, mean, var)


def _quantile_ms(p: float, mean: float, var: float) -> float:
    return gamma_quantile(p, mean, var) * 1000.0


def gamma_p95_ms(mean: float, var: float) -> Callable[[], float]:
    """The p95 (ms) of the gamma with this mean and variance, computed when called."""
    return partial(_quantile_ms, 0.95, mean, var)


def _wilson_hilferty_cdf(shape: float, x: float) -> float:
    """P(shape, x) by the Wilson-Hilferty cube-root normal approximation (large shapes)."""
    if x <= 0.0:
        return 0.0
    spread = 1.0 / (9.0 * shape)
    return _NORMAL.cdf(((x / shape) ** (1.0 / 3.0) - (1.0 - spread)) / math.sqrt(spread))


def mixture_cdf_pdf(x: float, parts: tuple[Part, ...] | list[Part]) -> tuple[float, float]:
    """CDF and density at ``x`` (s) of a mixture of gammas given as ``(weight, mean, var)``.

    Weights must sum to 1. A part with zero mean is a point mass at 0, one with zero
    variance a point mass at its mean (no density).
    """
    cdf, pdf, _ = _mixture_terms(x, parts)
    return cdf, pdf


def _mixture_terms(x: float, parts: tuple[Part, ...] | list[Part]) -> tuple[float, float, float]:
    """CDF, density and the density's slope (Wilson-Hilferty parts add no slope)."""
    return _terms(x, _prepare(parts))


# Kinds of prepared parts.
_AT_ZERO, _POINT, _NEAR_NORMAL, _GAMMA = range(4)


def _prepare(parts: tuple[Part, ...] | list[Part]) -> list[tuple]:
    """Each part as ``(kind, weight, ...)`` with what its CDF evaluations share: a
    quantile search evaluates the same parts at many ``x``.

    ``_NEAR_NORMAL``: ``(kind, w, rate, shape, 1 - spread, root)`` (Wilson-Hilferty);
    ``_GAMMA``: ``(kind, w, rate, shape, shape - 1, ln Gamma(shape), anchor)``, where
    ``anchor`` is ``[y0, P(shape, y0)]`` of the last full evaluation (see ``_near``).
    """
    prepared: list[tuple] = []
    for w, mean, var in parts:
        if mean <= 0.0:
            prepared.append((_AT_ZERO, w))
        elif var <= 0.0:
            prepared.append((_POINT, w, mean))
        else:
            rate = mean / var
            shape = mean * rate
            if shape > WILSON_HILFERTY_SHAPE:
                spread = 1.0 / (9.0 * shape)
                prepared.append((_NEAR_NORMAL, w, rate, shape, 1.0 - spread, math.sqrt(spread)))
            else:
                anchor = [0.0, 0.0]  # a y where P(shape, y) was evaluated in full, and P there
                prepared.append((_GAMMA, w, rate, shape, shape - 1.0, math.lgamma(shape), anchor))
    return prepared


# Four-point Gauss-Legendre nodes (plus and minus) and their weights on [-1, 1].
_GL_INNER, _GL_OUTER = 0.3399810435848563, 0.8611363115940526
_GL_INNER_WEIGHT, _GL_OUTER_WEIGHT = 0.6521451548625461, 0.3478548451374538


def _near(y: float, y0: float, shape_less_one: float) -> bool:
    """Whether ``_gamma_density_integral`` from ``y0`` to ``y`` is accurate to 1e-16.

    Four Gauss-Legendre nodes integrate ``t^(a-1) e^-t`` to about 1e-16 of P over
    steps of at most 5% of ``y0`` (its branch point at 0 stays far) over which its
    logarithm moves by at most 0.25 (checked against 50-digit sums in the tests).
    """
    step = abs(y - y0)
    return step <= 0.05 * y0 and step * (abs(shape_less_one) + y0) <= 0.25 * y0


def _gamma_density_integral(y0: float, y: float, shape_less_one: float, log_gamma: float) -> float:
    """P(a, y) - P(a, y0) for close ``y0``, ``y`` (see ``_near``): the integral of the
    gamma density ``t^(a-1) e^-t / Gamma(a)`` by four-point Gauss-Legendre."""
    log, exp = math.log, math.exp
    half = 0.5 * (y - y0)
    mid = y0 + half
    inner, outer = half * _GL_INNER, half * _GL_OUTER
    t1, t2, t3, t4 = mid - outer, mid - inner, mid + inner, mid + outer
    outer_sum = exp(shape_less_one * log(t1) - t1 - log_gamma) + exp(
        shape_less_one * log(t4) - t4 - log_gamma
    )
    inner_sum = exp(shape_less_one * log(t2) - t2 - log_gamma) + exp(
        shape_less_one * log(t3) - t3 - log_gamma
    )
    return half * (_GL_OUTER_WEIGHT * outer_sum + _GL_INNER_WEIGHT * inner_sum)


def _terms(x: float, prepared: list[tuple]) -> tuple[float, float, float]:
    """``_mixture_terms`` of prepared parts."""
    cdf = pdf = slope = 0.0
    for part in prepared:
        kind = part[0]
        if kind == _GAMMA:
            if x > 0.0:
                _, w, rate, shape, shape_less_one, log_gamma, anchor = part
                y = x * rate
                y0, lower0 = anchor
                if _near(y, y0, shape_less_one):
                    # A Halley step or the check after it: integrate from the last full
                    # evaluation instead of summing the whole series again.
                    lower = lower0 + _gamma_density_integral(y0, y, shape_less_one, log_gamma)
                    if lower > 1.0:
                        lower = 1.0
                    elif lower < 0.0:
                        lower = 0.0
                    prefix = math.exp(shape * math.log(y) - y - log_gamma)
                else:
                    lower, _, prefix = gamma_pq(shape, math.log(y))
                    anchor[0] = y
                    anchor[1] = lower
                density = w * prefix / x  # prefix = y^a e^-y / Gamma(a) = x f(x)
                cdf += w * lower
                pdf += density
                slope += density * (shape_less_one / x - rate)
        elif kind == _NEAR_NORMAL:
            if x > 0.0:
                _, w, rate, shape, centre, root = part
                cube = (x * rate / shape) ** (1.0 / 3.0)
                z = (cube - centre) / root
                cdf += w * (0.5 * (1.0 + math.erf(z / _SQRT2)))  # NormalDist().cdf(z)
                pdf += w * _INV_SQRT_2PI * math.exp(-0.5 * z * z) * cube / (3.0 * x * root)
        elif kind == _AT_ZERO:
            cdf += part[1]
        elif x >= part[2]:
            cdf += part[1]
    return cdf, pdf, slope


def mixture_cdf(x: float, parts: tuple[Part, ...] | list[Part]) -> float:
    return mixture_cdf_pdf(x, parts)[0]


def mixture_percentile(p: float, parts: tuple[Part, ...] | list[Part]) -> float:
    """The ``p`` quantile (s) of a mixture of gammas given as ``(weight, mean, var)`` parts.

    Weights need not be normalised; parts of zero weight are ignored.
    """
    return mixture_percentiles((p,), parts)[0]


def mixture_percentiles(
    ps: tuple[float, ...], parts: tuple[Part, ...] | list[Part], *, memo: bool = False
) -> list[float]:
    """The quantiles (s) of the mixture at each probability of ``ps``.

    ``memo``: solve the mixture with weights, means and variances rounded to six
    significant digits, memoised. A class's exits recur tick after tick with the
    same shares of its traffic and, on servers far from saturation, latencies that
    move by less than that, so noisy ticks mostly find their answer already solved.
    """
    parts = [part for part in parts if part[0] > 0.0]
    if not parts:
        return [0.0] * len(ps)
    first = parts[0]
    if len(parts) == 1 or _same_gamma(parts):
        return list(_gamma_quantiles(ps, first[1], first[2]))
    if memo:
        return list(_memo_quantiles(ps, _memo_key(parts)))
    total = sum(w for w, _, _ in parts)
    return list(_mixture_quantiles(ps, tuple([(w / total, m, v) for w, m, v in parts])))


def _memo_key(parts: tuple[Part, ...] | list[Part]) -> str:
    """The parts, weights normalised, to six significant digits: one string per mixture
    is a cheaper key than a tuple of rounded floats."""
    total = sum([w for w, _, _ in parts])
    # printf-style formatting is the quickest of Python's three here.
    return " ".join(["%.6g %.6g %.6g" % (w / total, m, v) for w, m, v in parts])  # noqa: UP031


def _same_gamma(parts: tuple[Part, ...] | list[Part]) -> bool:
    _, mean, var = parts[0]
    for _, m, v in parts:
        if m != mean or v != var:
            return False
    return True


@lru_cache(maxsize=8192)
def _gamma_quantiles(ps: tuple[float, ...], mean: float, var: float) -> tuple[float, ...]:
    return tuple([gamma_quantile(p, mean, var) for p in ps])


@lru_cache(maxsize=8192)
def _memo_quantiles(ps: tuple[float, ...], key: str) -> tuple[float, ...]:
    numbers = [float(x) for x in key.split()]
    parts = list(zip(numbers[0::3], numbers[1::3], numbers[2::3], strict=True))
    total = sum(w for w, _, _ in parts)
    return _mixture_quantiles(ps, tuple([(w / total, m, v) for w, m, v in parts]))


def _mixture_quantiles(ps: tuple[float, ...], parts: tuple[Part, ...]) -> tuple[float, ...]:
    mean = sum(w * m for w, m, _ in parts)
    second = sum(w * (v + m * m) for w, m, v in parts)
    var = max(second - mean * mean, 0.0)
    prepared = _prepare(parts)
    return tuple([_solve(p, prepared, _start(p, mean, var)) for p in ps])


def _start(p: float, mean: float, var: float) -> float:
    """A first guess: the Wilson-Hilferty quantile of the moment-matched gamma."""
    if mean <= 0.0:
        return 1e-9
    if var <= 0.0:
        return mean
    spread = var / (9.0 * mean * mean)
    cube = 1.0 - spread + _NORMAL.inv_cdf(p) * math.sqrt(spread)
    return mean * max(cube, 0.05) ** 3


def _solve(p: float, prepared: list[tuple], x: float, halley_done: float = 1e-6) -> float:
    """Halley steps on the mixture CDF from ``x``, bisecting when a step leaves the bracket
    or would move ``x`` by more than a factor of four, or the last step did not halve
    the error.

    Once a Halley (or, near a Wilson-Hilferty part, Newton) step is below 1e-6 of
    ``x``, the error left after it is of the order of its square or cube: done.
    ``halley_done``: the bound for a Halley step instead (only for gamma parts, whose
    density's slope is exact), when the cube of a larger step is small enough.
    """
    lo, hi = 0.0, math.inf
    last = math.inf  # |excess| of the previous step
    for _ in range(200):
        cdf, pdf, slope = _terms(x, prepared)
        excess = cdf - p
        if abs(excess) <= 1e-13:
            return x
        if excess < 0.0:
            lo = x
        else:
            hi = x
        crawling = abs(excess) > 0.5 * last  # on a flat stretch between far-apart parts
        last = abs(excess)
        candidate = math.nan
        done = 1e-6
        if pdf > 0.0 and not crawling:
            step = excess / pdf
            bend = 1.0 - 0.5 * step * slope / pdf
            if bend > 0.5:
                candidate = x - step / bend
                done = halley_done
            else:
                candidate = x - step
        if lo < candidate < hi and 0.25 * x < candidate < 4.0 * x:
            if abs(candidate - x) <= done * x:
                return candidate
        elif hi == math.inf:
            candidate = 2.0 * x
        else:
            # Bisect in log x: the parts' scales may differ by many orders of magnitude.
            candidate = math.sqrt(lo * hi) if lo > 0.0 else 0.5 * hi
            if hi - lo <= 1e-12 * hi:
                return candidate
        x = candidate
    return x


def _bin(mean: float, var: float) -> tuple[int, int]:
    if mean <= 0.0:
        return (_NO_BIN, 0)
    if var <= 0.0:
        return (round(math.log(mean) * _MEAN_BINS), _NO_BIN)
    return (round(math.log(mean) * _MEAN_BINS), round(math.log(var / (mean * mean)) * _CV2_BINS))


def _add_part(bins: dict, key: object, weight: float, mean: float, var: float) -> None:
    """Add a part to ``bins[key] = [weight, weight x mean, weight x second moment]``."""
    acc = bins.get(key)
    if acc is None:
        bins[key] = [weight, weight * mean, weight * (var + mean * mean)]
    else:
        acc[0] += weight
        acc[1] += weight * mean
        acc[2] += weight * (var + mean * mean)


def _parts_of(bins: dict) -> list[Part]:
    parts = []
    for weight, first, second in bins.values():
        mean = first / weight
        parts.append((weight, mean, max(second / weight - mean * mean, 0.0)))
    return parts


def pool(parts: list[Part]) -> list[Part]:
    """``(rate, mean, var)`` parts pooled into narrow bins, moments kept (see POOL_ABOVE)."""
    if len(parts) <= POOL_ABOVE:
        return parts
    bins: dict[tuple[int, int], list[float]] = {}
    get = bins.get
    log = math.log
    for rate, mean, var in parts:
        # _bin and _add_part, inlined: this runs for every exit stream of a large design.
        if mean <= 0.0:
            key = (_NO_BIN, 0)
        elif var <= 0.0:
            key = (round(log(mean) * _MEAN_BINS), _NO_BIN)
        else:
            key = (round(log(mean) * _MEAN_BINS), round(log(var / (mean * mean)) * _CV2_BINS))
        acc = get(key)
        if acc is None:
            bins[key] = [rate, rate * mean, rate * (var + mean * mean)]
        else:
            acc[0] += rate
            acc[1] += rate * mean
            acc[2] += rate * (var + mean * mean)
    return _parts_of(bins)


class RunLatency:
    """The latency law of a whole run: every tick's mixture, weighted by its requests.

    ``add(parts, seconds)`` takes a tick's ``(rate, mean, var)`` parts; each weighs
    ``rate x seconds`` requests. Equal parts add up exactly; past ``exact_limit``
    distinct parts (noisy or changing runs) they are pooled into the narrow bins of
    ``pool``, so memory stays bounded and the quantiles move by under 0.1%.
    ``percentiles`` inverts the whole mixture once, at report time.
    """

    __slots__ = ("_acc", "_mean", "_second", "_var", "bins", "exact_limit", "pooled")

    def __init__(self, exact_limit: int = 256) -> None:
        self.exact_limit = exact_limit
        self.bins: dict[object, list[float]] = {}
        self.pooled = False
        self._forget_last()

    def add(self, parts: list[Part], seconds: float) -> None:
        for rate, mean, var in parts:
            if rate > 0.0:
                self.add_one(rate * seconds, mean, var, False)
        if not self.pooled and len(self.bins) > self.exact_limit:
            self._pool()

    def add_one(self, weight: float, mean: float, var: float, pool: bool = True) -> None:
        """Add one part of ``weight`` requests, pooling if it makes one exact part too many
        (unless ``pool`` is false: ``add`` pools once all of a tick's parts are in).

        A run's report adds one for every component on every tick, so ``_bin`` and
        ``_add_part`` are written out here, ``_bin``'s rounding done with ``_ROUNDER``: its
        bin numbers are integral floats, equal to ``_bin``'s integers, with equal hashes.
        A part with the mean and variance of the last one (most components' latency does
        not move with their load) goes to the last one's bin without looking it up.
        """
        if mean == self._mean and var == self._var:
            acc = self._acc
            acc[0] += weight
            acc[1] += weight * mean
            acc[2] += weight * self._second
            return
        bins = self.bins
        square = mean * mean
        if not self.pooled:
            key = (mean, var)
        elif mean <= 0.0:
            key = (_NO_BIN, 0)
        elif var <= 0.0:
            key = (math.log(mean) * _MEAN_BINS + _ROUNDER - _ROUNDER, _NO_BIN)
        else:
            key = (
                math.log(mean) * _MEAN_BINS + _ROUNDER - _ROUNDER,
                math.log(var / square) * _CV2_BINS + _ROUNDER - _ROUNDER,
            )
        second = var + square
        acc = bins.get(key)
        if acc is None:
            acc = bins[key] = [weight, weight * mean, weight * second]
        else:
            acc[0] += weight
            acc[1] += weight * mean
            acc[2] += weight * second
        self._mean = mean
        self._var = var
        self._acc = acc
        self._second = second
        if pool and not self.pooled and len(bins) > self.exact_limit:
            self._pool()

    def _forget_last(self) -> None:
        self._mean = self._var = math.nan  # equal to nothing
        self._acc: list[float] = []
        self._second = 0.0

    def _pool(self) -> None:
        parts = _parts_of(self.bins)
        self.pooled = True
        self.bins = {}
        self._forget_last()  # its bin is no longer in bins
        for weight, mean, var in parts:
            self.add_one(weight, mean, var)

    @property
    def requests(self) -> float:
        return sum(acc[0] for acc in self.bins.values())

    def percentiles(self, ps: tuple[float, ...]) -> list[float]:
        """The run's latency quantiles (s) at each probability of ``ps``."""
        return mixture_percentiles(ps, _parts_of(self.bins))


def mixture_moments(parts: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Total weight, mean and variance of a mixture of ``(weight, mean, second_moment)``."""
    weight = sum(w for w, _, _ in parts)
    if weight <= 0.0:
        return 0.0, 0.0, 0.0
    mean = sum(w * m for w, m, _ in parts) / weight
    second = sum(w * s for w, _, s in parts) / weight
    return weight, mean, max(second - mean * mean, 0.0)


def _merged_rates(exits: tuple[tuple[float, float, float], ...]) -> dict:
    """``{(m1, m2): total rate}`` of the exit streams with traffic, in order of first sight."""
    merged: dict[tuple[float, float], float] = {}
    get = merged.get
    for rate, m1, m2 in exits:
        if rate > 0.0:
            key = (m1, m2)
            merged[key] = get(key, 0.0) + rate
    return merged


def _variance_parts(merged: dict) -> list[Part]:
    # ``0.0 if v < 0.0 else v`` is ``max(v, 0.0)`` without the call.
    return [
        (rate, m1, 0.0 if (var := m2 - m1 * m1) < 0.0 else var) for (m1, m2), rate in merged.items()
    ]


def _class_law(streams: tuple[tuple[float, float, float], ...]) -> tuple | None:
    """A class's ``(rate, mean, parts)``: completed req/s, mean latency (s) and its
    exit streams, equal moments merged, as pooled ``(rate, mean, variance)`` parts;
    None when nothing completes."""
    if len(streams) == 1:
        rate, m1, m2 = streams[0]
        if not rate > 0.0:
            return None
        var = m2 - m1 * m1
        return rate, rate * m1 / rate, [(rate, m1, 0.0 if var < 0.0 else var)]
    merged = _merged_rates(streams)
    if not merged:
        return None
    rate = sum(merged.values())
    if len(merged) > POOL_ABOVE:
        weighted, parts = _pooled_streams(merged)
        return rate, weighted / rate, parts
    parts = _variance_parts(merged)
    return rate, sum([r * m1 for r, m1, _ in parts]) / rate, parts


def _pooled_streams(merged: dict) -> tuple[float, list[Part]]:
    """``(sum of rate x m1, pool(_variance_parts(merged)))`` in one pass over the merged
    streams, with the same arithmetic: a large design's classes have hundreds."""
    firsts: list[float] = []
    append = firsts.append
    bins: dict[tuple[int, int], list[float]] = {}
    get = bins.get
    log = math.log
    for (m1, m2), rate in merged.items():
        var = m2 - m1 * m1
        if var < 0.0:
            var = 0.0
        first = rate * m1
        append(first)
        if m1 <= 0.0:
            key = (_NO_BIN, 0)
        elif var <= 0.0:
            key = (round(log(m1) * _MEAN_BINS), _NO_BIN)
        else:
            key = (round(log(m1) * _MEAN_BINS), round(log(var / (m1 * m1)) * _CV2_BINS))
        acc = get(key)
        if acc is None:
            bins[key] = [rate, first, rate * (var + m1 * m1)]
        else:
            acc[0] += rate
            acc[1] += first
            acc[2] += rate * (var + m1 * m1)
    return sum(firsts), _parts_of(bins)


_PS = tuple(p for p, _ in PERCENTILES)


def _percentiles(parts: list[Part]) -> dict[str, float]:
    """p50/p95/p99 (ms) as ``mixture_percentiles(_PS, parts, memo=True)`` gives them, for
    parts that all carry traffic (merged or pooled exits)."""
    if not parts:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0}
    if len(parts) == 1 or _same_gamma(parts):
        _, mean, var = parts[0]
        p50, p95, p99 = _gamma_quantiles(_PS, mean, var)
    else:
        p50, p95, p99 = _exactly_memo_quantiles(tuple(parts))
    return {"p50_ms": p50 * 1000.0, "p95_ms": p95 * 1000.0, "p99_ms": p99 * 1000.0}


@lru_cache(maxsize=4096)
def _exactly_memo_quantiles(parts: tuple[Part, ...]) -> tuple[float, ...]:
    """``_memo_quantiles(_PS, _memo_key(parts))``, memoised on the exact parts as well.

    A class's exits often recur exactly from tick to tick (a small design's noisy
    arrivals take a few hundred Poisson counts), and a tuple of floats hashes in a
    fraction of the time the rounded key takes to format.
    """
    return _memo_quantiles(_PS, _memo_key(parts))


def warm_percentiles(parts: list[Part], warm: dict, key: object) -> dict[str, float]:
    """``_percentiles(parts)`` (p50/p95/p99, ms) solved from ``warm[key]``, the last
    answers (s) for the same class, when there are any; the new answers go there.

    With noise on, every tick's law is new (each serving node's mean wanders), so the
    memos never hit; but the law moves by a few percent from one tick to the next. From
    the last answer Halley steps need one or two evaluations of the mixture per
    percentile, the second one anchored (cheap). The error a step leaves is about its
    cube times the largest shape (near x the CDF is a normal in log x of width
    1/sqrt(shape)): once that is below ``WARM_ERROR`` of x the solve ends, a few 1e-7
    from the exact parts' answers at most (test_latency), where the memoised solve, on
    parts rounded to six digits, is within a few 1e-6.
    """
    previous = warm.get(key)
    if not parts or previous is None or previous[0] <= 0.0:
        answer = _percentiles(parts)
        warm[key] = (answer["p50_ms"] / 1000.0, answer["p95_ms"] / 1000.0,
                     answer["p99_ms"] / 1000.0)  # fmt: skip
        return answer
    total = sum([w for w, _, _ in parts])
    prepared = _prepare([(w / total, m, v) for w, m, v in parts])
    done = 1e-6
    if all([part[0] == _GAMMA for part in prepared]):
        done = (WARM_ERROR / max([part[3] for part in prepared] + [1.0])) ** (1.0 / 3.0)
    p50, p95, p99 = warm[key] = tuple(
        [_solve(p, prepared, x, done) for p, x in zip(_PS, previous, strict=True)]
    )
    return {"p50_ms": p50 * 1000.0, "p95_ms": p95 * 1000.0, "p99_ms": p99 * 1000.0}


def exit_latencies(
    exits: tuple[tuple[tuple[float, float, float], ...], ...], warm: dict | None = None
) -> tuple:
    """(completed req/s, sum of rate x mean, per-class numbers, overall percentiles, parts).

    ``parts`` are the (pooled) ``(rate, mean, variance)`` streams of every class together.
    ``warm`` (noisy runs): each class's and the overall percentiles of the last tick, by
    class index (-1: overall), to solve from (``warm_percentiles``); updated in place.
    """
    classes = {}
    completed = weighted_mean = 0.0
    everything: list[Part] = []
    for k, streams in enumerate(exits):
        law = _class_law(streams)
        if law is None:
            continue
        rate, mean, pooled = law
        completed += rate
        weighted_mean += rate * mean
        everything.extend(pooled)
        quantiles = _percentiles(pooled) if warm is None else warm_percentiles(pooled, warm, k)
        classes[CLASSES[k]] = {"rps": rate, "mean_ms": mean * 1000.0, **quantiles}
    overall = pool(_merge_parts(everything))
    quantiles = _percentiles(overall) if warm is None else warm_percentiles(overall, warm, -1)
    return completed, weighted_mean, classes, quantiles, overall


def _merge_parts(parts: list[Part]) -> list[Part]:
    """Parts with equal mean and variance merged into one."""
    merged: dict[tuple[float, float], float] = {}
    get = merged.get
    for rate, mean, var in parts:
        key = (mean, var)
        merged[key] = get(key, 0.0) + rate
    return [(rate, mean, var) for (mean, var), rate in merged.items()]
