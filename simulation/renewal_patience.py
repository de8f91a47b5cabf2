"""GI/M/c+D: requests dealt in turn (gamma gaps, ca2 < 1) that give up after ``D`` s.

The law of the wait an arrival would have (its virtual wait V), in three parts, on the
pattern of M/M/c+D's closed form (patience.py):

* No wait, weight 1 (the rest are relative to it).
* A wait in (0, D): density ``r e^(-eta x)``. While all servers are busy GI/M/c's wait
  falls off at ``eta = c mu (1 - sigma)``, ``sigma = A*(c mu (1 - sigma))`` (renewal.py);
  below capacity sigma is the root in (0, 1) and ``r = P(wait) eta / (1 - P(wait))``,
  GI/M/c's own density at 0+ against its no-wait share, exact without a timeout. Above
  capacity sigma is the root above 1 (eta < 0: the waits pile up towards D) and r is
  M/M/c's at the rate ``c mu - eta``, scaled by GI/M/c's ratio to M/M/c at capacity
  (so it is continuous there; for one server it is GI/M/1's own ``sigma mu``).
* Giving up, ``V >= D``: M/M/c+D's weight for it is its density at D over ``c mu``
  (arrivals that take the wait past D overshoot it by Exp(c mu)). Here it is scaled by
  ``q = (lam - c mu) / (lam_eq - c mu)``, ``lam_eq = c mu - eta``: with a long timeout
  above capacity, M/M/c+D at ``lam_eq`` gives up ``lam_eq - c mu`` requests a second,
  and the requests given up must be exactly the arrivals beyond capacity,
  ``lam - c mu`` (the servers never idle). The same factor is kept below capacity (where
  it is the ratio of two positive numbers), so the model is continuous at capacity
  (``q -> c mu (1 + ca2) / (2 lam)`` there).

For Poisson gaps every part is M/M/c+D's exactly. Against a per-request simulation
(docs/model.md "Timeouts", tests/simulation/test_smooth_timeouts.py) the served mean
and utilisation are within 3%; the share giving up within 5% where it is above 0.02
(within 2.5% at capacity, against eight pooled runs), up to about 16% low below.
"""

from __future__ import annotations

import math
from functools import lru_cache

from .patience import erlang_ratio, mmc_patience, scaled_integrals
from .queueing import QueueStats
from .renewal import gimc_unchecked

_MAX_SHAPE = 1e6  # as renewal.py: ca2 below 1e-6 is taken as 1e-6
_NEAR_CAPACITY = 1e-6  # this close to capacity, it is taken as at capacity


def _log_transform(s: float, lam: float, shape: float) -> float:
    """log A*(s) for gamma gaps of mean 1/lam and this shape (s > -shape lam)."""
    return -shape * math.log1p(s / (shape * lam))


def _overloaded_eta(lam: float, cmu: float, shape: float) -> float:
    """The root eta < 0 of ``A*(eta) = 1 - eta / cmu`` for lam > cmu. The difference
    is convex, zero at 0 and falling left of it down to its minimum (``hi`` below),
    then rising to +inf at ``-shape lam``: bisection between the two."""
    hi = shape * lam * math.expm1(math.log(cmu / lam) / (shape + 1.0))  # the minimum
    lo = -shape * lam
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if math.exp(_log_transform(mid, lam, shape)) - 1.0 + mid / cmu > 0.0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * abs(hi):
            break
    return 0.5 * (lo + hi)


def _below_capacity(lam: float, mu: float, c: int, ca2: float) -> tuple[float, float]:
    """(r, eta) from GI/M/c for lam < c mu (r = 0: nobody waits)."""
    st = gimc_unchecked(lam, mu, c, ca2)
    if st.wait_prob <= 0.0:
        return 0.0, c * mu
    eta = st.wait_prob / st.mean_wait
    return st.wait_prob * eta / (1.0 - st.wait_prob), eta


@lru_cache(maxsize=4096)
def gimc_patience(lam: float, mu: float, c: int, ca2: float, timeout_s: float) -> QueueStats:
    """Steady state of GI/M/c+D with gamma gaps (``ca2`` < 1) and patience ``timeout_s``:
    fields as ``mmc_patience``'s. Valid at any load. Memoised."""
    cmu = c * mu
    if lam <= 0.0:
        return mmc_patience(lam, mu, c, timeout_s)
    shape = min(1.0 / ca2, _MAX_SHAPE)
    at_capacity = abs(lam - cmu) <= _NEAR_CAPACITY * cmu
    if lam < cmu and not at_capacity:
        r, eta = _below_capacity(lam, mu, c, ca2)
        if r == 0.0:
            return QueueStats(lam / cmu, 0.0, 0.0, 1.0 / mu, 1.0 / (mu * mu), 0.0, lam)
    else:
        eta = 0.0 if at_capacity else _overloaded_eta(lam, cmu, shape)
        near = _below_capacity(cmu * (1.0 - _NEAR_CAPACITY), mu, c, ca2)[0]
        scale = near * erlang_ratio(c, c) / cmu
        r = scale * (cmu - eta) / erlang_ratio((cmu - eta) / mu, c)
    q = cmu * (1.0 + ca2) / (2.0 * lam) if at_capacity else (lam - cmu) / -eta
    k = -eta
    i0, i1, i2, scale_log = scaled_integrals(k, timeout_s)  # divided by e^scale_log
    gives_up_w = r * math.exp(k * timeout_s - scale_log) * q / cmu
    waits_w = r * i0
    total = math.exp(-scale_log) + waits_w + gives_up_w
    gives_up = gives_up_w / total
    served = 1.0 - gives_up
    m1 = r * i1 / total / served
    m2 = r * i2 / total / served
    wait_var = max(m2 - m1 * m1, 0.0)
    return QueueStats(
        rho=lam * served / cmu,
        wait_prob=waits_w / total / served,
        mean_wait=m1,
        mean_response=m1 + 1.0 / mu,
        response_var=wait_var + 1.0 / (mu * mu),
        block_prob=gives_up,
        throughput=lam * served,
    )
