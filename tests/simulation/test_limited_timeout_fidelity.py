"""A queue limit and a timeout together (M/M/c/K+D): at most K wait per instance, and
those that have waited T give up.

Two steps of proof, as for timeouts alone (test_timeout_fidelity.py): the closed form
(``simulation.patience.mmck_patience``) against a per-request simulation
(``patience_sim`` with ``limit``) at points across utilisation 0.5 .. 1.3, 1, 4 and 16
servers and queue limits from 1 to beyond the timeout's reach; then the engine's node
numbers against the closed form at every load (continuous through capacity). The old
rule (M/M/c/K plus the share of waits past T booked as dropped on arrival) fails the
first step.
"""

from __future__ import annotations

import math
from functools import cache
from itertools import pairwise

import pytest

from simulation import Engine
from simulation.patience import mmc_patience, mmck_patience
from simulation.queueing import mmck_unchecked

from .designs import single_server
from .patience_sim import simulate

MU = 100.0  # 10 ms service
T = 0.05  # 50 ms timeout

# (servers, limit, utilisation): the limit binding (1, 3), both binding (K near c mu T),
# and the timeout binding (K well above it), below, at and above capacity.
POINTS = [
    (1, 1, 0.5), (1, 3, 1.0), (1, 3, 1.3), (1, 10, 0.8), (1, 10, 1.3),
    (4, 3, 1.0), (4, 10, 0.5), (4, 10, 1.3), (4, 25, 1.3), (4, 40, 1.0), (4, 40, 1.3),
    (16, 10, 1.3), (16, 40, 0.8), (16, 40, 1.3), (16, 100, 1.1),
]  # fmt: skip


@cache
def reference(c: int, limit: int, rho: float) -> dict:
    """150,000 requests: shares good to about 0.006 absolute, the mean to about 1%."""
    return simulate(rho * c * MU, MU, c, T, requests=150_000, seed=3, limit=limit)


def close(model: float, sim: float, absolute: float = 0.006) -> bool:
    """Within 5%, or within ``absolute`` (a small share's sampling error)."""
    return abs(model - sim) <= max(0.05 * sim, absolute)


@pytest.mark.parametrize(("c", "limit", "rho"), POINTS)
def test_the_model_matches_a_per_request_simulation(c: int, limit: int, rho: float):
    """Blocked and given-up shares, the served mean response and the busy share within 5%
    (shares also within 0.006 absolute: the simulation's sampling error)."""
    lam = rho * c * MU
    model = mmck_patience(lam, MU, c, limit, T)
    sim = reference(c, limit, rho)
    assert close(model.blocked, sim["blocked"])
    assert close(model.gave_up, sim["gave_up"])
    assert model.stats.mean_response == pytest.approx(sim["mean"], rel=0.05)
    assert model.stats.rho == pytest.approx(sim["rho"], rel=0.05)


def old_rule(lam: float, c: int, limit: int) -> tuple[float, float, float]:
    """M/M/c/K, plus the share of waits past T booked as dropped on arrival; latency
    unconditioned, the servers as busy as M/M/c/K's (drops, mean, busy share)."""
    st = mmck_unchecked(lam, MU, c, limit)
    drops = st.block_prob
    if st.wait_prob > 0.0:
        drops += (1.0 - drops) * st.wait_prob * math.exp(-c * MU * T)
    return drops, st.mean_response, st.rho


def test_the_old_rule_fails_the_simulation():
    """The old rule is M/M/c/K, right where the limit binds alone; where the timeout
    binds (a limit above about c mu T) it misses the errors, latency or busy share."""
    misses = 0
    for c, limit, rho in POINTS:
        sim = reference(c, limit, rho)
        drops, mean, util = old_rule(rho * c * MU, c, limit)
        lost = sim["blocked"] + sim["gave_up"]
        if not (close(drops, lost) and close(mean, sim["mean"], 0) and close(util, sim["rho"], 0)):
            misses += 1
    assert misses >= 7


@pytest.mark.parametrize("c", [1, 4, 16])
def test_the_limits_are_the_known_queues(c: int):
    """A limit past the timeout's reach is M/M/c+D; a timeout far past the limit's wait
    is M/M/c/K."""
    for rho in (0.5, 1.0, 1.3):
        lam = rho * c * MU
        free = mmck_patience(lam, MU, c, 100_000, T).stats
        exact = mmc_patience(lam, MU, c, T)
        assert free.block_prob == pytest.approx(exact.block_prob, rel=1e-9, abs=1e-15)
        assert free.mean_response == pytest.approx(exact.mean_response, rel=1e-9)
        for limit in (0, 1, 5, 30):
            patient = mmck_patience(lam, MU, c, limit, 100.0)
            st = mmck_unchecked(lam, MU, c, limit)
            assert patient.blocked == pytest.approx(st.block_prob, rel=1e-9)
            assert patient.gave_up < 1e-12
            assert patient.stats.mean_response == pytest.approx(st.mean_response, rel=1e-9)
            assert patient.stats.response_var == pytest.approx(st.response_var, rel=1e-9)


@pytest.mark.parametrize("rho", [0.95, 1.0, 1.05])
def test_a_long_queue_is_solved_at_a_coarser_grain(rho: float):
    """A million places that fill before the 10 s timeout (10 us service): solved 500
    requests a step, it is M/M/c/K within 2% on the wait and 0.001 on the shares."""
    lam, mu, c, limit = rho * 2.0e5, 1.0e5, 2, 1_000_000
    out = mmck_patience(lam, mu, c, limit, 10.0)
    st = mmck_unchecked(lam, mu, c, limit)
    assert out.stats.mean_wait == pytest.approx(st.mean_wait, rel=0.02)
    assert out.blocked == pytest.approx(st.block_prob, abs=0.001)
    assert out.gave_up < 1e-9
    assert out.stats.rho == pytest.approx(st.rho, rel=0.002)


@pytest.mark.parametrize("c", [1, 4, 16])
@pytest.mark.parametrize("limit", [1, 10, 40])
def test_the_engine_gives_the_models_numbers_at_every_load(c: int, limit: int):
    """Errors (blocked plus given up), the served requests' latency and utilisation are
    M/M/c/K+D's from the first tick, continuous through capacity (no switch to a fluid or
    settled regime at rho = 1), with nothing shown queued."""
    near = []  # (errors, latency) at 0.99, 1.0 and 1.01
    for rho in (0.5, 0.9, 0.99, 1.0, 1.01, 1.1, 1.3):
        doc = single_server(rps=rho * c * MU, service_ms=1000.0 / MU, concurrency=c,
                            queue_limit=limit)  # fmt: skip
        doc["components"][1]["params"]["timeout_ms"] = T * 1000.0
        engine = Engine(doc, {"duration_s": 600})
        frames = [engine.step() for _ in range(10)]
        exact = mmck_patience(rho * c * MU, MU, c, limit, T).stats
        for frame in (frames[0], frames[9]):
            node = frame.nodes["web"]
            assert frame.globals["error_rate"] == pytest.approx(exact.block_prob, rel=1e-6)
            assert node.lat == pytest.approx(exact.mean_response * 1000.0, rel=1e-6)
            assert node.util == pytest.approx(exact.rho, rel=1e-6)
            assert node.queued == 0.0
        if 0.99 <= rho <= 1.01:
            near.append((frames[9].globals["error_rate"], frames[9].nodes["web"].lat))
    # No jump at capacity: the step from 0.99 to 1.0 is like the step from 1.0 to 1.01.
    (below, at), (_, above) = pairwise(near)
    for k in (0, 1):
        step_in, step_out = at[k] - below[k], above[k] - at[k]
        assert abs(step_in) <= 2.0 * abs(step_out) + 1e-9
        assert abs(step_out) <= 2.0 * abs(step_in) + 1e-9
