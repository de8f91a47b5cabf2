"""An unlimited queue just below capacity climbs to its steady state (issue 13, item 3).

Started empty, a queue at ``rho`` 0.99 needs about 400 s to reach M/M/1's wait; before,
the engine showed that wait from the first tick (10 s at 0.999 on a 10 ms server, where
a real queue waits 0.08 s after one second). Checked against the event-by-event
reference from empty (``edge_reference``; its standard error, 3-10% of the mean here,
is part of each tolerance).
"""

from __future__ import annotations

import functools
import itertools

import pytest

from simulation import Engine
from simulation.approach import SETTLE_U
from simulation.diffusion import equivalent_age, expected_length
from simulation.queueing import mmc

from .designs import single_server
from .edge_reference import transient

MU = 100.0


def engine_at(rho: float, servers: int = 1) -> Engine:
    doc = single_server(rps=rho * servers * MU, concurrency=servers, service_ms=10.0)
    return Engine(doc, {"duration_s": 10_000})


def latency_after(rho: float, seconds: int, servers: int = 1) -> float:
    engine = engine_at(rho, servers)
    for _ in range(seconds):
        node = engine.step().nodes["web"]
    return node.lat / 1000.0


@functools.cache
def reference(rho: float, seconds: int, servers: int, reps: int):
    return transient(rho * servers * MU, MU, servers, float(seconds), reps=reps, seed=5)


@pytest.mark.parametrize(
    ("rho", "seconds", "servers", "reps"),
    [
        (0.9, 5, 1, 150),
        (0.97, 5, 1, 150),
        (0.99, 30, 1, 80),
        (0.999, 1, 1, 300),
        (0.999, 30, 1, 80),
        (0.99, 120, 1, 30),
        (0.99, 5, 4, 60),
    ],
)
def test_the_wait_climbs_as_simulated(rho: float, seconds: int, servers: int, reps: int):
    """The mean response after ``seconds`` from empty agrees with the reference's last
    second within 10% plus 2 standard errors (the steady state misses by 10x-40x at
    0.99 and 0.999)."""
    ref = reference(rho, seconds, servers, reps).response
    got = latency_after(rho, seconds, servers)
    assert got == pytest.approx(ref.mean, abs=0.10 * ref.mean + 2.0 * ref.stderr)


@pytest.mark.parametrize("rho", [0.1, 0.5, 0.7])
def test_a_node_far_below_capacity_is_steady_at_once(rho: float):
    """Relaxation well under a tick: M/M/1's numbers from the first tick, settled (no
    walk kept), and quiet ticks repeat."""
    engine = engine_at(rho)
    node = engine.step().nodes["web"]
    i = engine.model.index["web"]
    assert node.lat / 1000.0 == pytest.approx(mmc(rho * MU, MU, 1).mean_response, rel=1e-9)
    assert engine.state.settled_rho[i] == pytest.approx(rho)
    assert not engine.state.unsettled


def test_the_climb_settles_into_the_steady_state():
    """At 0.9 on one server the walk gets within 2% of its stationary mean in about 6 s;
    from then on the node shows M/M/1's wait exactly, and before that less of it."""
    engine = engine_at(0.9)
    steady = mmc(90.0, MU, 1).mean_response
    lats = [engine.step().nodes["web"].lat / 1000.0 for _ in range(10)]
    assert lats[0] < 0.6 * steady
    assert all(a < b for a, b in itertools.pairwise(lats[:5]))
    assert lats[-1] == pytest.approx(steady, rel=1e-12)
    assert not engine.state.unsettled


def test_a_load_step_climbs_from_where_the_queue_is():
    """Settled at 0.9, then 0.99: the wait starts from 0.9's and climbs (M/M/1 at 0.99
    waits 1 s, reached after minutes), never below where it was."""
    doc = single_server(rps=90.0, service_ms=10.0)
    traffic = [{"at": 20, "source": "users", "rps": 99.0}]
    engine = Engine(doc, {"duration_s": 10_000, "traffic": traffic})
    for _ in range(20):
        before = engine.step().nodes["web"].lat / 1000.0
    after = [engine.step().nodes["web"].lat / 1000.0 for _ in range(30)]
    assert before == pytest.approx(0.1, rel=1e-9)
    assert before <= after[0] < 0.2
    assert after[-1] < 0.7
    assert all(a <= b for a, b in itertools.pairwise(after))


@pytest.mark.parametrize("u", [0.001, 0.1, 1.0, 3.0, SETTLE_U])
@pytest.mark.parametrize(("m", "s2"), [(-0.1, 199.9), (-10.0, 190.0), (-48.0, 3152.0)])
def test_a_climbing_walks_age_is_found_again(m: float, s2: float, u: float):
    """With negative drift, the equivalent age of ``E R(t)`` is ``t`` again (1e-12), up
    to where the walk counts as settled."""
    t = u * s2 / (m * m)
    assert equivalent_age(m, s2, expected_length(m, s2, t)) == pytest.approx(t, rel=1e-12)
    assert expected_length(m, s2, t) < s2 / (-2.0 * m)
