"""The built-in examples: each one is valid, and what its lesson says happens in its run.

A scenario event ``at`` t is applied at the start of the tick that begins at t, so the
first frame showing it is the one ending at t + 1 (every example ticks once a second,
except the daily wave, which ticks once a minute).
"""

from __future__ import annotations

import math
from functools import cache

import pytest

from simulation import (
    Engine,
    Example,
    Frame,
    catalog,
    get_example,
    list_examples,
    validate_document,
    validate_scenario,
)

TEACHING_ORDER = [
    "single-server",
    "scale-up",
    "scale-out",
    "stateful-web",
    "stateless-web",
    "stateful-scaling",
    "db-replication",
    "cache",
    "cdn",
    "multi-dc",
    "message-queue",
    "sharding",
    "autoscaling",
    "monitoring",
    "retry-storm",
]


class Run:
    """Every frame of one example's scenario, indexed by the simulated time at its end."""

    def __init__(self, example: Example) -> None:
        self.engine = Engine(example.document, example.scenario)
        self.frames: list[Frame] = []
        while not self.engine.finished:
            self.frames.append(self.engine.step())
        self.by_t = {round(frame.t): frame for frame in self.frames}
        self.report = self.engine.report()

    def at(self, t: float) -> Frame:
        return self.by_t[round(t)]

    def node(self, cid: str, t: float):  # -> NodeFrame
        return self.at(t).nodes[cid]

    def between(self, start: float, end: float) -> list[Frame]:
        """Frames ending in (start, end], i.e. the ticks that run from start to end."""
        return [frame for frame in self.frames if start < frame.t <= end]

    def events(self, kind: str) -> list[dict]:
        return [event for event in self.engine.events if event["kind"] == kind]


@cache
def run(slug: str) -> Run:
    return Run(get_example(slug))


# --- the package ---------------------------------------------------------------------------


def test_examples_come_in_teaching_order():
    """list_examples() walks the chapter from one server to a monitored, grown system.

    The last lesson goes back to the stateful tier: why it is hard to resize.
    """
    assert [example.slug for example in list_examples()] == TEACHING_ORDER


@pytest.mark.parametrize("slug", TEACHING_ORDER)
def test_each_example_is_a_valid_design_and_scenario(slug):
    """Every example passes the same validation as a user's design."""
    example = get_example(slug)
    document = validate_document(example.document)
    validate_scenario(example.scenario, document)
    assert example.title == example.document["name"] != ""
    assert example.lesson == example.document["description"]
    assert len(example.lesson) > 200  # a real "what to watch" text, not a placeholder


@pytest.mark.parametrize("slug", TEACHING_ORDER)
def test_each_example_is_laid_out_left_to_right_by_request_flow(slug):
    """Every drawn component has a position; requests flow rightwards; no two overlap."""
    document = get_example(slug).document
    drawn = {c["id"]: c for c in document["components"] if c["kind"] != "datacenter"}
    assert all(isinstance(c.get("x"), int) and isinstance(c.get("y"), int) for c in drawn.values())
    for link in document["links"]:
        assert drawn[link["to"]]["x"] >= drawn[link["from"]]["x"], link
    spots = [(c["x"], c["y"]) for c in drawn.values()]
    assert len(set(spots)) == len(spots)


@pytest.mark.parametrize("slug", TEACHING_ORDER)
def test_each_example_conserves_requests_at_every_node_and_tick(slug):
    """offered = served + dropped + growth of the backlog, for every node in every tick."""
    for frame in run(slug).frames:
        for cid, node in frame.nodes.items():
            growth = (node.queued - node.queued_before) / frame.dt
            assert node.offered == pytest.approx(
                node.served + node.dropped + growth, rel=1e-9, abs=1e-6
            ), (frame.t, cid)


def test_get_example_returns_a_fresh_copy():
    """Changing a returned document never changes the built-in example."""
    first = get_example("cache")
    first.document["components"].clear()
    first.scenario["faults"].clear()
    again = get_example("cache")
    assert again.document["components"]
    assert again.scenario["faults"]


def test_an_unknown_slug_names_the_known_ones():
    """get_example raises KeyError listing what exists."""
    with pytest.raises(KeyError, match=r"no example named 'nope'.*single-server"):
        get_example("nope")


def test_the_examples_are_exported_by_the_package():
    """list_examples, get_example and Example are part of the public API."""
    import simulation

    assert {"Example", "get_example", "list_examples"} <= set(simulation.__all__)


# --- the lessons ---------------------------------------------------------------------------


def test_single_server_latency_climbs_steeply_near_capacity_then_it_drops():
    """Latency is flat at low load, grows steeply near 100% busy, and overload drops."""
    r = run("single-server")
    calm, busy, near = r.node("server", 60), r.node("server", 230), r.node("server", 350)
    assert calm.util == pytest.approx(0.25)
    assert busy.util == pytest.approx(0.75)
    assert near.util == pytest.approx(0.95)
    assert calm.lat == pytest.approx(20.0, rel=0.01)  # service time, hardly any wait
    assert busy.lat < 1.25 * calm.lat  # still flat at 75%
    assert near.lat > 2.5 * calm.lat  # the knee: more than doubled at 95%
    assert near.dropped < 1e-3 * near.offered
    overloaded = r.node("server", 420)  # 480 req/s against 400 req/s of capacity
    assert overloaded.served == pytest.approx(400.0)
    # Nearly the queue limit of 1,000: M/M/c/K's mean queue at rho 1.2 (995).
    assert overloaded.queued == pytest.approx(1000.0, rel=0.01)
    assert overloaded.dropped == pytest.approx(80.0)
    assert overloaded.health == "critical"
    assert r.at(420).globals["error_rate"] == pytest.approx(80 / 480)


def test_scale_up_reaches_the_largest_tier_then_one_failure_is_a_total_outage():
    """A bigger tier adds capacity at a rising price, up to a ceiling; one box, one failure.

    Each move to a bigger tier takes the one box down for its resize time (30 s).
    """
    r = run("scale-up")
    sizes = {s["name"]: s for s in catalog()["sizes"]}
    largest = catalog()["sizes"][-1]["name"]
    assert largest == "2xlarge"
    assert r.node("server", 80).served == pytest.approx(400.0)  # small saturates
    assert r.at(80).globals["error_rate"] > 0.5
    for start in (90, 240):
        moving = r.between(start, start + 30)
        assert len(moving) == 30
        assert all(frame.globals["availability"] == 0.0 for frame in moving)
        assert {(f.nodes["server"].status, f.nodes["server"].reason) for f in moving} == {
            ("down", "resizing")
        }
        assert r.at(start + 31).globals["availability"] == 1.0
    assert [(e["t"], e["text"]) for e in r.events("resizing") + r.events("resized")] == [
        (90.0, "Web + DB server: resizing to large, down for 30 s"),
        (240.0, "Web + DB server: resizing to 2xlarge, down for 30 s"),
        (120.0, "Web + DB server: resized to large"),
        (270.0, "Web + DB server: resized to 2xlarge"),
    ]
    assert r.at(120).globals["cost_per_hour"] == pytest.approx(sizes["small"]["cost_per_hour"])
    assert r.at(150).globals["availability"] == 1.0  # large carries 1,200 req/s
    assert r.node("server", 150).util == pytest.approx(0.75)
    assert r.at(60).globals["cost_per_hour"] == pytest.approx(sizes["small"]["cost_per_hour"])
    assert r.at(300).globals["cost_per_hour"] == pytest.approx(sizes["2xlarge"]["cost_per_hour"])
    ceiling = r.node("server", 400)  # 9,000 req/s against the largest box
    assert ceiling.served == pytest.approx(6400.0)
    assert ceiling.served == pytest.approx(16 * r.node("server", 80).served)
    price_per_capacity = (
        r.at(400).globals["cost_per_hour"] / ceiling.served,
        r.at(60).globals["cost_per_hour"] / 400.0,
    )
    assert price_per_capacity[0] == pytest.approx(3 * price_per_capacity[1])
    assert r.at(400).globals["error_rate"] > 0.25
    outage = r.between(480, 540)
    assert len(outage) == 60
    assert all(frame.globals["availability"] == 0.0 for frame in outage)
    assert all(frame.nodes["server"].status == "down" for frame in outage)
    assert r.at(541).globals["availability"] == 1.0


def test_scale_out_survives_one_dead_server_once_the_balancer_detects_it():
    """One of four servers dies: a quarter fails for the detection delay, then nothing does.

    Until the balancer, the one component left without a spare, fails itself.
    """
    r = run("scale-out")
    assert r.node("web", 120).util == pytest.approx(900 / 1600)
    undetected = r.between(120, 130)
    assert [f.globals["error_rate"] for f in undetected] == [pytest.approx(0.25)] * 10
    for frame in r.between(130, 240):
        assert frame.globals["availability"] == 1.0
        assert frame.nodes["web"].status == "degraded"
        assert frame.nodes["web"].ready == 3
        assert frame.nodes["web"].util == pytest.approx(900 / 1200)
    assert r.node("web", 241).status == "up"
    assert r.node("web", 350).served == pytest.approx(1600.0)  # 2,000 req/s: too much for 4
    assert r.node("web", 350).ready == 4
    assert r.node("web", 350).inst == 6
    assert r.node("web", 361).ready == 6
    assert r.at(400).globals["availability"] == 1.0
    assert r.node("web", 400).util == pytest.approx(2000 / 2400)
    # The one balancer is still a single point of failure.
    assert [f.globals["availability"] for f in r.between(420, 450)] == [0.0] * 30
    assert r.node("lb", 430).status == "down"
    assert r.at(451).globals["availability"] == 1.0


def test_stateful_tier_loses_the_dead_servers_sessions_for_good():
    """With sessions in memory, a dead server takes a quarter of the sessions with it."""
    r = run("stateful-web")
    assert r.node("web", 120).x["sessions_lost"] == 0.0
    assert [e["t"] for e in r.events("sessions_lost")] == [130.0]
    assert r.node("web", 131).x["sessions_lost"] == pytest.approx(20000 / 4)
    assert r.at(131).globals["error_rate"] > 0  # moved users are logged out
    assert r.at(200).globals["availability"] == 1.0
    assert r.node("web", 360).status == "up"  # the server is back ...
    assert r.node("web", 360).x["sessions_lost"] == pytest.approx(5000)  # ... the sessions not


def test_sticky_sessions_cost_the_balancer_twice_the_work_of_round_robin():
    """ip_hash looks up each request's server: the same 900 req/s keep the balancer
    twice as busy as the stateless example's round robin, and each request takes 2 ms there."""
    sticky, plain = run("stateful-web").node("lb", 60), run("stateless-web").node("lb", 60)
    assert plain.util == pytest.approx(900 / 100_000)
    assert sticky.util == pytest.approx(2 * plain.util)
    assert (sticky.lat, plain.lat) == (pytest.approx(2.0), pytest.approx(1.0))


def test_adding_a_server_to_a_stateful_tier_re_hashes_most_sessions_away():
    """4 -> 5 under hash mod n keeps min/lcm = 4/20 of sessions; 5 -> 6 on a ring keeps 5/6."""
    r = run("stateful-scaling")
    assert all(f.globals["availability"] == 1.0 for f in r.between(0, 150))
    assert r.node("web", 150).health == "warning"  # 1,300 req/s on four servers: near the limit
    assert r.node("web", 150).x["sessions_lost"] == 0.0
    assert r.node("web", 150).ready == 4  # the fifth is still starting
    assert [(e["t"], e["text"]) for e in r.events("sessions_lost")] == [
        (150.0, "Stateful web servers: 4 -> 5 instances re-hashed ~16000 sessions to other servers "
                "(modulo hashing); those users must log in again"),
        (270.0, "Stateful web servers: 5 -> 6 instances re-hashed ~3333 sessions to other servers "
                "(consistent hashing); those users must log in again"),
    ]  # fmt: skip
    assert r.node("web", 151).x["sessions_lost"] == pytest.approx(20000 * (1 - 4 / 20))
    assert r.node("web", 151).reason == "sessions lost"
    assert r.at(151).globals["error_rate"] == pytest.approx(0.8)
    assert all(f.globals["availability"] == 1.0 for f in r.between(151, 270))
    assert r.node("web", 200).util == pytest.approx(1300 / 2000)
    assert r.at(271).globals["error_rate"] == pytest.approx(1 / 6)
    assert r.node("web", 271).x["sessions_lost"] == pytest.approx(16000 + 20000 / 6)
    assert all(f.globals["availability"] == 1.0 for f in r.between(271, 360))


def test_stateless_tier_with_a_session_store_loses_no_session():
    """With sessions in a shared store, a dead server only costs the detection delay."""
    r = run("stateless-web")
    assert r.events("sessions_lost") == []
    for t in (100, 125, 200):  # every served request looked its session up in the store
        assert r.node("sessions", t).offered == pytest.approx(r.node("web", t).served)
    assert r.node("sessions", 100).offered == pytest.approx(900.0)
    assert "sessions_lost" not in r.node("web", 200).x
    assert [f.globals["error_rate"] for f in r.between(120, 130)] == [pytest.approx(0.25)] * 10
    assert all(f.globals["availability"] == 1.0 for f in r.between(130, 420))
    assert r.node("web", 331).ready == 5  # the fifth instance takes its share at once
    assert r.node("web", 331).util == pytest.approx(900 / 2000)


def test_replication_spreads_reads_survives_a_replica_and_fails_over_the_primary():
    """Reads go to replicas (or the primary if none is up); a promotion ends a write outage."""
    r = run("db-replication")
    before = r.at(100).nodes
    assert before["db-primary"].offered == pytest.approx(200.0)  # the writes
    assert before["db-replica-1"].offered == pytest.approx(400.0)  # half the reads each
    assert before["db-replica-2"].offered == pytest.approx(400.0)
    for frame in r.between(120, 160):
        assert frame.nodes["db-replica-1"].status == "down"
        assert frame.nodes["db-replica-2"].offered == pytest.approx(800.0)
        assert frame.globals["availability"] == 1.0
    for frame in r.between(160, 200):  # no replica left: the primary serves the reads too
        assert frame.nodes["db-replica-2"].status == "down"
        assert frame.nodes["db-primary"].offered == pytest.approx(1000.0)
        assert frame.globals["availability"] == 1.0
    assert r.node("db-replica-1", 201).offered == pytest.approx(400.0)
    no_primary = r.between(300, 330)
    assert [f.globals["error_rate"] for f in no_primary] == [pytest.approx(0.2)] * 30
    promoted = r.events("promoted")
    assert [(e["t"], e["component"]) for e in promoted] == [(330.0, "db-replica-1")]
    after = r.at(331).nodes
    assert r.at(331).globals["availability"] == 1.0
    assert after["db-replica-1"].x["role"] == "primary"
    assert after["db-replica-1"].offered == pytest.approx(200.0)
    assert after["db-replica-2"].offered == pytest.approx(800.0)
    assert r.node("db-primary", 329).x["lost_writes"] == 0.0  # lost only at the promotion
    # In transit (200 writes/s x 10 ms) plus the apply queue (M/M/1 at 200 of 5000/s).
    rho = 200.0 / 5000.0
    assert r.node("db-primary", 331).x["lost_writes"] == pytest.approx(2.0 + rho / (1 - rho))
    assert [e["component"] for e in r.events("rejoined")] == ["db-primary"]
    assert r.node("db-primary", 500).x["role"] == "replica"


def test_cache_cuts_database_reads_by_its_hit_ratio_and_its_loss_stampedes():
    """DB load = (1 - hit ratio) x reads + writes; a dead or cold cache sends every read."""
    r = run("cache")
    reads, writes = 0.8 * 2000, 0.1 * 2000
    assert r.node("db", 50).offered == pytest.approx((1 - 0.9) * reads + writes)
    assert r.node("db", 100).offered == pytest.approx((1 - 0.5) * reads + writes)
    assert r.node("db", 150).offered == pytest.approx((1 - 0.9) * reads + writes)
    assert r.at(150).globals["availability"] == 1.0
    stampede = r.between(200, 260)
    assert all(f.nodes["db"].offered == pytest.approx(reads + writes) for f in stampede)
    # Capacity, less the walk's idle time in the first tick of overload (under 1%).
    assert all(f.nodes["db"].served == pytest.approx(1600.0, rel=0.01) for f in stampede)
    assert max(f.globals["error_rate"] for f in stampede) > 0.05
    # Back but cold: the hit ratio climbs over the warm-up and the DB load falls with it.
    warming = [f.nodes["cache"].x["hit_ratio"] for f in r.between(260, 320)]
    assert warming[0] < 0.05
    assert warming[-1] == pytest.approx(0.9)
    assert warming == sorted(warming)
    # The frame reports the hit ratio at the tick's end; its traffic met the one at its start.
    hit_start, hit_end = (r.node("cache", t).x["hit_ratio"] for t in (289, 290))
    db_load = r.node("db", 290).offered
    assert (1 - hit_end) * reads + writes - 1e-6 <= db_load <= (1 - hit_start) * reads + writes
    assert r.node("db", 400).offered == pytest.approx(0.1 * reads + writes)
    assert r.node("db", 400).queued == 0.0
    assert r.at(400).globals["availability"] == 1.0


def test_cdn_keeps_static_requests_off_the_origin_until_it_is_flushed():
    """The origin sees dynamic requests plus the CDN's misses; a flush sends it everything."""
    r = run("cdn")
    static, dynamic = 0.65 * 3000, 0.35 * 3000
    assert r.node("cdn", 200).offered == pytest.approx(static)
    assert r.node("lb", 200).offered == pytest.approx(dynamic + (1 - 0.95) * static)
    assert r.at(200).globals["availability"] == 1.0
    flushed = r.node("lb", 241)
    assert flushed.offered > 0.98 * 3000
    assert r.node("web", 241).util == pytest.approx(1.0, rel=0.01)  # the walk idles a little
    assert max(f.globals["error_rate"] for f in r.between(240, 300)) > 0.1
    assert r.node("lb", 400).offered == pytest.approx(dynamic + (1 - 0.95) * static)
    assert r.node("web", 400).queued == 0.0
    assert r.at(400).globals["availability"] == 1.0


def test_dns_moves_every_user_to_the_surviving_data_centre():
    """A dead data centre's users fail until DNS fails over; then the other DC serves all."""
    r = run("multi-dc")
    assert r.node("web-east", 170).offered == pytest.approx(600.0)
    assert r.node("web-west", 170).offered == pytest.approx(600.0)
    blackout = r.between(180, 210)
    assert len(blackout) == 30
    for frame in blackout:
        assert frame.nodes["web-east"].status == "down"
        assert frame.nodes["db-east"].status == "down"
        assert frame.globals["error_rate"] > 0.5  # east's half, plus west's writes
    for frame in r.between(210, 360):
        assert frame.globals["availability"] == 1.0
        assert frame.nodes["web-west"].offered == pytest.approx(1200.0)
        assert frame.nodes["web-east"].offered == 0.0
    assert [(e["t"], e["component"]) for e in r.events("promoted")] == [(210.0, "db-west")]
    assert r.node("web-east", 400).offered == pytest.approx(600.0)
    assert r.node("web-west", 400).offered == pytest.approx(600.0)


def latency_from(dc: str, request_class: str) -> float:
    """Mean latency (ms) of one request class when DNS sends every user to ``dc``."""
    doc = get_example("multi-dc").document
    comps = {c["id"]: c for c in doc["components"]}
    mix = {"read": 0.0, "write": 0.0, "static": 0.0, "job": 0.0}
    comps["users"]["params"]["mix"] = {**mix, request_class: 1.0}
    comps["dns"]["params"]["weights"] = {"dc-east": 0.0, "dc-west": 0.0, dc: 1.0}
    return Engine(doc).step().globals["classes"][request_class]["mean_ms"]


def test_a_request_to_a_database_in_the_other_data_centre_pays_the_cross_dc_latency():
    """West's writes reach the primary in east, east's reads the replica in west: each pays
    the 40 ms cross-DC latency both ways (80 ms), though both web tiers link only to their
    own DC's database."""
    assert latency_from("dc-west", "write") - latency_from("dc-east", "write") == (
        pytest.approx(80.0, rel=1e-6)
    )
    assert latency_from("dc-east", "read") - latency_from("dc-west", "read") == (
        pytest.approx(80.0, rel=1e-6)
    )


def test_message_queue_holds_jobs_while_workers_are_down_and_loses_none():
    """The backlog grows at the publish rate while workers are down and drains after."""
    r = run("message-queue")
    jobs = 0.3 * 200
    assert r.node("queue", 120).queued == 0.0
    assert r.node("workers", 120).served == pytest.approx(jobs)
    assert r.node("queue", 300).queued == pytest.approx(jobs * 180)
    assert r.node("queue", 300).x["age_s"] == pytest.approx(180.0)
    assert r.node("queue", 330).queued == pytest.approx(jobs * 180 - (160 - jobs) * 30)
    drained = min(f.t for f in r.frames if f.t > 300 and f.nodes["queue"].queued == 0.0)
    assert drained == pytest.approx(300 + jobs * 180 / (160 - jobs), abs=1.0)
    assert all(f.globals["availability"] == 1.0 for f in r.frames)  # users never noticed
    assert all(f.nodes["queue"].dropped == 0.0 for f in r.frames)
    published = sum(f.nodes["queue"].offered for f in r.frames)
    consumed = sum(f.nodes["queue"].served for f in r.frames)
    assert consumed == pytest.approx(published)  # every job was handed to a worker


def test_skewed_keys_make_one_hot_shard_and_even_keys_spread_the_load():
    """Zipf-skewed keys load shard 1 four times shard 4; re-keying evens them out."""
    r = run("sharding")
    harmonic = 1 + 1 / 2 + 1 / 3 + 1 / 4
    for i in range(1, 5):
        assert r.node(f"shard-{i}", 100).offered == pytest.approx(3000 / i / harmonic)
    assert r.node("shard-1", 100).util == pytest.approx(4 * r.node("shard-4", 100).util)
    hot = r.at(300).nodes
    assert hot["shard-1"].util == pytest.approx(1.0)
    assert hot["shard-1"].health == "critical"
    assert max(hot[f"shard-{i}"].util for i in (2, 3, 4)) < 0.65
    assert r.at(300).globals["error_rate"] > 0.05
    even = r.at(450).nodes
    assert [even[f"shard-{i}"].offered for i in range(1, 5)] == [pytest.approx(1000.0)] * 4
    assert even["shard-1"].queued == 0.0
    assert r.at(450).globals["availability"] == 1.0


def test_autoscaling_follows_the_daily_wave():
    """Instances rise toward the afternoon peak and fall at night; no request fails."""
    r = run("autoscaling")
    trough, peak = r.at(7200), r.at(50400)
    assert trough.globals["offered_rps"] == pytest.approx(2000 * (1 - 0.8), rel=0.01)
    assert peak.globals["offered_rps"] == pytest.approx(2000 * (1 + 0.8), rel=0.01)
    assert trough.nodes["web"].ready == 2  # min_instances
    assert peak.nodes["web"].ready == math.ceil(3600 / (400 * 0.6))  # holds the 60% target
    assert 0.5 <= peak.nodes["web"].util <= 0.6 + 1e-9
    small = catalog()["sizes"][0]
    assert small["name"] == "small"
    extra_cost = peak.globals["cost_per_hour"] - trough.globals["cost_per_hour"]
    assert extra_cost == pytest.approx(
        (peak.nodes["web"].inst - trough.nodes["web"].inst) * small["cost_per_hour"]
    )  # only the web tier's size follows the wave
    counts = [f.nodes["web"].inst for f in r.frames]
    assert min(counts) >= 2
    assert max(counts) <= 16
    rising = [f.nodes["web"].inst for f in r.frames if 10800 <= f.t <= 50400]
    falling = [f.nodes["web"].inst for f in r.frames if 50400 <= f.t <= 86400]
    assert rising == sorted(rising)
    assert falling == sorted(falling, reverse=True)
    assert len(r.events("autoscaled")) >= 20
    assert all(f.globals["availability"] == 1.0 for f in r.frames)


def test_monitoring_alerts_fire_when_and_where_things_go_wrong():
    """The alert checks fail at the spike and the cache loss; the site-down check holds."""
    r = run("monitoring")
    checks = {check["name"]: check for check in r.report["checks"]}
    assert not r.report["aborted"]
    assert r.report["ticks"] == 600
    error_alert = checks["error rate above 1% for 30 s"]
    p99_alert = checks["p99 latency above 500 ms for 30 s"]
    db_alert = checks["database busier than 90% for 30 s"]
    assert not error_alert["passed"]
    assert 230 <= error_alert["failed_at"] <= 290
    assert not p99_alert["passed"]
    assert 230 <= p99_alert["failed_at"] <= 290
    assert not db_alert["passed"]
    assert 430 <= db_alert["failed_at"] <= 480
    assert checks["site down: availability below 50% for 60 s"]["passed"]
    fired = [(e["t"], e["text"]) for e in r.events("check_failed")]
    assert [t for t, _ in fired] == sorted(
        c["failed_at"] for c in checks.values() if not c["passed"]
    )


def test_retries_keep_a_storm_going_after_the_spike_until_back_off_and_a_breaker_shed_it():
    """The lesson's design: after the 10-s spike (t = 30 .. 40) the users keep offering
    about four attempts per request and almost nothing is answered within 1 s; with the
    settings its description names, or a queue limit of 40, goodput is back to 120
    req/s within 15 s of the spike's end."""
    storm = run("retry-storm")
    late = storm.between(100, 180)
    assert all(f.globals["offered_rps"] > 3.5 * 120 for f in late)
    assert all(f.globals["goodput_rps"] < 1.0 for f in late)
    assert all(f.nodes["users"].x["retry_rps"] > 300 for f in late)
    assert storm.report["summary"]["goodput_rps"] < 20
    assert storm.at(38).globals["late_rps"] > 100  # served, but after the users gave up
    # Late answers are errors as users count them, though nothing was dropped.
    assert all(f.globals["error_rate"] > 0.99 and f.globals["dropped_rps"] == 0 for f in late)
    assert storm.report["summary"]["error_rate"] > 0.85
    users = storm.node("users", 100)
    assert (users.health, users.reason) == ("critical", "100% of requests failing")
    assert storm.node("users", 20).health == "ok"

    calm = get_example("retry-storm")
    calm.document["components"][0]["params"].update(backoff_ms=1000, jitter=1.0, breaker_errors=0.5)
    limited = get_example("retry-storm")
    limited.document["components"][1]["params"]["queue_limit"] = 40
    for example in (calm, limited):
        fixed = Run(example)
        after = fixed.between(55, 180)
        assert all(f.globals["goodput_rps"] == pytest.approx(120, rel=0.01) for f in after)
        assert all(f.globals["offered_rps"] == pytest.approx(120, rel=0.01) for f in after)
        assert fixed.report["summary"]["goodput_rps"] > 100
    shed = Run(calm)
    assert [e["component"] for e in shed.events("breaker")] == ["users"]
    # While the breaker is open the users' requests fail at once: tried, and failed.
    opened = [f for f in shed.frames if f.nodes["users"].x["breaker_open"]]
    assert len(opened) >= 9
    assert all(f.globals["offered_rps"] >= 119 for f in opened)
    assert all(f.globals["error_rate"] > 0.99 for f in opened)
    assert {f.nodes["users"].reason for f in opened} == {"circuit breaker open"}
