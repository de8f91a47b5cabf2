"""GI/M/c: a node fed by a renewal stream smoother than Poisson (ca2 < 1).

A balancer dealing in turn gives each instance every k-th arrival of a Poisson stream:
Erlang-k inter-arrival times, ca2 = 1/k. The node is then GI/M/c, which has an exact
solution (Takacs 1962; Gross & Harris, *Fundamentals of Queueing Theory*, 6.3):

* sigma is the root in (0, 1) of ``sigma = A*(c mu (1 - sigma))``, A* the Laplace
  transform of the inter-arrival time;
* a request that waits, waits Exp(c mu (1 - sigma)), so the response time is the
  M/M/c-shaped mixture of Exp(mu) and Exp(mu) + Exp(drain) (see queueing.py);
* P(wait) = C / (1 - sigma) with
  ``1/C = 1/(1 - sigma) + sum_{j=1..c} binom(c, j) (c (1 - b_j) - j)
  / (C_j (1 - b_j) (c (1 - sigma) - j))``, ``b_j = A*(j mu)``,
  ``C_j = prod_{i<=j} b_i / (1 - b_i)``. Every term is non-negative (the numerator and
  the denominator change sign together at j = c (1 - sigma)), so the sum is stable.

Inter-arrival times are taken as gamma with shape 1/ca2 (Erlang-k for ca2 = 1/k),
``A*(s) = (1 + s ca2 / lam)^(-1/ca2)``: the renewal stream with the engine's ca2.
"""

from __future__ import annotations

import math
from functools import lru_cache

from .queueing import QueueStats, erlang_c, exponential_wait

_CACHE_SIZE = 4096
_MAX_SHAPE = 1e6  # ca2 below 1e-6 is taken as 1e-6 (near-deterministic arrivals)
_LOG_HUGE = 700.0  # a term of the sum above e^700 makes P(wait) below 1e-300: zero
# Smoother arrivals wait less than Poisson ones: where M/M/c's P(wait) is below this,
# GI/M/c's is too, and the O(c) sum is skipped (many servers at low load).
_NO_WAIT = 1e-15


def _log_transform(s: float, lam: float, shape: float) -> float:
    """log A*(s) for gamma inter-arrival times of mean 1/lam and this shape."""
    return -shape * math.log1p(s / (shape * lam))


def sigma(lam: float, cmu: float, shape: float) -> float:
    """The root in (0, 1) of ``s = A*(cmu (1 - s))`` (lam < cmu). ``A* - s`` is convex and
    positive at 0, so Newton steps from 0 rise monotonically to the root."""
    s = 0.0
    scale = cmu / (shape * lam)
    for _ in range(500):
        base = 1.0 + scale * (1.0 - s)
        a = math.exp(-shape * math.log(base))
        slope = a * shape * scale / base - 1.0  # d(A* - s)/ds
        step = (a - s) / slope
        s -= step
        if abs(step) <= 1e-15 * s:
            break
    return s


@lru_cache(maxsize=_CACHE_SIZE)
def gimc_unchecked(lam: float, mu: float, c: int, ca2: float) -> QueueStats:
    """Steady state of GI/M/c with gamma inter-arrival times (rate ``lam``, squared
    coefficient of variation ``ca2`` < 1), for ``0 < lam < c mu``. Memoised."""
    shape = min(1.0 / ca2, _MAX_SHAPE)
    sig = sigma(lam, c * mu, shape)
    drain = c * mu * (1.0 - sig)
    if c > 1 and erlang_c(c, lam / mu) < _NO_WAIT:
        wait_prob = 0.0
    else:
        wait_prob = _wait_prob(lam, mu, c, shape, sig)
    return exponential_wait(lam, mu, c, wait_prob, drain)


def _wait_prob(lam: float, mu: float, c: int, shape: float, sig: float) -> float:
    """P(wait) by Takacs' sum (module docstring), its terms kept in logs."""
    if c == 1:
        return sig
    root = c * (1.0 - sig)  # where numerator and denominator vanish together
    total = 1.0 / (1.0 - sig)
    log_cj = 0.0
    log_binom = 0.0
    for j in range(1, c + 1):
        log_b = _log_transform(j * mu, lam, shape)
        log_one_minus_b = math.log(-math.expm1(log_b))
        log_cj += log_b - log_one_minus_b
        log_binom += math.log((c - j + 1) / j)
        log_term = log_binom - log_cj - log_one_minus_b
        if log_term > _LOG_HUGE:
            return 0.0
        gap = root - j
        if abs(gap) > 1e-6:
            ratio = (c * -math.expm1(log_b) - j) / gap
        else:  # the limit: minus the numerator's slope in j
            ratio = 1.0 - c * mu / lam * math.exp(log_b * (shape + 1.0) / shape)
        total += math.exp(log_term) * ratio
    return 1.0 / (total * (1.0 - sig))
