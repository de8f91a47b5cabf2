"""M/M/c+D: a queue whose requests give up after waiting ``D`` seconds (a timeout).

A request that has waited ``timeout_ms`` leaves the queue without taking service: it is
an error, it costs no server time, and the requests that are served waited less than
``D``. Closed form from the virtual waiting time of M/M/n+G (Baccelli & Hebuterne 1981;
Zeltyn & Mandelbaum 2005, "Call centers with impatient customers", section 3) with
deterministic patience: with ``a = lam / mu``, ``k = lam - c mu`` and
``J = int_0^D e^(k x) dx + e^(k D) / (c mu)``, an arrival waits with probability
``P(V > 0) = lam J / (R + lam J)`` where ``R = sum_{j<c} a^j / j! / (a^(c-1) / (c-1)!)``;
its virtual wait has density ``P(V > 0) e^(k x) / J`` on ``(0, D)`` and gives up with
probability ``P(V > 0) e^(k D) / (c mu J)``. It holds at any load, also above capacity
(abandonment keeps the queue stable). Arrivals are Poisson (see docs/model.md).
"""

from __future__ import annotations

import math
from functools import lru_cache

from .queueing import QueueStats

_SERIES_BELOW = 1e-3  # |k D| under which the integrals use their Taylor series


def _scaled_integrals(k: float, d: float) -> tuple[float, float, float, float]:
    """(I0, I1, I2, scale_log): I_n = int_0^D x^n e^(k x) dx, divided by e^(scale_log)
    (``scale_log`` = k D when k > 0, so nothing overflows; else 0)."""
    kd = k * d
    if abs(kd) < _SERIES_BELOW:
        i0 = d * (1.0 + kd / 2.0 + kd * kd / 6.0)
        i1 = d * d * (1.0 / 2.0 + kd / 3.0 + kd * kd / 8.0)
        i2 = d**3 * (1.0 / 3.0 + kd / 4.0 + kd * kd / 10.0)
        return i0, i1, i2, 0.0
    if k > 0.0:
        e = math.exp(-kd)  # the integrals times e^(-k D)
        i0 = -math.expm1(-kd) / k
        i1 = (kd + math.expm1(-kd)) / (k * k)
        i2 = d * d / k - 2.0 * d / (k * k) + 2.0 / k**3 - 2.0 * e / k**3
        return i0, i1, i2, kd
    e = math.exp(kd)
    i0 = math.expm1(kd) / k
    i1 = e * (d / k - 1.0 / (k * k)) + 1.0 / (k * k)
    i2 = e * (d * d / k - 2.0 * d / (k * k) + 2.0 / k**3) - 2.0 / k**3
    return i0, i1, i2, 0.0


def _erlang_ratio(a: float, c: int) -> float:
    """sum_{j<c} a^j / j!, divided by its last term a^(c-1) / (c-1)!."""
    total, term = 1.0, 1.0
    for j in range(c - 1, 0, -1):
        term *= j / a
        total += term
        if term < 1e-17 * total:
            break
    return total


@lru_cache(maxsize=4096)
def mmc_patience(lam: float, mu: float, c: int, timeout_s: float) -> QueueStats:
    """Steady state of M/M/c+D with patience ``timeout_s`` (s): ``block_prob`` is the
    share that gives up, the wait and response numbers are those of served requests,
    ``rho`` the servers' busy share (served rate / (c mu)). Valid at any load."""
    if lam <= 0.0:
        return QueueStats(0.0, 0.0, 0.0, 1.0 / mu, 1.0 / (mu * mu), 0.0, 0.0)
    cmu = c * mu
    k = lam - cmu
    i0, i1, i2, scale_log = _scaled_integrals(k, timeout_s)
    tail = (math.exp(k * timeout_s) if scale_log == 0.0 else 1.0) / cmu
    j = i0 + tail  # J / e^(scale_log)
    # P(V > 0) = lam J / (R + lam J), in logs so a huge J (far above capacity) is fine.
    x = math.log(_erlang_ratio(lam / mu, c)) - scale_log - math.log(lam * j)
    waits = math.exp(-x) / (1.0 + math.exp(-x)) if x > 0.0 else 1.0 / (1.0 + math.exp(x))
    gives_up = waits * tail / j
    served = 1.0 - gives_up
    waited = waits * i0 / j  # served after a wait in (0, D)
    m1 = waits * i1 / j / served
    m2 = waits * i2 / j / served
    wait_var = max(m2 - m1 * m1, 0.0)
    response = m1 + 1.0 / mu
    return QueueStats(
        rho=lam * served / cmu,
        wait_prob=waited / served,
        mean_wait=m1,
        mean_response=response,
        response_var=wait_var + 1.0 / (mu * mu),
        block_prob=gives_up,
        throughput=lam * served,
    )
