"""Timeouts as abandonment (M/M/c+D): requests that have waited ``timeout_ms`` give up.

Two steps of proof: the closed form (``simulation.patience``) against a per-request
simulation (``patience_sim``) at points across the range, and the engine's node numbers
against the closed form over utilisation 0.5 .. 1.3 on 1, 4 and 16 servers. Requests
dealt in turn (GI/M/c+D) are checked in test_smooth_timeouts.py.
"""

from __future__ import annotations

import pytest

from simulation import Engine
from simulation.patience import mmc_patience

from .designs import single_server
from .patience_sim import simulate

MU = 100.0  # 10 ms service


@pytest.mark.parametrize(
    ("c", "rho", "timeout"),
    [(1, 0.5, 0.05), (1, 0.9, 0.1), (1, 1.3, 0.05), (4, 0.9, 0.05), (4, 1.1, 0.05),
     (16, 1.0, 0.02), (16, 1.3, 0.05)],
)  # fmt: skip
def test_the_closed_form_matches_a_per_request_simulation(c: int, rho: float, timeout: float):
    """Give-up share, served mean response and busy share within 5% (plus 0.002 absolute
    on shares, for the small ones: the simulation's sampling error, see patience_sim)."""
    lam = rho * c * MU
    exact = mmc_patience(lam, MU, c, timeout)
    sim = simulate(lam, MU, c, timeout, requests=200_000, seed=3)
    assert exact.block_prob == pytest.approx(sim["gave_up"], rel=0.05, abs=0.002)
    assert exact.mean_response == pytest.approx(sim["mean"], rel=0.05)
    assert exact.rho == pytest.approx(sim["rho"], rel=0.05)


@pytest.mark.parametrize("c", [1, 4, 16])
@pytest.mark.parametrize("rho", [0.5, 0.7, 0.9, 0.97, 1.0, 1.03, 1.1, 1.3])
def test_the_engine_gives_the_closed_forms_numbers_at_every_load(c: int, rho: float):
    """Errors, the served requests' latency and utilisation are M/M/c+D's, continuous
    through capacity (no switch to another regime at rho = 1)."""
    timeout_ms = 50.0
    doc = single_server(rps=rho * c * MU, service_ms=1000.0 / MU, concurrency=c)
    doc["components"][1]["params"]["timeout_ms"] = timeout_ms
    engine = Engine(doc, {"duration_s": 600})
    frames = [engine.step() for _ in range(30)]
    exact = mmc_patience(rho * c * MU, MU, c, timeout_ms / 1000.0)
    for frame in (frames[0], frames[29]):
        node = frame.nodes["web"]
        assert frame.globals["error_rate"] == pytest.approx(exact.block_prob, rel=1e-6, abs=1e-9)
        assert node.lat == pytest.approx(exact.mean_response * 1000.0, rel=1e-6)
        assert node.util == pytest.approx(exact.rho, rel=1e-6)
        assert node.queued == 0.0
