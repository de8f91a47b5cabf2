"""No knife edge at arrival rate = capacity (issue 13, item 3).

Rates at capacity * (0.98 .. 1.02) for limited and unlimited queues, with and without a
timeout, on 1, 4 and 16 servers: every output is continuous through rho = 1, and agrees
with M/M/c/K's closed form (limited queues) or an event-by-event simulation of the queue
started empty (``edge_reference``: unlimited queues, which at capacity grow as a random
walk).
"""

from __future__ import annotations

import math

import pytest

from simulation import Engine
from simulation.diffusion import FLUID, equivalent_age, expected_length, length_variance, step

from .designs import single_server
from .edge_reference import transient

FACTORS = (0.98, 0.99, 0.999, 1.0, 1.001, 1.01, 1.02)
MU = 100.0  # service_ms = 10
OUTPUTS = ("drops", "served", "lat", "p95", "util", "queued")


def outputs(servers: int, factor: float, ticks: int, limit=None, timeout_ms=None) -> dict:
    """The web node's outputs after ``ticks`` seconds at ``factor`` x capacity."""
    doc = single_server(rps=factor * servers * MU, concurrency=servers, service_ms=10.0,
                        queue_limit=limit)  # fmt: skip
    doc["components"][1]["params"]["timeout_ms"] = timeout_ms
    engine = Engine(doc, {"duration_s": 1000})
    for _ in range(ticks):
        node = engine.step().nodes["web"]
    return {
        "drops": node.dropped / node.offered,
        "served": node.served / node.offered,
        "lat": node.lat,
        "p95": node.p95,
        "util": node.util,
        "queued": node.queued,
    }


def assert_no_jump(
    series: dict[float, dict], two_sided: bool = True, from_below: tuple = OUTPUTS
) -> None:
    """The steps into and out of rho = 1 (0.999 -> 1.0 -> 1.001) are no bigger than the
    spread of the neighbours (0.99, 0.999, 1.001, 1.01; only those above capacity when not
    ``two_sided``), for every output. ``queued`` is checked from above only: below
    capacity the steady state's own queue is not shown as queued (docs/model.md)."""
    for key in OUTPUTS:
        x = {f: series[f][key] for f in series}
        both = two_sided and key != "queued" and key in from_below
        side = (0.99, 0.999, 1.001, 1.01) if both else (1.001, 1.01, 1.02)
        spread = max(x[f] for f in side) - min(x[f] for f in side)
        jump = abs(x[1.001] - x[1.0])
        if both:
            jump = max(jump, abs(x[1.0] - x[0.999]))
        assert jump <= spread + 1e-9 + 1e-6 * abs(x[1.0]), (key, x)


# --- the random walk ----------------------------------------------------------------------


def _max_tail_moments(m: float, s2: float, t: float) -> tuple[float, float]:
    """E and Var of the free walk's maximum by integrating its tail numerically."""
    s = math.sqrt(s2 * t)
    step = s * 1e-3
    m1 = m2 = 0.0
    x = step / 2
    while x < abs(m) * t + 40 * s:
        above = 0.5 * math.erfc((x - m * t) / s / math.sqrt(2))
        above += math.exp(min(2 * m * x / s2, 700)) * 0.5 * math.erfc((x + m * t) / s / 2**0.5)
        m1 += above * step
        m2 += 2 * x * above * step
        x += step
    return m1, m2 - m1 * m1


@pytest.mark.parametrize("a", [0.0, 1e-5, 0.3, 1.0, 3.0, -1.0])
def test_the_walks_moments_match_its_maximums_tail(a: float):
    """Reflected Brownian motion's mean and variance from empty (closed forms) equal the
    numerically integrated moments of the free walk's maximum (time reversal), 1e-5."""
    s2, t = 200.0, 100.0
    m = a * math.sqrt(s2 / t)
    mean, var = _max_tail_moments(m, s2, t)
    got = expected_length(m, s2, t)
    assert got == pytest.approx(mean, rel=1e-5)
    assert length_variance(m, s2, t, got) == pytest.approx(var, rel=1e-5)


# --- continuity -------------------------------------------------------------------------


@pytest.mark.parametrize("servers", [1, 4, 16])
@pytest.mark.parametrize("ticks", [1, 10, 60])
@pytest.mark.parametrize("limit", [10, 100])
def test_a_limited_queue_is_continuous_through_capacity(servers: int, ticks: int, limit: int):
    """A limited queue is M/M/c/K on both sides of capacity once its walk has reached
    M/M/c/K's mean queue, so nothing jumps at rho = 1. With 100 places per instance that
    takes the walk a few ticks (tens on one server); until then it is continuous from
    capacity up."""
    series = {f: outputs(servers, f, ticks, limit=limit) for f in FACTORS}
    settled = series[1.0]["drops"] > 0.0
    assert settled == (limit == 10 or (ticks >= 10 and servers > 1) or ticks == 60)
    assert_no_jump(series, two_sided=settled)


@pytest.mark.parametrize("servers", [1, 4, 16])
@pytest.mark.parametrize("ticks", [1, 10, 60])
@pytest.mark.parametrize("timeout_ms", [None, 500])
def test_an_unlimited_queue_is_continuous_through_capacity(
    servers: int, ticks: int, timeout_ms: float | None
):
    """An unlimited queue started empty is one random walk on both sides of capacity
    (climbing towards its steady state below it, approach.py): no jump in the mean and
    p95 latency between 0.999, 1.0, 1.001 and 1.01 from the fifth tick, and none in any
    output from capacity up. Not checked from below: the first tick (at capacity the
    requests completing in it, below it the mean over its arrivals: 12% apart on one
    server), and served and utilisation (below capacity the queue's build-up is not
    taken from what is served: docs/model.md). With a timeout it is M/M/c+D at every
    load, which has no edge."""
    series = {f: outputs(servers, f, ticks, timeout_ms=timeout_ms) for f in FACTORS}
    if timeout_ms is not None:
        assert_no_jump(series)
    else:
        assert_no_jump(series, from_below=("lat", "p95") if ticks >= 5 else ())
    assert series[1.0]["lat"] > 10.0 * (1.0 + 0.5 * math.sqrt(ticks) / servers)


# --- against the references ---------------------------------------------------------------


def _mmck_at_capacity(c: int, k: int) -> tuple[float, float]:
    """M/M/c/K at lam = c mu (rho = 1), summed directly: p_j ~ c^j / j! up to c, then flat.
    Returns (blocking probability, mean response in s)."""
    weights = [c**j / math.factorial(j) for j in range(c + 1)]
    weights += [weights[c]] * k
    total = sum(weights)
    p = [x / total for x in weights]
    block = p[-1]
    lam = c * MU
    in_system = sum(j * pj for j, pj in enumerate(p))
    return block, in_system / (lam * (1.0 - block))


@pytest.mark.parametrize("servers", [1, 4, 16])
@pytest.mark.parametrize("ticks", [1, 30])
def test_a_small_limited_queue_at_capacity_is_mmck(servers: int, ticks: int):
    """rho = 1 with 10 places: drops and mean response are M/M/c/K's (closed form at
    rho = 1, 1e-9) from the first tick, e.g. 1/12 blocked on one server."""
    block, response = _mmck_at_capacity(servers, 10)
    got = outputs(servers, 1.0, ticks, limit=10)
    assert got["drops"] == pytest.approx(block, rel=1e-9)
    assert got["lat"] / 1000.0 == pytest.approx(response, rel=1e-9)
    assert got["util"] == pytest.approx(1.0 - block, rel=1e-9)


@pytest.mark.parametrize("servers", [1, 4])
def test_a_small_limited_queue_blocks_as_simulated(servers: int):
    """Event by event from empty, 10 s at rho = 1: the last second's blocked fraction and
    mean response agree with the engine's within 3 standard errors plus 3%."""
    ref = transient(servers * MU, MU, servers, 10.0, reps=60, seed=3, limit=10)
    got = outputs(servers, 1.0, 10, limit=10)
    tol = 3 * ref.blocked.stderr + 0.03 * ref.blocked.mean
    assert got["drops"] == pytest.approx(ref.blocked.mean, abs=tol)
    tol = 3 * ref.response.stderr + 0.03 * ref.response.mean
    assert got["lat"] / 1000.0 == pytest.approx(ref.response.mean, abs=tol)


@pytest.mark.parametrize(
    ("servers", "factor", "seconds", "reps"),
    [(1, 1.0, 10, 400), (1, 1.01, 30, 200), (4, 1.0, 10, 150), (16, 1.0, 5, 60)],
)
def test_an_unlimited_queue_at_capacity_grows_as_simulated(
    servers: int, factor: float, seconds: int, reps: int
):
    """Event by event from empty: the queue after ``seconds`` and the last second's mean
    response agree with the engine's within 3 standard errors plus 5% (the standard
    error is 4-8% of the mean; the walk's spread is about 0.6 of its mean)."""
    lam = factor * servers * MU
    ref = transient(lam, MU, servers, float(seconds), reps=reps, seed=11)
    got = outputs(servers, factor, seconds)
    tol = 3 * ref.waiting.stderr + 0.05 * ref.waiting.mean
    assert got["queued"] == pytest.approx(ref.waiting.mean, abs=tol)
    tol = 3 * ref.response.stderr + 0.05 * ref.response.mean
    assert got["lat"] / 1000.0 == pytest.approx(ref.response.mean, abs=tol)
    # The p95 (a gamma law with the walk's and the waits' spread) within 12%: the
    # reference's own p95 moves 5-10% between seeds.
    assert got["p95"] / 1000.0 == pytest.approx(ref.p95, rel=0.12)


def test_the_walks_fluid_shortcut_agrees_with_the_closed_form():
    """Far above capacity ``step`` takes the fluid plus its offset; on both sides of where
    it switches, mean and variance agree with the closed form to 1e-9."""
    m, s2, dt = 5.0, 200.0, 1.0
    for length in (FLUID * s2 / m * 0.999, FLUID * s2 / m * 1.001):
        mean, var = step(m, s2, length, dt)
        age = equivalent_age(m, s2, length) + dt
        exact = expected_length(m, s2, age)
        assert mean == pytest.approx(exact, rel=1e-9)
        assert var == pytest.approx(length_variance(m, s2, age, exact), rel=1e-9)
