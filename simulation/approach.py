"""Just below capacity: an unlimited queue on its way to its steady state.

A queue that starts empty (or whose load has just changed) needs time to reach its
steady state: about ``1 / (mu (1 - sqrt(rho))^2)``, 4 s at ``rho = 0.9`` on a 10 ms
server, 400 s at 0.99, hours at 0.999. Until then its expected length is the reflected
random walk of ``diffusion`` with negative drift, which climbs from where it is towards
its stationary mean ``s2 / (2 |m|)``. A node reports its steady wait scaled by how far
the walk has climbed (``level / stationary mean``): continuous at ``rho -> 1``, where it
becomes ``level / capacity`` as at and above capacity, and equal to the steady state
once the walk is within ``SETTLED`` of its stationary mean (then it no longer walks).
"""

from __future__ import annotations

from .diffusion import equivalent_age, expected_length, length_variance

SETTLED = 0.02  # a walk within 2% of its stationary mean is in the steady state


def _settle_u() -> float:
    """The ``u = m^2 t / s2`` at which the walk from empty reaches ``1 - SETTLED`` of its
    stationary mean (the ratio depends on ``u`` alone; about 3.1)."""
    lo, hi = 0.0, 100.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if expected_length(-1.0, 1.0, mid) * 2.0 < 1.0 - SETTLED:
            lo = mid
        else:
            hi = mid
    return hi


SETTLE_U = _settle_u()


def climb(m: float, s2: float, level: float, dt: float) -> tuple[float, float, float] | None:
    """A walk with drift ``m < 0`` at ``level`` now, ``dt`` seconds on: (its expected
    length then, over the tick (Simpson's rule), and its variance then, each as a share
    of the stationary mean or its square), or None when it is (or within a tick gets)
    within ``SETTLED`` of its stationary mean: no more walking."""
    big = s2 / (-2.0 * m)
    if m * m * dt >= SETTLE_U * s2 or level >= (1.0 - SETTLED) * big:
        return None
    age = equivalent_age(m, s2, level)
    mid = expected_length(m, s2, age + 0.5 * dt)
    end = expected_length(m, s2, age + dt)
    mean = (level + 4.0 * mid + end) / 6.0
    var = length_variance(m, s2, age + dt, end)
    return end, mean / big, var / (big * big)
