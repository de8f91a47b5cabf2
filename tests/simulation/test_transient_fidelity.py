"""Transients: an overload and its drain, tick by tick, against a per-request simulation.

70 req/s for 60 s, 130 req/s for 60 s, then 70 req/s again, on 100 req/s of capacity (one
server of 10 ms, four of 40 ms, and one server with a 500-place queue). Each tick's mean
and p99 are those of the requests completing in it (``transient_sim``, 300 seeds pooled;
100 for the limited queue), against the engine's frame (its mean, and the p99 of its
gamma law).
"""

from __future__ import annotations

import math
from functools import cache

import pytest

from simulation import Engine
from simulation.backlog_log import gamma_var_for_p99
from simulation.latency import gamma_quantile

from .designs import single_server
from .transient_sim import simulate

RATES = (70.0, 130.0, 70.0)
PHASES = ((60.0, RATES[0]), (120.0, RATES[1]), (1e9, RATES[2]))
HORIZON = 220
SEEDS = 300
LIMITED_SEEDS = 100  # the limited queue is held through its fluid drain only


@cache
def engine_series(c: int, service_ms: float, queue_limit: int | None = None) -> list:
    """Per tick: the web node's (mean s, p99 s) through the overload and its drain."""
    doc = single_server(rps=RATES[0], service_ms=service_ms, concurrency=c,
                        queue_limit=queue_limit)  # fmt: skip
    traffic = [{"at": 60, "source": "users", "rps": RATES[1]},
               {"at": 120, "source": "users", "rps": RATES[2]}]  # fmt: skip
    engine = Engine(doc, {"duration_s": HORIZON, "traffic": traffic})
    out = []
    for _ in range(HORIZON):
        node = engine.step().nodes["web"]
        mean = node.lat / 1000.0
        out.append((mean, gamma_quantile(0.99, mean, node.var)))
    return out


def reference(c: int, service_ms: float, queue_limit: int | None = None,
              seeds: int = SEEDS) -> tuple:  # fmt: skip
    return simulate(PHASES, c, 1000.0 / service_ms, queue_limit, seeds, float(HORIZON))


def errors(c: int, service_ms: float, ticks: range, queue_limit=None,
           seeds: int = SEEDS) -> list[tuple]:  # fmt: skip
    """(tick, mean's relative error, p99's relative error) over ``ticks``."""
    ref = reference(c, service_ms, queue_limit, seeds)
    got = engine_series(c, service_ms, queue_limit)
    return [(k, got[k][0] / ref[k][0] - 1.0, got[k][1] / ref[k][1] - 1.0) for k in ticks]


# The drain's last seconds and its tail are decided by the few runs whose queue is
# still there, so their simulated mean needs many runs: with 100 it is 15-35% above
# that of 3000 runs at 182-189 s, with 300 within about 10% (the engine is within 3% of
# 3000 runs to 189 s at one server). The mean is held to 10% to 188 s: past it the
# excess wait is a few ms and 300 runs' mean is 9% off at 189 s (docs/model.md,
# "Transients").
LAST_MEAN = 188


@pytest.mark.parametrize(("c", "service_ms"), [(1, 10.0), (4, 40.0)])
def test_each_ticks_latency_is_that_of_the_requests_completing_in_it(c: int, service_ms: float):
    """From the overload's first second to the tail's end (at 192 s; past it, steady
    ticks, whose simulated p99 carries 10-15% of sampling error, are checked against the
    closed form below): the p99 within 20% of the simulation, and the mean within 10%
    from the third second through the drain and its tail (to 188 s). The old
    latency (that of the requests arriving in the tick) peaked at the overload's end, 18
    s early, 30% too high in its middle, and fell to the steady state as the backlog
    emptied."""
    for k, mean_err, p99_err in errors(c, service_ms, range(60, 192)):
        if 62 <= k <= LAST_MEAN:  # at 60-61 s: 5-8% high against 300 runs (4 servers)
            assert abs(mean_err) <= 0.10, (k, mean_err)
        assert abs(p99_err) <= 0.20, (k, p99_err)


@pytest.mark.parametrize(("c", "service_ms"), [(1, 10.0), (4, 40.0)])
def test_the_peak_is_when_the_last_overload_arrivals_leave(c: int, service_ms: float):
    """The latency peaks about 18 s after the arrivals fall (their wait), as simulated."""
    ref = reference(c, service_ms)
    got = engine_series(c, service_ms)
    peak_ref = max(range(HORIZON), key=lambda k: ref[k][0])
    peak_got = max(range(HORIZON), key=lambda k: got[k][0])
    assert peak_ref >= 135
    assert abs(peak_got - peak_ref) <= 2


def test_the_drains_tail_fades_over_seconds():
    """After the fluid backlog is gone (at 180 s) the p99 stays seconds long for several
    ticks, as in the simulation, and is back to the steady state within 20 s."""
    ref = reference(1, 10.0)
    got = engine_series(1, 10.0)
    steady = got[30][1]
    for k in range(181, 189):
        assert ref[k][1] > 5.0 * steady
        assert got[k][1] == pytest.approx(ref[k][1], rel=0.2)
    assert got[200][1] == pytest.approx(steady, rel=0.01)
    assert steady == pytest.approx(math.log(100.0) / (100.0 - 70.0), rel=1e-6)  # M/M/1


def test_a_limited_queue_through_its_overload_and_drain():
    """A 500-place queue fills, blocks (M/M/c/K) and drains: mean within 10% and p99
    within 20% of the simulation from the overload's first second to the drain's last
    three seconds (there the p99 is up to 30% high: the walk's spread, grown from a full
    queue's, is overstated)."""
    for k, mean_err, p99_err in errors(1, 10.0, range(60, 134), queue_limit=500,
                                       seeds=LIMITED_SEEDS):  # fmt: skip
        assert abs(mean_err) <= 0.10, (k, mean_err)
        assert abs(p99_err) <= 0.20, (k, p99_err)


@pytest.mark.parametrize("shape", [0.05, 0.3, 1.0, 4.0, 50.0])
def test_the_gamma_fitted_to_a_mean_and_p99_has_that_p99(shape: float):
    """Both ways of fitting (bisection below shape 1, the Wilson-Hilferty cube above)."""
    mean = 2.0
    p99 = gamma_quantile(0.99, mean, mean * mean / shape)
    var = gamma_var_for_p99(mean, p99)
    assert gamma_quantile(0.99, mean, var) == pytest.approx(p99, rel=0.01)
    assert gamma_var_for_p99(mean, 0.9 * mean) is None


def test_the_log_is_kept_only_while_a_backlog_or_its_tail_lasts():
    """No per-node history in steady ticks: none before the overload, one during it and
    its tail, none once the tail has faded."""
    doc = single_server(rps=RATES[0])
    traffic = [{"at": 5, "source": "users", "rps": 130.0}, {"at": 10, "source": "users",
                                                             "rps": 70.0}]  # fmt: skip
    engine = Engine(doc, {"duration_s": 60, "traffic": traffic})
    web = engine.model.index["web"]
    held = []
    for _ in range(60):
        engine.step()
        held.append(engine.state.backlog_log[web] is not None)
    assert not any(held[:5])
    assert all(held[5:20])
    assert not any(held[40:])
