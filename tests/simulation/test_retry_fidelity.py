"""Retries: the engine's retry multiplier and retry storms against a per-request simulation.

The multiplier (attempts sent / new requests) at steady loads across utilisation
0.5 .. 1.2 and 1 .. 5 retries, and a storm: a 10-s spike tips a server whose clients
retry at once into an overload that outlasts the spike (wasted work on requests whose
clients gave up), while back-off with a breaker, or a queue limit, recovers. The
reference is ``retry_sim`` (seeded; its sampling error is stated there).
"""

from __future__ import annotations

from functools import cache

import pytest

from simulation import Engine

from .designs import single_server
from .retry_sim import simulate

# --- steady loads --------------------------------------------------------------------

# (utilisation of the new requests alone, servers, service ms, queue limit, deadline s,
# retries): failures from full queues (utilisation up to 1.2) and from deadlines.
STEADY = [
    (0.5, 2, 20.0, 2, 1.0, 1),
    (0.8, 2, 20.0, 4, 1.0, 3),
    (0.9, 1, 10.0, 5, 1.0, 4),
    (1.0, 2, 20.0, 8, 1.0, 5),
    (1.1, 8, 50.0, 5, 1.0, 3),
    (1.2, 2, 20.0, 8, 1.0, 2),
    (1.2, 4, 40.0, 4, 1.0, 5),
    (0.5, 1, 10.0, None, 0.05, 1),
    (0.5, 4, 40.0, None, 0.15, 2),
]
BACKOFF_S = 1.0  # with full jitter: retries meet a queue independent of the first try


def engine_multiplier(lam: float, c: int, service_ms: float, limit, deadline: float, r: int,
                      backoff: float = BACKOFF_S) -> float:  # fmt: skip
    """Attempts sent per new request over the last 40 of 100 s, full jitter."""
    doc = single_server(rps=lam, service_ms=service_ms, concurrency=c, queue_limit=limit)
    doc["components"][0]["params"].update(
        timeout_ms=deadline * 1000.0, retries=r, backoff_ms=backoff * 1000.0, jitter=1.0
    )
    engine = Engine(doc, {"duration_s": 100})
    offered = [engine.step().globals["offered_rps"] for _ in range(100)]
    return sum(offered[60:]) / 40 / lam


@pytest.mark.parametrize(("rho", "c", "service_ms", "limit", "deadline", "r"), STEADY)
def test_the_retry_multiplier_matches_a_per_request_simulation(
    rho: float, c: int, service_ms: float, limit, deadline: float, r: int
):
    """Attempts per new request within 10% (measured: within 3%, 6% for one server with
    a 50 ms deadline, where the simulation's queue now and then tips into short storms)."""
    lam = rho * c * 1000.0 / service_ms
    ref = simulate([(300.0, lam)], 1000.0 / service_ms, c, deadline=deadline, retries=r,
                   queue_limit=limit, backoff=BACKOFF_S, jitter=1.0, seed=4)  # fmt: skip
    expected = sum(ref["attempts"][40:]) / sum(ref["new"][40:])
    got = engine_multiplier(lam, c, service_ms, limit, deadline, r)
    assert got == pytest.approx(expected, rel=0.10)
    assert 1.0 <= got <= r + 1.0


# --- a storm ------------------------------------------------------------------------

# Eight servers of 50 ms (160 req/s), 120 req/s of new requests, a 10-s spike of +80.
C, SERVICE_MS, BASE, SPIKE, AT, UNTIL, END = 8, 50.0, 120.0, 80.0, 20, 30, 120
STORM = {"timeout_ms": 1000.0, "retries": 3}
CALM = {**STORM, "backoff_ms": 1000.0, "jitter": 1.0, "breaker_errors": 0.5,
        "breaker_open_s": 5.0}  # fmt: skip


@cache
def engine_run(policy: tuple, queue_limit: int | None = None) -> tuple[list, list]:
    doc = single_server(rps=BASE, service_ms=SERVICE_MS, concurrency=C, queue_limit=queue_limit)
    doc["components"][0]["params"].update(dict(policy))
    spike = {"source": "users", "at": AT, "duration_s": UNTIL - AT, "rps": SPIKE}
    scenario = {"duration_s": END, "spikes": [spike]}
    engine = Engine(doc, scenario)
    frames = [engine.step() for _ in range(END)]
    return [f.globals["offered_rps"] for f in frames], [f.globals["goodput_rps"] for f in frames]


@cache
def reference_run(policy: tuple, queue_limit: int | None = None) -> tuple[list, list]:
    p = dict(policy)
    breaker = (p["breaker_errors"], p["breaker_open_s"]) if "breaker_errors" in p else None
    out = simulate([(AT, BASE), (UNTIL, BASE + SPIKE), (END, BASE)], 1000.0 / SERVICE_MS, C,
                   deadline=p["timeout_ms"] / 1000.0, retries=p["retries"],
                   backoff=p.get("backoff_ms", 0.0) / 1000.0, jitter=p.get("jitter", 0.0),
                   queue_limit=queue_limit, breaker=breaker, seed=2)  # fmt: skip
    return out["attempts"], out["goodput"]


def mean(xs: list) -> float:
    return sum(xs) / len(xs)


def recovered_at(goodput: list) -> int:
    """The first second after the spike from which 5 s of goodput average 90% of the
    new requests."""
    for t in range(UNTIL, END - 5):
        if mean(goodput[t : t + 5]) >= 0.9 * BASE:
            return t
    return END


def test_aggressive_retries_keep_the_overload_after_the_spike_like_the_simulation():
    """60 s after the spike both still send about 1 + retries attempts per new request
    (within 15% of each other) and serve almost nothing in time."""
    for offered, goodput in (engine_run(tuple(STORM.items())), reference_run(tuple(STORM.items()))):
        late = slice(UNTIL + 60, UNTIL + 80)
        assert mean(offered[late]) >= 3.5 * BASE
        assert mean(goodput[late]) < 0.05 * BASE
        assert recovered_at(goodput) == END
    engine, reference = engine_run(tuple(STORM.items()))[0], reference_run(tuple(STORM.items()))[0]
    late = slice(UNTIL + 60, UNTIL + 80)
    assert mean(engine[late]) == pytest.approx(mean(reference[late]), rel=0.15)


@pytest.mark.parametrize(("policy", "limit"), [(CALM, None), (STORM, 40)])
def test_back_off_with_a_breaker_or_a_queue_limit_recovers_like_the_simulation(policy, limit):
    """Both recover within 10 s of the spike's end and within 5 s of each other, and
    serve the new requests in time for the rest of the run."""
    engine = engine_run(tuple(policy.items()), limit)
    reference = reference_run(tuple(policy.items()), limit)
    t_engine, t_reference = recovered_at(engine[1]), recovered_at(reference[1])
    assert t_engine <= UNTIL + 10
    assert t_reference <= UNTIL + 10
    assert abs(t_engine - t_reference) <= 5
    for offered, goodput in (engine, reference):
        assert mean(goodput[UNTIL + 20 :]) == pytest.approx(BASE, rel=0.05)
        assert mean(offered[UNTIL + 20 :]) == pytest.approx(BASE, rel=0.05)


def test_without_a_deadline_goodput_is_throughput_and_nothing_is_late():
    engine = Engine(single_server(rps=90.0), {"duration_s": 5})
    frame = engine.run()
    assert frame.globals["goodput_rps"] == frame.globals["throughput_rps"]
    assert frame.globals["late_rps"] == 0.0
    assert engine.retries is None


def test_a_deadline_splits_the_served_into_goodput_and_late():
    """One server of 10 ms at 80 req/s: the response time is exponential at rate 20/s,
    so exp(-20 x 0.05) = 37% of the served pass a 50-ms deadline (no retries)."""
    doc = single_server(rps=80.0)
    doc["components"][0]["params"]["timeout_ms"] = 50.0
    frame = Engine(doc, {"duration_s": 5}).run()
    g = frame.globals
    assert g["late_rps"] / g["throughput_rps"] == pytest.approx(0.3679, rel=0.02)
    assert g["goodput_rps"] + g["late_rps"] == pytest.approx(g["throughput_rps"])
    x = frame.nodes["users"].x
    assert x["late_rps"] == pytest.approx(g["late_rps"])
    assert x["gave_up_rps"] == pytest.approx(0.3679 * 80.0, rel=0.02)
    assert x["retry_rps"] == 0.0


@pytest.mark.parametrize(("jitter", "first_retry_tick"), [(0.0, 3), (0.5, 2), (1.0, 1)])
def test_retries_wait_their_back_off_spread_by_the_jitter(jitter: float, first_retry_tick: int):
    """Refused requests (no waiting room) are retried after 3 s, or a random share of it:
    with 1-s ticks the first retries come 3 ticks later without jitter, after 1.5 .. 3 s
    with half of it random, and in the next tick with full jitter (a wait from 0 s)."""
    doc = single_server(rps=50.0, queue_limit=0)
    doc["components"][0]["params"].update(retries=1, backoff_ms=3000.0, jitter=jitter)
    engine = Engine(doc, {"duration_s": 10})
    retried = [engine.step().nodes["users"].x["retry_rps"] for _ in range(6)]
    assert all(r == 0.0 for r in retried[:first_retry_tick])
    assert retried[first_retry_tick] > 0.0


def test_an_open_breaker_sends_nothing_and_fails_the_requests_at_once():
    """A client whose attempts are all but refused (no waiting room, a 10-s service)
    opens its breaker after the first tick; for breaker_open_s it sends nothing and
    gives up every new request, and the retries that fell due (not sent again)."""
    doc = single_server(rps=100.0, service_ms=10_000.0, queue_limit=0)
    doc["components"][0]["params"].update(retries=2, breaker_errors=0.5, breaker_open_s=3.0)
    engine = Engine(doc, {"duration_s": 10})
    frames = [engine.step() for _ in range(6)]
    users = [f.nodes["users"] for f in frames]
    assert users[0].offered == 100.0
    assert [u.x["breaker_open"] for u in users] == [0.0, 1.0, 1.0, 1.0, 0.0, 1.0]
    assert [u.offered for u in users[1:4]] == [0.0, 0.0, 0.0]
    assert users[1].x["gave_up_rps"] == pytest.approx(200.0, rel=0.01)  # + retries due
    assert [u.x["gave_up_rps"] for u in users[2:4]] == [100.0, 100.0]
    assert users[4].offered == 100.0  # closed again: it tries, fails, opens again
    assert [e["t"] for e in engine.events if e["kind"] == "breaker"] == [1.0, 5.0]
