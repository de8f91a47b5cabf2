"""One serving instance in steady state: drops, latency moments, p95, utilisation."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

from .jsq import PoolShare, jsq_unchecked, jsq_unequal
from .latency import gamma_p95_ms
from .patience import mmc_patience, mmck_patience
from .queueing import mmc_unchecked, mmck_unchecked, response_percentile, wait_mixture_percentile
from .renewal import gimc_unchecked
from .renewal_patience import gimc_patience


def node_steady_state(
    lam_i: float,
    mu: float,
    c: int,
    ca2: float,
    limit: int | None,
    timeout_ms: float | None,
    jsq_pool: int | PoolShare = 0,
) -> tuple[float, float, float, Callable[[], float], float, float]:
    """One instance in steady state: (drop fraction, mean s, variance s^2, p95, rho, cd2).

    ``jsq_pool`` > 0: a least-connections balancer pools it with that many instances
    (jsq.py), or a PoolShare when the pool's instances differ in speed. The p95 (ms)
    comes as a function computing it on demand (see NodeFrame).
    """
    # The engine only asks with valid arguments (lam_i below capacity, c >= 1), so the
    # memoised solvers are called without the public functions' argument checks.
    unequal = isinstance(jsq_pool, PoolShare)
    pooled = limit is None and lam_i > 0.0 and (unequal or jsq_pool > 1)
    smooth = pooled or (limit is None and lam_i > 0.0 and ca2 < 1.0 - 1e-9)
    if timeout_ms is not None and limit is not None:
        # Both a queue limit and a timeout: M/M/c/K+D, arrivals taken as Poisson (as
        # M/M/c/K takes them; least connections is solved per instance, as there).
        return _limited_abandoning(lam_i, mu, c, ca2, limit, timeout_ms / 1000.0)
    if timeout_ms is not None:
        if pooled and unequal:
            # Least connections with a timeout: the pool gives up as one M/M/(n c)+D,
            # at this instance's speed and the pool's utilisation.
            n = jsq_pool.instances
            lam_i, c = min(jsq_pool.rho, 1.0) * c * mu * n, c * n
        elif pooled:
            # Least connections with a timeout: the pool gives up as one M/M/(n c)+D.
            lam_i, c = lam_i * jsq_pool, c * jsq_pool
        return _abandoning(lam_i, mu, c, ca2, timeout_ms / 1000.0, smooth and not pooled)
    if pooled and unequal:
        st = jsq_unequal(lam_i, mu, max(int(c), 1), jsq_pool, ca2)
    elif pooled:
        # Least connections: join the shortest queue over the pool.
        st = jsq_unchecked(lam_i, mu, max(int(c), 1), jsq_pool, ca2)
    elif smooth:
        # Dealt in turn: renewal arrivals smoother than Poisson, exact as GI/M/c.
        st = gimc_unchecked(lam_i, mu, c, ca2)
    elif limit is None:
        st = mmc_unchecked(lam_i, mu, c, ca2)
    else:
        st = mmck_unchecked(lam_i, mu, c, limit)
    drop_frac = st.block_prob
    if timeout_ms is not None and st.wait_prob > 0.0:
        if smooth:
            drain = st.wait_prob / st.mean_wait  # the exponential wait's rate
        else:
            # The M/M/c wait tail, stretched by Allen-Cunneen's factor.
            drain = ((c * mu - lam_i) if limit is None else c * mu) * 2.0 / (ca2 + 1.0)
        tail = st.wait_prob * math.exp(-drain * timeout_ms / 1000.0)
        drop_frac += (1.0 - drop_frac) * tail
    w, v = st.mean_response, st.response_var
    if smooth:
        p95 = partial(_mixture_p95_ms, mu, st.wait_prob, st.mean_wait)
    elif limit is None and timeout_ms is None and abs(ca2 - 1.0) < 1e-9:
        p95 = partial(_response_p95_ms, lam_i, mu, c)
    else:
        p95 = gamma_p95_ms(w, v)
    util = st.rho
    # Whitt's QNA departure variability for exponential service (cs2 = 1).
    cd2 = 1.0 + (1.0 - util * util) * (ca2 - 1.0)
    return drop_frac, w, v, p95, util, cd2


def _mixture_p95_ms(mu: float, wait_prob: float, mean_wait: float) -> float:
    if wait_prob <= 0.0:
        return -math.log(0.05) / mu * 1000.0
    return wait_mixture_percentile(0.95, mu, wait_prob / mean_wait, wait_prob) * 1000.0


def _response_p95_ms(lam: float, mu: float, c: int) -> float:
    return response_percentile(0.95, lam, mu, c) * 1000.0


def _abandoning(lam_i: float, mu: float, c: int, ca2: float, timeout_s: float, smooth: bool,
                ) -> tuple[float, float, float, Callable[[], float], float, float]:  # fmt: skip
    """Requests that have waited ``timeout_s`` give up and take no service: M/M/c+D.

    Arrivals smoother than Poisson (dealt in turn) are solved as GI/M/c+D
    (renewal_patience.py); burstier ones are taken as Poisson (docs/model.md).
    """
    if smooth:
        st = gimc_patience(lam_i, mu, c, ca2, timeout_s)
    else:
        st = mmc_patience(lam_i, mu, c, timeout_s)
    gives_up = st.block_prob
    w, v = st.mean_response, st.response_var
    util = lam_i * (1.0 - gives_up) / (c * mu)
    cd2 = 1.0 + (1.0 - util * util) * (ca2 - 1.0)
    return gives_up, w, v, gamma_p95_ms(w, v), util, cd2


def _limited_abandoning(
    lam_i: float, mu: float, c: int, ca2: float, limit: int, timeout_s: float
) -> tuple[float, float, float, Callable[[], float], float, float]:
    """At most ``limit`` wait and those that have waited ``timeout_s`` give up: M/M/c/K+D.
    The blocked and those giving up are the drop fraction; latency is the served's."""
    st = mmck_patience(lam_i, mu, c, limit, timeout_s).stats
    w, v = st.mean_response, st.response_var
    util = st.rho
    cd2 = 1.0 + (1.0 - util * util) * (ca2 - 1.0)
    return st.block_prob, w, v, gamma_p95_ms(w, v), util, cd2
