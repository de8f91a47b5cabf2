"""Resizing a stateful tier behind ip_hash re-hashes users away from their sessions."""

from __future__ import annotations

import bisect
import hashlib
import math

import pytest

from simulation import Engine
from simulation.components.load_balancer import sessions_kept

SESSIONS = 10_000


def sticky_tier(
    instances: int = 4,
    hashing: str = "modulo",
    stateful: bool = True,
    algorithm: str = "ip_hash",
    web: dict | None = None,
    rps: float = 200.0,
) -> dict:
    """Users -> one balancer -> a web tier that starts new instances at once."""
    return {
        "format": 1,
        "name": "sticky tier",
        "components": [
            {"id": "users", "kind": "client", "params": {"rps": rps, "sessions": SESSIONS}},
            {"id": "lb", "kind": "load_balancer",
             "params": {"algorithm": algorithm, "hashing": hashing}},
            {"id": "web", "kind": "web_server",
             "params": {"instances": instances, "stateful": stateful, "provision_s": 0,
                        **(web or {})}},
        ],
        "links": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "web"}],
    }  # fmt: skip


def scaled_at_5(doc: dict, instances: int, ticks: int = 10) -> tuple[Engine, list]:
    engine = Engine(doc, {"faults": [{"at": 5, "action": "scale", "target": "web",
                                      "instances": instances}]})  # fmt: skip
    return engine, [engine.step() for _ in range(ticks)]


def lost_events(engine: Engine) -> list[dict]:
    return [e for e in engine.events if e["kind"] == "sessions_lost"]


# --- the formula -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "modulo", "consistent"),
    [
        (4, 5, 0.2, 0.8),
        (5, 4, 0.2, 0.8),
        (4, 8, 0.5, 0.5),
        (2, 3, 1 / 3, 2 / 3),
        (6, 4, 1 / 3, 2 / 3),
        (3, 3, 1.0, 1.0),
    ],
)
def test_sessions_kept_by_each_hashing(before, after, modulo, consistent):
    """modulo keeps min/lcm of the users; consistent keeps all but the resized share."""
    assert sessions_kept(before, after, "modulo") == pytest.approx(modulo)
    assert sessions_kept(before, after, "consistent") == pytest.approx(consistent)


@pytest.mark.parametrize(("before", "after"), [(4, 5), (5, 4), (3, 7), (6, 9), (10, 1)])
def test_modulo_share_matches_counting_hashes(before, after):
    """Over every hash in lcm(before, after) periods, the ones kept match min/lcm exactly."""
    hashes = range(math.lcm(before, after) * 7)
    kept = sum(1 for h in hashes if h % before == h % after) / len(hashes)
    assert sessions_kept(before, after, "modulo") == pytest.approx(kept, rel=1e-12)


def _ring_owner(ring: list[tuple[int, int]], key: int) -> int:
    points = [point for point, _ in ring]
    return ring[bisect.bisect(points, key) % len(ring)][1]


def _ring(servers: int, vnodes: int = 400) -> list[tuple[int, int]]:
    return sorted((_hash(f"server-{s}-{v}"), s) for s in range(servers) for v in range(vnodes))


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


@pytest.mark.parametrize(("before", "after"), [(4, 5), (5, 4), (2, 3)])
def test_consistent_share_matches_a_hash_ring(before, after):
    """A ring with many virtual nodes per server moves about |b - a| / max(a, b) of users."""
    old, new = _ring(before), _ring(after)
    users = [_hash(f"user-{u}") for u in range(20_000)]
    kept = sum(1 for u in users if _ring_owner(old, u) == _ring_owner(new, u)) / len(users)
    assert kept == pytest.approx(sessions_kept(before, after, "consistent"), abs=0.03)


# --- the engine --------------------------------------------------------------------------


def test_scaling_out_with_modulo_hashing_loses_most_sessions_for_one_tick():
    """4 -> 5 instances under hash mod n: 80% of sessions are lost and 80% of requests fail."""
    engine, frames = scaled_at_5(sticky_tier(), 5)
    assert [f.globals["error_rate"] for f in frames[:5]] == [0.0] * 5
    assert frames[5].globals["error_rate"] == pytest.approx(0.8)
    assert frames[5].nodes["web"].reason == "sessions lost"
    assert frames[5].nodes["web"].dropped == pytest.approx(0.8 * 200.0)
    assert [f.globals["error_rate"] for f in frames[6:]] == [0.0] * 4
    assert frames[4].nodes["web"].x["sessions_lost"] == 0.0
    assert frames[-1].nodes["web"].x["sessions_lost"] == pytest.approx(0.8 * SESSIONS)
    assert [(e["t"], e["component"], e["text"]) for e in lost_events(engine)] == [
        (5.0, "web", "web: 4 -> 5 instances re-hashed ~8000 sessions to other servers "
                     "(modulo hashing); those users must log in again"),
    ]  # fmt: skip


def test_scaling_out_with_consistent_hashing_loses_only_the_new_share():
    """4 -> 5 instances on a hash ring: the new instance takes a fifth of the users."""
    engine, frames = scaled_at_5(sticky_tier(hashing="consistent"), 5)
    assert frames[5].globals["error_rate"] == pytest.approx(0.2)
    assert frames[6].globals["error_rate"] == 0.0
    assert frames[-1].nodes["web"].x["sessions_lost"] == pytest.approx(0.2 * SESSIONS)
    assert "(consistent hashing)" in lost_events(engine)[0]["text"]


@pytest.mark.parametrize(("hashing", "kept"), [("modulo", 0.2), ("consistent", 0.8)])
def test_scaling_in_loses_sessions_too(hashing, kept):
    """5 -> 4 instances: the removed instance's users move, and under modulo most others."""
    engine, frames = scaled_at_5(sticky_tier(instances=5, hashing=hashing), 4)
    assert frames[5].globals["error_rate"] == pytest.approx(1.0 - kept)
    assert frames[6].globals["error_rate"] == 0.0
    assert frames[-1].nodes["web"].x["sessions_lost"] == pytest.approx((1.0 - kept) * SESSIONS)
    assert lost_events(engine)[0]["text"].startswith("web: 5 -> 4 instances re-hashed")


def test_instances_lose_sessions_when_they_become_ready_not_when_ordered():
    """A slow start re-hashes nobody until the new instance takes traffic."""
    doc = sticky_tier(web={"provision_s": 3})
    engine, frames = scaled_at_5(doc, 6, ticks=12)
    assert [f.globals["error_rate"] for f in frames[:8]] == [0.0] * 8
    assert frames[8].globals["error_rate"] == pytest.approx(1.0 - 4 / 12)  # 4 -> 6 keeps 2/6
    assert frames[9].globals["error_rate"] == 0.0
    assert [e["t"] for e in lost_events(engine)] == [8.0]


def test_a_live_scale_control_re_hashes_at_the_next_tick():
    """engine.apply (the live view's control) reports the loss and the next tick shows it."""
    engine = Engine(sticky_tier(hashing="consistent"))
    engine.run(until=3)
    events = engine.apply({"action": "scale", "target": "web", "instances": 8})
    assert [e["kind"] for e in events] == ["scaled", "sessions_lost"]
    assert engine.step().globals["error_rate"] == pytest.approx(0.5)  # 4 -> 8 keeps half
    assert engine.step().globals["error_rate"] == 0.0


@pytest.mark.parametrize(
    ("provision_s", "events"),
    [
        (5, [(1.0, "autoscaled"), (6.0, "sessions_lost"), (6.0, "ready")]),
        (0, [(1.0, "autoscaled"), (1.0, "sessions_lost")]),
    ],
)
def test_autoscaling_a_sticky_stateful_tier_loses_sessions(provision_s, events):
    """The autoscaler adding instances re-hashes users exactly like a manual scale."""
    web = {"autoscale": True, "min_instances": 2, "provision_s": provision_s}
    doc = sticky_tier(instances=2, rps=600.0, web=web)  # 2 x 400 req/s at 75%: it wants 3
    engine = Engine(doc)
    frames = [engine.step() for _ in range(10)]
    assert [(e["t"], e["kind"]) for e in engine.events] == events
    refused = round(events[1][0])  # the tick that starts when the instance is ready
    assert [f.globals["error_rate"] for f in frames[:refused]] == [0.0] * refused
    assert frames[refused].globals["error_rate"] == pytest.approx(1.0 - 2 / 6)  # keeps 1/3
    assert [f.globals["error_rate"] for f in frames[refused + 1 :]] == [0.0] * (9 - refused)
    assert frames[-1].nodes["web"].x["sessions_lost"] == pytest.approx(SESSIONS * 2 / 3)


def test_a_stateless_tier_loses_nothing_when_scaled():
    """Without sessions in memory, re-hashing users costs nothing."""
    engine, frames = scaled_at_5(sticky_tier(stateful=False), 5)
    assert all(f.globals["error_rate"] == 0.0 for f in frames)
    assert lost_events(engine) == []
    assert "sessions_lost" not in frames[-1].nodes["web"].x


def test_a_stateful_tier_without_sticky_routing_is_not_re_hashed():
    """Round robin already misses the session on (n-1)/n of requests; a resize adds nothing."""
    engine, frames = scaled_at_5(sticky_tier(algorithm="round_robin"), 5)
    assert frames[4].globals["error_rate"] == pytest.approx(3 / 4)
    assert [f.globals["error_rate"] for f in frames[5:]] == [pytest.approx(4 / 5)] * 5
    assert lost_events(engine) == []
    assert frames[-1].nodes["web"].x["sessions_lost"] == 0.0


def test_a_death_re_hashes_nobody_but_its_own_users():
    """A dead instance keeps its slot: only its quarter of sessions is lost, once detected."""
    engine = Engine(sticky_tier(), {"faults": [
        {"at": 2, "action": "fail", "target": "web", "count": 1},
        {"at": 20, "action": "recover", "target": "web"},
    ]})  # fmt: skip
    frames = [engine.step() for _ in range(25)]
    assert frames[-1].nodes["web"].x["sessions_lost"] == pytest.approx(SESSIONS / 4)
    assert [e["t"] for e in lost_events(engine)] == [12.0]


def test_two_balancers_count_the_one_that_moves_more_users():
    """A tier fed by a modulo and a consistent balancer loses what modulo hashing loses."""
    doc = sticky_tier(hashing="consistent")
    doc["components"].append({"id": "lb2", "kind": "load_balancer",
                              "params": {"algorithm": "ip_hash"}})  # fmt: skip
    doc["links"] += [{"from": "users", "to": "lb2"}, {"from": "lb2", "to": "web"}]
    engine, frames = scaled_at_5(doc, 5)
    assert frames[5].globals["error_rate"] == pytest.approx(0.8)
    assert "(modulo hashing)" in lost_events(engine)[0]["text"]
