"""Timeouts with requests dealt in turn (GI/M/c+D, gamma gaps with ca2 = 1/k).

The engine's node numbers against a per-request simulation of abandonment
(``patience_sim`` with ``ca2``; 200,000 requests: shares and means to about 1-3%, one
standard error, the most near capacity; at utilisation 1 on 16 servers the run-to-run
scatter is about 4% on the mean and 15% on the share, so no point sits there) at points
over 1, 4 and 16 servers, Erlang-2 .. Erlang-16 gaps and utilisation 0.5 .. 1.3. The
earlier rule (M/M/c+D at an equivalent rate) overstated the share giving up by 20-75%
at these points.
"""

from __future__ import annotations

from functools import cache

import pytest

from simulation.renewal_patience import gimc_patience
from simulation.steady import node_steady_state

from .patience_sim import simulate

MU = 100.0  # 10 ms service
TIMEOUT = 0.05

POINTS = [(1, 2, 0.9), (1, 4, 0.9), (1, 16, 1.0), (1, 4, 1.3), (1, 8, 0.7), (4, 4, 1.0),
          (4, 8, 1.1), (16, 2, 1.3), (16, 16, 1.1), (16, 4, 1.05)]  # fmt: skip


@cache
def _sim(c: int, k: int, rho: float) -> dict:
    return simulate(rho * c * MU, MU, c, TIMEOUT, requests=200_000, seed=5, ca2=1.0 / k)


@pytest.mark.parametrize(("c", "k", "rho"), POINTS)
def test_dealt_in_turn_with_a_timeout_matches_a_per_request_simulation(c, k, rho):
    """Served mean response and utilisation within 3%; the share giving up within 8%
    (the model's 5% and about two standard errors of the simulation near capacity),
    plus 0.002 absolute for the small ones (below 0.02 the model runs up to about 15%
    low, docs/model.md "Timeouts")."""
    sim = _sim(c, k, rho)
    share, w, _var, _p95, util, _cd2 = node_steady_state(rho * c * MU, MU, c, 1.0 / k,
                                                         None, TIMEOUT * 1000.0)  # fmt: skip
    assert share == pytest.approx(sim["gave_up"], rel=0.08, abs=0.002)
    assert w == pytest.approx(sim["mean"], rel=0.03)
    assert util == pytest.approx(sim["rho"], rel=0.03)


@pytest.mark.parametrize(("c", "k"), [(1, 2), (4, 8), (16, 16)])
def test_it_is_continuous_through_capacity_and_rises_with_load(c, k):
    """No jump at rho = 1 (the wait's shape changes root there), and the give-up share
    grows with load."""
    cmu = c * MU
    below = gimc_patience(cmu * (1 - 1e-9), MU, c, 1.0 / k, TIMEOUT)
    above = gimc_patience(cmu * (1 + 1e-9), MU, c, 1.0 / k, TIMEOUT)
    assert below.block_prob == pytest.approx(above.block_prob, rel=1e-5)
    assert below.mean_response == pytest.approx(above.mean_response, rel=1e-5)
    shares = [gimc_patience(r * cmu, MU, c, 1.0 / k, TIMEOUT).block_prob
              for r in (0.5, 0.8, 0.95, 1.0, 1.05, 1.2, 1.5, 3.0)]  # fmt: skip
    assert shares == sorted(shares)


@pytest.mark.parametrize("k", [4, 8])
def test_at_capacity_on_four_servers_the_share_giving_up_is_within_five_percent(k):
    """Exactly at capacity one run's share scatters by several percent (the queue
    wanders for long: 200,000 requests of seed 11 once read 10% above the model), so
    the reference is the mean of four runs of 500,000 requests (about 1% standard
    error); the model's goal, 5%, holds against it."""
    lam = 4 * MU
    runs = [simulate(lam, MU, 4, TIMEOUT, requests=500_000, seed=seed, ca2=1.0 / k)
            for seed in (1, 2, 3, 4)]  # fmt: skip
    reference = sum(run["gave_up"] for run in runs) / len(runs)
    share = node_steady_state(lam, MU, 4, 1.0 / k, None, TIMEOUT * 1000.0)[0]
    assert share == pytest.approx(reference, rel=0.05)
