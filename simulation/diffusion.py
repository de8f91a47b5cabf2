"""A queue at or above capacity as reflected Brownian motion (the heavy-traffic limit).

Near arrival rate = capacity a queue is neither in steady state nor a deterministic fluid:
its length is a random walk pushed off zero. With drift ``m = lambda - capacity`` and
variance rate ``s2 = lambda * ca2 + capacity`` (arrivals plus departures while busy), the
expected length ``t`` seconds after starting empty is that of reflected Brownian motion,
which by time reversal is the expected maximum of the free walk (Harrison, *Brownian
Motion and Stochastic Flow Systems*, 1985, 1.8; Abate and Whitt, "Transient behavior of
regulated Brownian motion", 1987, I eq. 1.6):

    E R(t) = m t Phi(a) + sqrt(s2 t) phi(a) + s2 / (2 m) (2 Phi(a) - 1),   a = m sqrt(t / s2)

At ``m = 0`` this is ``sqrt(2 s2 t / pi)``; for ``m t >> sqrt(s2 t)`` it is the fluid
``m t + s2 / (2 m)``. A queue holding ``b`` is advanced by its *equivalent age*: the ``t``
with ``E R(t) = b``, moved on by the tick.
"""

from __future__ import annotations

import math

_SQRT_2PI = math.sqrt(2.0 * math.pi)
_SMALL_A = 1e-6  # below this |a| the s2/(2m) term is taken by its limit (no 0/0)


def _phi(x: float) -> float:
    return math.exp(-0.5 * x * x) / _SQRT_2PI


def _cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def expected_length(m: float, s2: float, t: float) -> float:
    """``E R(t)`` of reflected Brownian motion from 0 (drift ``m``, variance rate ``s2``)."""
    if t <= 0.0:
        return 0.0
    root = math.sqrt(s2 * t)
    a = m * t / root
    if abs(a) < _SMALL_A:
        # s2/(2m) (2 Phi(a) - 1) -> s2/(2m) * 2 phi(0) a = root * phi(0).
        return m * t * _cdf(a) + 2.0 * root * _phi(0.0)
    return m * t * _cdf(a) + root * _phi(a) + s2 / (2.0 * m) * (2.0 * _cdf(a) - 1.0)


def _growth(m: float, s2: float, t: float) -> float:
    """d/dt E R(t) = m Phi(a) + sqrt(s2 / t) phi(a) (positive for m >= 0)."""
    root = math.sqrt(s2 * t)
    a = m * t / root
    return m * _cdf(a) + root / t * _phi(a)


def equivalent_age(m: float, s2: float, length: float) -> float:
    """The ``t`` with ``E R(t) = length``, for ``m >= 0`` (where E R grows without bound),
    or ``m < 0`` and ``length`` below the stationary mean ``s2 / (2 |m|)`` (approach.py)."""
    if length <= 0.0:
        return 0.0
    # Start from the larger of the two limits' ages (both underestimate), then Newton:
    # E R is increasing and concave in t, so Newton from below overshoots at most once
    # and then converges monotonically (with m < 0 the start is m = 0's age, also below).
    t = math.pi * length * length / (2.0 * s2)
    if m > 0.0:
        t = max(t, (length - s2 / (2.0 * m)) / m)
    for _ in range(50):
        step = (expected_length(m, s2, t) - length) / _growth(m, s2, t)
        t = max(t - step, 0.5 * t)
        if abs(step) <= 1e-12 * t:
            break
    return t


def walk(lam: float, cap: float, n: int, ca2: float) -> tuple[float, float]:
    """Drift and variance rate of one of ``n`` instances' queues: ``lam`` req/s (arrival
    variability ``ca2``) on ``cap`` req/s of capacity, split evenly."""
    return (lam - cap) / n, (lam * ca2 + cap) / n


FLUID = 50.0  # a^2 = m * length / s2 above which the walk is the fluid (Phi(a) = 1 - 1e-12)


def advance(m: float, s2: float, length: float, dt: float) -> float:
    """The expected length ``dt`` seconds on, of a queue at ``length`` now (``m >= 0``)."""
    if m * length > FLUID * s2:
        return length + m * dt
    return expected_length(m, s2, equivalent_age(m, s2, length) + dt)


def step(m: float, s2: float, length: float, dt: float) -> tuple[float, float]:
    """(expected length, its variance) ``dt`` seconds on, of a queue at ``length`` now
    (``m >= 0``). Far above capacity the walk is the fluid plus its constant offset,
    ``E R(t) = m t + s2 / (2m)``, and its variance ``s2 t - 3 (s2 / (2m))^2``."""
    if m * length > FLUID * s2:
        offset = s2 / (2.0 * m)
        age = (length - offset) / m + dt
        return length + m * dt, max(s2 * age - 3.0 * offset * offset, 0.0)
    age = equivalent_age(m, s2, length) + dt
    mean = expected_length(m, s2, age)
    return mean, length_variance(m, s2, age, mean)


def length_variance(m: float, s2: float, t: float, mean: float) -> float:
    """Var R(t) from 0, given ``mean = E R(t)``. ``E R(t)^2`` is the second moment of the
    free walk's maximum, integrated in closed form from its tail (Harrison 1985, 1.8):
    ``(mt^2 + s2 t) Phi(a) + m t sqrt(s2 t) phi(a) + (s2/m)(m t Phi(a) + sqrt(s2 t) phi(a))
    - s2^2/(2 m^2) (2 Phi(a) - 1)``; at ``m = 0`` it is ``s2 t`` (half-normal)."""
    if t <= 0.0:
        return 0.0
    root = math.sqrt(s2 * t)
    mt = m * t
    a = mt / root
    if abs(a) < 1e-4:
        # Its expansion to first order in a (the closed form cancels badly here).
        second = s2 * t * (1.0 + 4.0 / 3.0 * math.sqrt(2.0 / math.pi) * a)
    else:
        big, small = _cdf(a), _phi(a)
        second = (
            (mt * mt + s2 * t) * big
            + mt * root * small
            + s2 / m * (mt * big + root * small)
            - s2 * s2 / (2.0 * m * m) * (2.0 * big - 1.0)
        )
    return max(second - mean * mean, 0.0)
