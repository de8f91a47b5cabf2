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
from dataclasses import dataclass
from functools import lru_cache

from .queueing import QueueStats

_SERIES_BELOW = 1e-3  # |k D| under which the integrals use their Taylor series
MAX_STATES = 2000  # longest queue solved place by place (M/M/c/K+D)


def scaled_integrals(k: float, d: float) -> tuple[float, float, float, float]:
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


def erlang_ratio(a: float, c: int) -> float:
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
    i0, i1, i2, scale_log = scaled_integrals(k, timeout_s)
    tail = (math.exp(k * timeout_s) if scale_log == 0.0 else 1.0) / cmu
    j = i0 + tail  # J / e^(scale_log)
    # P(V > 0) = lam J / (R + lam J), in logs so a huge J (far above capacity) is fine.
    x = math.log(erlang_ratio(lam / mu, c)) - scale_log - math.log(lam * j)
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


@dataclass(frozen=True, slots=True)
class LimitedPatience:
    """M/M/c/K+D: ``stats`` as ``mmc_patience``'s, with ``block_prob`` every arrival not
    served; ``blocked`` (found the queue full) and ``gave_up`` split it."""

    stats: QueueStats
    blocked: float
    gave_up: float


@lru_cache(maxsize=256)
def _head_odds(m: float, top: int) -> tuple[float, ...]:
    """q_j = P(N >= j) / P(N = j - 1) for N ~ Poisson(m), j = 0 .. top (q_0 unused).

    With j requests waiting in M/M/c+D the head's age is Erlang(j, c mu) cut at T, so
    they give up at ``c mu / q_j`` (m = c mu T), and a served request from j waiting
    waited E[Erlang(j) | < T] = j / (c mu) * q_{j+1} / (1 + q_{j+1})."""
    q = [math.inf] * (top + 1)
    # Up from j = 1 while P(N >= j) is not small (the subtraction loses nothing there).
    sf = 1.0
    j = 1
    while j <= top:
        log_pmf = -m + (j - 1) * math.log(m) - math.lgamma(j)  # P(N = j - 1)
        sf -= math.exp(log_pmf)
        if sf < 0.25:
            break
        q[j] = math.inf if log_pmf < -700.0 else sf * math.exp(-log_pmf)
        j += 1
    if j > top:
        return tuple(q)
    # Down from the top (stable: q_j = m / j (1 + q_{j+1}) shrinks errors), started at
    # its series q_top = sum_i prod_{l<i} m / (top + l), whose terms fall from here on.
    total, term, i = 0.0, 1.0, 0
    while True:
        term *= m / (top + i)
        total += term
        i += 1
        if term < 1e-17 * total:
            break
    q[top] = total
    for k in range(top - 1, j - 1, -1):
        q[k] = m / k * (1.0 + q[k + 1])
    return tuple(q)


@lru_cache(maxsize=4096)
def mmck_patience(lam: float, mu: float, c: int, limit: int, timeout_s: float,
                  ) -> LimitedPatience:  # fmt: skip
    """Steady state of M/M/c/K+D: at most ``limit`` requests wait per instance (an
    arrival that finds them all taken is blocked), and those that have waited
    ``timeout_s`` give up. A birth-death chain in the number waiting (Whitt 2005's
    M/M/s/r+M(n)) whose give-up rate with j waiting is M/M/c+D's own (``_head_odds``):
    exact without a limit (it is then ``mmc_patience``) and M/M/c/K as the timeout
    grows. Valid at any load."""
    cmu = c * mu
    m = cmu * timeout_s
    reach = lam * timeout_s  # more than 1 + Poisson(lam T) never wait (see docs/model.md)
    if lam <= 0.0 or limit > 1.0 + reach + 12.0 * math.sqrt(reach) + 60.0:
        st = mmc_patience(lam, mu, c, timeout_s)
        return LimitedPatience(st, 0.0, st.block_prob)
    q = _head_odds(m, min(limit, MAX_STATES) + 2)
    # log p(state) relative to all servers busy and nobody waiting.
    a = lam / mu
    below = [0.0] * c  # n < c busy: p(n) = p(n + 1) (n + 1) mu / lam
    acc = 0.0
    for n in range(c - 1, -1, -1):
        acc += math.log((n + 1) / a)
        below[n] = acc
    waiting = [0.0]  # j waiting: p(j) = p(j - 1) lam / (c mu + theta_j)
    acc = peak = 0.0
    full = True  # the last state is the limit (else the chain is cut where it is nil)
    for j in range(1, min(limit, MAX_STATES) + 1):
        step = math.log(lam / (cmu + cmu / q[j]))
        acc += step
        peak = max(peak, acc)
        if step < 0.0 and acc < peak - 60.0:
            full = False  # theta_j grows with j: every later state is smaller still
            break
        waiting.append(acc)
    if full and limit > MAX_STATES:
        return _coarse(lam, mu, c, limit, timeout_s)
    top = max(max(below, default=0.0), peak)
    p_below = [math.exp(x - top) for x in below]
    p_wait = [math.exp(x - top) for x in waiting]
    z = sum(p_below) + sum(p_wait)
    busy = (sum(n * pn for n, pn in enumerate(p_below)) * mu + cmu * sum(p_wait)) / z
    blocked = p_wait[-1] / z if full else 0.0
    gives_up = 0.0
    first = second = 0.0  # sum over j of (rate of starts from j waiting) x E[wait^n]
    for j in range(1, len(p_wait)):
        pj = p_wait[j] / z
        gives_up += pj * cmu / q[j]
        f1 = q[j + 1] / (1.0 + q[j + 1]) if q[j + 1] != math.inf else 1.0
        f2 = f1 * (q[j + 2] / (1.0 + q[j + 2]) if q[j + 2] != math.inf else 1.0)
        first += pj * j * f1
        second += pj * j * (j + 1) * f2 / cmu
    gives_up /= lam
    served = busy  # completions per second, = lam (1 - blocked - gives_up)
    m1 = first / served
    m2 = second / served
    wait_var = max(m2 - m1 * m1, 0.0)
    started_waiting = cmu * sum(p_wait[1:]) / z  # served after a wait
    st = QueueStats(
        rho=busy / cmu,
        wait_prob=started_waiting / served,
        mean_wait=m1,
        mean_response=m1 + 1.0 / mu,
        response_var=wait_var + 1.0 / (mu * mu),
        block_prob=blocked + gives_up,
        throughput=served,
    )
    return LimitedPatience(st, blocked, gives_up)


def _coarse(lam: float, mu: float, c: int, limit: int, timeout_s: float) -> LimitedPatience:
    """A queue longer than MAX_STATES that fills: solved at a coarser grain, g requests a
    step and every rate divided by g, which keeps the shares, the utilisation and the
    waits of its fluid and diffusion limits (the service time is put back)."""
    g = limit / MAX_STATES
    big = mmck_patience(lam / g, mu / g, c, MAX_STATES, timeout_s)
    st = big.stats
    st = QueueStats(st.rho, st.wait_prob, st.mean_wait, st.mean_wait + 1.0 / mu,
                    st.response_var - (g / mu) ** 2 + 1.0 / (mu * mu), st.block_prob,
                    st.throughput * g)  # fmt: skip
    return LimitedPatience(st, big.blocked, big.gave_up)
