"""Writes lost on failover, at every write load (issue 13, item 9).

The writes a promoted replica lacks, against the per-request simulation of replication
in replication_sim.py: steady write loads from 0.1 to 0.95 of the replica's apply rate,
and a replica that has fallen behind (writes above its apply rate for a while) or is
catching up when the primary fails.
"""

from __future__ import annotations

import pytest

from simulation import Engine

from .replication_sim import at_failure, closed_form, stationary

APPLY = 100.0  # replica's apply_rps
DELAY_MS = 100.0  # replication_lag_ms: the one-way replication delay
FAIL_AT = 80


def replicated(rps: float, rates: list[tuple[float, float]] = ()) -> Engine:
    """Writes at ``rps`` through a web tier to a primary with one replica; the rate moves
    to each ``(at, rps)`` in turn; the primary fails at FAIL_AT, the replica is promoted
    1 s later."""
    components = [
        {"id": "users", "kind": "client",
         "params": {"rps": rps, "mix": {"read": 0.0, "write": 1.0, "static": 0.0, "job": 0.0}}},
        {"id": "web", "kind": "web_server", "params": {"instances": 4, "concurrency": 64}},
        {"id": "db", "kind": "database",
         "params": {"role": "primary", "concurrency": 64, "service_ms": 1.0, "failover_s": 1}},
        {"id": "db-r", "kind": "database",
         "params": {"role": "replica", "apply_rps": APPLY, "replication_lag_ms": DELAY_MS}},
    ]  # fmt: skip
    doc = {"format": 1, "name": "replicated", "description": "", "components": components,
           "links": [{"from": "users", "to": "web"}, {"from": "web", "to": "db"},
                     {"from": "db", "to": "db-r"}]}  # fmt: skip
    events = [{"at": at, "target": "users", "action": "set_rate", "rps": r} for at, r in rates]
    events.append({"at": FAIL_AT, "target": "db", "action": "fail"})
    return Engine(doc, {"faults": events})


def lost(engine: Engine) -> float:
    frames = [engine.step() for _ in range(FAIL_AT + 3)]
    return frames[-1].nodes["db"].x["lost_writes"]


# Write load (of the apply rate), and seconds simulated for a standard error under 3%.
STEADY = [(0.1, 2000), (0.3, 2000), (0.5, 2000), (0.7, 3000), (0.9, 6000), (0.95, 10000)]


@pytest.mark.parametrize(("load", "seconds"), STEADY)
def test_lost_writes_at_a_steady_write_load(load, seconds):
    """In transit (w x delay) plus the apply queue: within 3% of the simulation (whose
    standard error is at most 2.8% at 0.95) and of the closed form."""
    w = load * APPLY
    ref = stationary(w, DELAY_MS / 1000.0, APPLY, seconds)
    assert ref.stderr < 0.03 * ref.mean
    got = lost(replicated(w))
    assert got == pytest.approx(closed_form(w, DELAY_MS / 1000.0, APPLY), rel=1e-9)
    assert got == pytest.approx(ref.mean, rel=0.03, abs=3 * ref.stderr)


# A replica behind its primary when it fails: (case, the engine's rate changes, the
# simulation's phases). Writes run at half the apply rate outside the overloads.
BACKLOG = [
    ("20 s at 1.2x: 400 behind", [(60, 120.0)], [(60, 50.0), (20, 120.0)]),
    ("60 s at 1.5x, 10 s at 0.5x: catching up, 2500 behind",
     [(10, 150.0), (70, 50.0)], [(10, 50.0), (60, 150.0), (10, 50.0)]),
    ("20 s at 1.3x, 40 s at 0.5x: caught up 20 s ago",
     [(20, 130.0), (40, 50.0)], [(20, 50.0), (20, 130.0), (40, 50.0)]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "rates", "phases"), BACKLOG, ids=[b[0] for b in BACKLOG])
def test_lost_writes_with_a_backlog(case, rates, phases):
    """A replica behind its primary lacks its backlog plus the writes in transit: within
    5% of the simulation averaged over 200 failures (standard error under 2%)."""
    ref = at_failure(phases, DELAY_MS / 1000.0, APPLY, seeds=200)
    got = lost(replicated(50.0, rates))
    assert got == pytest.approx(ref.mean, rel=0.05, abs=3 * ref.stderr)
