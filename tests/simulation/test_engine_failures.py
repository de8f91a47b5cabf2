"""Failure behaviours: what users see when parts of the design die and come back."""

from __future__ import annotations

import pytest

from simulation import Engine

from .designs import single_server, web_stack


def lb_web(instances: int = 2, stateful: bool = False, algorithm: str = "round_robin") -> dict:
    return {
        "format": 1,
        "name": "lb web",
        "components": [
            {"id": "users", "kind": "client", "params": {"rps": 200}},
            {"id": "lb", "kind": "load_balancer",
             "params": {"algorithm": algorithm, "health_check_s": 10}},
            {"id": "web", "kind": "web_server",
             "params": {"instances": instances, "stateful": stateful}},
        ],
        "links": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "web"}],
    }  # fmt: skip


def run_frames(doc: dict, scenario: dict, ticks: int) -> list:
    engine = Engine(doc, scenario)
    return [engine.step() for _ in range(ticks)]


def test_a_dead_instance_traffic_is_dropped_until_detected_then_rerouted():
    """A dead web instance's traffic is dropped until the health check detects it."""
    frames = run_frames(
        lb_web(), {"faults": [{"at": 5, "target": "web", "action": "fail", "count": 1}]}, 25
    )
    errors = [f.globals["error_rate"] for f in frames]
    assert errors[4] == 0.0
    assert errors[5:15] == [pytest.approx(0.5)] * 10  # half the instances, half the requests
    assert errors[15:] == [0.0] * 10
    assert frames[20].nodes["web"].status == "degraded"
    assert frames[20].nodes["web"].served == pytest.approx(200.0)


def test_a_failed_single_server_is_a_total_outage():
    """One server and no balancer: its failure loses every request."""
    frames = run_frames(single_server(), {"faults": [{"at": 3, "target": "web",
                                                      "action": "fail"}]}, 6)  # fmt: skip
    assert frames[4].globals["availability"] == 0.0
    assert frames[4].nodes["web"].health == "down"
    assert frames[4].nodes["web"].reason == "dead"


def test_stateful_instance_death_loses_its_sessions():
    """With sticky sessions, a dead stateful instance's users lose their sessions."""
    frames = run_frames(
        lb_web(stateful=True, algorithm="ip_hash"),
        {"faults": [{"at": 5, "target": "web", "action": "fail", "count": 1}]},
        25,
    )
    assert frames[4].globals["error_rate"] == 0.0
    lost = frames[-1].nodes["web"].x["sessions_lost"]
    assert lost == pytest.approx(10000 / 2)
    assert any(e["kind"] == "sessions_lost" for f in frames for e in f.events)


def test_stateful_servers_without_sticky_routing_lose_sessions_all_the_time():
    """Stateful web servers behind round robin: most requests land where the session is not."""
    frame = run_frames(lb_web(instances=4, stateful=True), {}, 1)[0]
    assert frame.globals["error_rate"] == pytest.approx(0.75)
    assert frame.nodes["web"].reason == "sessions lost: no sticky routing"


def test_primary_failover_promotes_a_replica_after_the_delay():
    """Writes fail while the primary is down; a replica is promoted after failover_s."""
    doc = web_stack()
    doc["components"][5]["params"]["failover_s"] = 6
    engine = Engine(doc, {"faults": [{"at": 10, "target": "db", "action": "fail"}]})
    frames = [engine.step() for _ in range(25)]
    writes_ok = [f.globals["classes"].get("write", {}).get("rps", 0.0) for f in frames]
    assert writes_ok[9] == pytest.approx(80.0)
    assert writes_ok[10:16] == [0.0] * 6
    assert writes_ok[16] == pytest.approx(80.0)
    promoted = [e for e in engine.events if e["kind"] == "promoted"]
    # What the replica lacks: 80 writes/s x the 10 ms replication delay in transit, plus
    # its M/M/1 apply queue at 80 of 5000 writes/s (rho / (1 - rho)); the per-request
    # simulation (test_failover_fidelity.py) agrees. Not 80 x its lag, which counts the
    # queueing stretch of the lag as writes.
    rho = 80 / 5000
    unapplied = 80 * 0.010 + rho / (1 - rho)
    assert promoted == [{"t": 16.0, "component": "db-r1", "kind": "promoted",
                         "text": "db-r1 promoted to primary; ~1 write inside its replication "
                                 "lag lost"}]  # fmt: skip
    assert frames[20].nodes["db-r1"].x["role"] == "primary"
    # The writes are lost when the replica that lacks them is promoted, not before.
    assert frames[15].nodes["db"].x["lost_writes"] == 0.0
    assert frames[16].nodes["db"].x["lost_writes"] == pytest.approx(unapplied)
    assert [e["kind"] for e in engine.events if e["component"] == "db"] == ["failed", "failover"]


def test_a_primary_back_before_the_failover_delay_loses_no_writes():
    """Writes fail while the primary is down, but it kept them all: nothing is promoted
    and nothing is lost."""
    doc = web_stack()
    doc["components"][5]["params"]["failover_s"] = 6
    engine = Engine(doc, {"faults": [{"at": 10, "target": "db", "action": "fail"},
                                     {"at": 13, "target": "db", "action": "recover"}]})  # fmt: skip
    frames = [engine.step() for _ in range(25)]
    writes_ok = [f.globals["classes"].get("write", {}).get("rps", 0.0) for f in frames]
    assert writes_ok[10:13] == [0.0] * 3
    assert writes_ok[13] == pytest.approx(80.0)
    assert [e for e in engine.events if e["kind"] == "promoted"] == []
    assert frames[-1].nodes["db"].x == {"role": "primary", "lost_writes": 0.0}


def test_resizing_a_clustered_single_primary_is_an_outage_of_its_writes_without_loss():
    """A one-instance primary moving to a bigger box is down for resize_s; with a failover
    delay longer than that, writes fail for resize_s and come back with none lost."""
    doc = web_stack()
    doc["components"][5]["params"].update({"failover_s": 60, "resize_s": 20})
    engine = Engine(doc)
    for _ in range(5):
        engine.step()
    engine.apply({"action": "scale", "target": "db", "size": "large"})
    frames = [engine.step() for _ in range(25)]
    writes_ok = [f.globals["classes"].get("write", {}).get("rps", 0.0) for f in frames]
    assert writes_ok[:20] == [0.0] * 20
    assert writes_ok[20] == pytest.approx(80.0)
    assert frames[5].nodes["db"].reason == "resizing"
    assert frames[-1].nodes["db"].x == {"role": "primary", "lost_writes": 0.0}
    assert [e for e in engine.events if e["kind"] == "promoted"] == []


def test_replica_loss_sends_reads_to_the_primary():
    """With its only replica dead, the primary serves the reads too."""
    frames = run_frames(web_stack(), {"faults": [{"at": 2, "target": "db-r1",
                                                  "action": "fail"}]}, 4)  # fmt: skip
    assert frames[1].nodes["db"].offered == pytest.approx(80.0)  # writes only
    assert frames[3].nodes["db"].offered == pytest.approx(80.0 + 56.0)
    assert frames[3].globals["error_rate"] == 0.0


def test_a_cache_flush_stampedes_the_database_then_it_warms_up():
    """After a flush every read hits the database; the cache warms over warmup_s."""
    doc = web_stack()
    doc["components"][4]["params"]["warmup_s"] = 20
    frames = run_frames(doc, {"faults": [{"at": 5, "target": "cache", "action": "flush"}]}, 40)
    reads_to_db = [f.nodes["db-r1"].offered for f in frames]
    assert reads_to_db[4] == pytest.approx(280 * 0.2)
    assert reads_to_db[5] == pytest.approx(280.0)
    assert reads_to_db[15] < reads_to_db[6]
    assert reads_to_db[30] == pytest.approx(280 * 0.2)


def test_a_flushed_cache_says_its_reads_go_to_the_database():
    """The flush event names where a cold cache's misses go: its database."""
    doc = web_stack()
    doc["components"][4]["params"]["warmup_s"] = 20
    events = Engine(doc).apply({"action": "flush", "target": "cache"})
    assert [e["text"] for e in events] == [
        "cache flushed: cold, so reads miss and go on to the database (db) "
        "until it warms up over 20 s"
    ]


def test_a_flushed_cdn_says_its_static_requests_go_to_the_origin():
    """A CDN serves static content: after a flush its static requests go to the origin."""
    doc = single_server()
    doc["components"].append({"id": "cdn", "kind": "cdn", "params": {}})
    doc["links"] = [{"from": "users", "to": "cdn"}, {"from": "cdn", "to": "web"}]
    events = Engine(doc).apply({"action": "flush", "target": "cdn"})
    assert [e["text"] for e in events] == [
        "cdn flushed: cold, so static requests miss and go on to the origin (web) "
        "until it warms up over 60 s"
    ]


def test_a_dead_cache_sends_every_read_to_the_database():
    """Cache failure: reads go straight to the database."""
    frames = run_frames(web_stack(), {"faults": [{"at": 2, "target": "cache",
                                                  "action": "fail"}]}, 4)  # fmt: skip
    assert frames[3].nodes["db-r1"].offered == pytest.approx(280.0)
    assert frames[3].nodes["cache"].status == "down"
    assert frames[3].globals["error_rate"] == 0.0


def test_queue_backlog_grows_while_workers_are_down_and_drains_after():
    """Jobs keep being accepted while workers are down; nothing is lost below the limit."""
    doc = web_stack()
    doc["components"][0]["params"]["mix"] = {"read": 0.5, "write": 0.2, "static": 0.1,
                                             "job": 0.2}  # fmt: skip
    doc["components"][8]["params"]["service_ms"] = 50.0  # 2 x 4 x 20 = 160 jobs/s
    frames = run_frames(doc, {"faults": [{"at": 10, "target": "workers", "action": "fail"},
                                         {"at": 30, "target": "workers", "action": "recover"}]},
                        60)  # fmt: skip
    jobs = 400 * 0.2
    q = [f.nodes["queue"].queued for f in frames]
    assert q[9] == 0.0
    assert q[29] == pytest.approx(20 * jobs)
    assert frames[20].nodes["queue"].x["age_s"] == pytest.approx(11.0)
    assert q[59] < q[29]
    assert sum(f.nodes["queue"].dropped for f in frames) == 0.0
    assert frames[20].globals["error_rate"] == 0.0
    served = sum(f.nodes["queue"].served for f in frames)
    assert served + q[-1] == pytest.approx(jobs * 60)


def test_a_full_queue_rejects_the_excess():
    """Above max_messages new jobs are rejected (counted as errors)."""
    doc = web_stack()
    doc["components"][0]["params"]["mix"] = {"read": 0.5, "write": 0.2, "static": 0.1,
                                             "job": 0.2}  # fmt: skip
    doc["components"][7]["params"]["max_messages"] = 100
    frames = run_frames(doc, {"faults": [{"at": 0, "target": "workers", "action": "fail"}]}, 5)
    assert frames[4].nodes["queue"].queued == pytest.approx(100.0)
    assert frames[4].nodes["queue"].dropped == pytest.approx(80.0)
    assert frames[4].nodes["queue"].reason == "backlog full"


def test_a_datacenter_failure_takes_its_members_down():
    """Every component inside a failed data centre is down."""
    frames = run_frames(web_stack(), {"faults": [{"at": 1, "target": "dc", "action": "fail"}]}, 3)
    for cid in ("lb", "web", "cache", "db", "db-r1", "queue", "workers"):
        assert frames[2].nodes[cid].status == "down"
        assert frames[2].nodes[cid].reason == "datacenter down"
    assert frames[2].nodes["dc"].status == "down"
    assert frames[2].globals["availability"] == 0.0


def two_datacenters() -> dict:
    comps = [{"id": "users", "kind": "client", "params": {"rps": 100}},
             {"id": "dns", "kind": "dns", "params": {"failover_s": 5}}]  # fmt: skip
    links = [{"from": "users", "to": "dns"}]
    for dc in ("east", "west"):
        comps += [
            {"id": dc, "kind": "datacenter", "params": {}},
            {"id": f"lb-{dc}", "kind": "load_balancer", "parent": dc, "params": {}},
            {"id": f"web-{dc}", "kind": "web_server", "parent": dc, "params": {"instances": 2}},
        ]
        links += [{"from": "dns", "to": f"lb-{dc}"}, {"from": f"lb-{dc}", "to": f"web-{dc}"}]
    return {"format": 1, "name": "two dcs", "components": comps, "links": links}


def test_dns_fails_over_to_the_other_datacenter():
    """Half the users fail until DNS notices the dead data centre, then all go west."""
    frames = run_frames(two_datacenters(), {"faults": [{"at": 3, "target": "east",
                                                        "action": "fail"}]}, 12)  # fmt: skip
    assert frames[2].nodes["web-west"].offered == pytest.approx(50.0)
    assert frames[4].globals["error_rate"] == pytest.approx(0.5)
    assert frames[9].globals["error_rate"] == 0.0
    assert frames[9].nodes["web-west"].offered == pytest.approx(100.0)


def test_dns_fails_over_a_data_centre_whose_servers_are_dead_behind_a_live_balancer():
    """DNS health checks see a data centre as users do: its balancer is up but every web
    server behind it is dead, so after failover_s all users go west (before, half of
    them failed for the rest of the run)."""
    frames = run_frames(two_datacenters(), {"faults": [{"at": 3, "target": "web-east",
                                                        "action": "fail"}]}, 30)  # fmt: skip
    assert frames[4].globals["error_rate"] == pytest.approx(0.5)
    assert frames[7].globals["error_rate"] == pytest.approx(0.5)  # failover_s = 5: not yet
    assert frames[9].globals["error_rate"] == 0.0
    assert frames[29].nodes["web-west"].offered == pytest.approx(100.0)
    assert frames[29].nodes["lb-east"].offered == 0.0


def test_dns_keeps_a_data_centre_with_one_live_server_tier():
    """One dead instance of two is no reason to fail a data centre over."""
    faults = [{"at": 3, "target": "web-east", "action": "fail", "count": 1}]
    frames = run_frames(two_datacenters(), {"faults": faults}, 30)
    assert frames[29].nodes["lb-east"].offered == pytest.approx(50.0)


def test_cross_datacenter_links_add_latency():
    """A link between components in different data centres adds cross_dc_ms both ways."""
    doc = two_datacenters()
    doc["links"].append({"from": "lb-east", "to": "web-west"})
    same = Engine(two_datacenters()).step().globals["mean_ms"]
    crossed = Engine(doc).step().globals["mean_ms"]
    # A quarter of the requests (half of east's) now cross: +80 ms (40 each way) for them.
    assert crossed - same == pytest.approx(80.0 / 4, rel=0.05)


def test_autoscaling_adds_instances_that_start_after_the_delay():
    """Over target utilisation the group starts instances; they serve after provision_s."""
    doc = single_server(rps=300, concurrency=1, service_ms=10.0)
    doc["components"][1]["params"].update({"autoscale": True, "target_util": 0.5,
                                           "max_instances": 8, "provision_s": 5,
                                           "cooldown_s": 10})  # fmt: skip
    engine = Engine(doc)
    frames = [engine.step() for _ in range(11)]
    assert frames[0].nodes["web"].inst == 1
    # 300 req/s at 50% of 100 req/s per instance: 6 instances. The 200 queued in tick 0
    # do not count as a second of demand: the headroom drains them (no overshoot).
    assert frames[1].nodes["web"].inst == 6
    assert frames[1].nodes["web"].ready == 1
    assert frames[5].nodes["web"].ready == 1
    assert frames[6].nodes["web"].ready == 6
    # The 1,200 queued meanwhile drain at 600 - 300 req/s: gone 4 ticks later.
    # (Plus about one: the random walk from empty idles s2 / (2 m) = 1 request's service.)
    assert frames[5].nodes["web"].queued == pytest.approx(1200.0, abs=1.5)
    assert frames[9].nodes["web"].queued == pytest.approx(0.0, abs=1.5)
    assert frames[10].nodes["web"].queued == pytest.approx(0.0, abs=1e-6)
    assert frames[10].nodes["web"].util == pytest.approx(300.0 / 600.0, rel=0.01)
    assert frames[10].globals["error_rate"] == 0.0


@pytest.mark.parametrize(("after", "expected"), [(700, 3), (1000, 5), (2000, 9), (3500, 15)])
def test_autoscaling_after_a_step_goes_straight_to_enough_and_no_further(after, expected):
    """A step in traffic: the tier scales once to the fewest instances that serve it at
    the target (ceil(rps / (400 req/s x 0.6))), never above and back down, although a
    backlog builds while the new instances start."""
    doc = lb_web(instances=2)
    doc["components"][0]["params"]["rps"] = 300
    doc["components"][2]["params"].update({"concurrency": 8, "service_ms": 20.0,
                                           "autoscale": True, "target_util": 0.6,
                                           "min_instances": 2, "max_instances": 16,
                                           "cooldown_s": 60, "provision_s": 60})  # fmt: skip
    traffic = [{"at": 60, "source": "users", "rps": after}]
    engine = Engine(doc, {"duration_s": 900, "traffic": traffic})
    counts = [engine.step().nodes["web"].inst for _ in range(900)]
    assert max(counts) == expected
    assert counts[-1] == expected
    assert [e["text"] for e in engine.events if e["kind"] == "autoscaled"] == [
        f"web scaling 2 -> {expected} instances (ready in 60 s)"
    ]


def with_session_store() -> dict:
    doc = lb_web(instances=2)
    doc["components"].append({"id": "sessions", "kind": "session_store",
                              "params": {"service_ms": 2.0}})  # fmt: skip
    doc["links"].append({"from": "web", "to": "sessions"})
    return doc


def test_a_session_store_takes_a_lookup_per_request_and_adds_its_latency():
    """A stateless tier looks every request up in the session store."""
    frame = Engine(with_session_store()).step()
    without = Engine(lb_web(instances=2)).step()
    store = frame.nodes["sessions"]
    assert store.offered == pytest.approx(200.0)
    assert store.lat == pytest.approx(2.0, rel=0.01)
    assert frame.globals["throughput_rps"] == pytest.approx(200.0)
    # The lookup's latency reaches the end-to-end numbers from the first tick.
    assert frame.globals["mean_ms"] - without.globals["mean_ms"] == pytest.approx(store.lat)


def test_a_session_lookup_pays_its_link_and_a_data_centre_crossing():
    """The lookup is a hop like any other: the link's latency, and the crossing when the
    store sits in another data centre, add to every request of the tier, both ways."""
    base = Engine(with_session_store()).step().globals["mean_ms"]
    slow = with_session_store()
    slow["links"][-1]["params"] = {"latency_ms": 7.0}
    assert Engine(slow).step().globals["mean_ms"] - base == pytest.approx(14.0, rel=1e-9)
    far = with_session_store()
    far["components"] += [
        {"id": "dc-a", "kind": "datacenter", "params": {"cross_dc_ms": 30.0}},
        {"id": "dc-b", "kind": "datacenter", "params": {"cross_dc_ms": 30.0}},
    ]
    for cid, dc in (("users", "dc-a"), ("lb", "dc-a"), ("web", "dc-a"), ("sessions", "dc-b")):
        next(c for c in far["components"] if c["id"] == cid)["parent"] = dc
    assert Engine(far).step().globals["mean_ms"] - base == pytest.approx(60.0, rel=1e-9)


def test_the_session_store_latency_reaches_users_in_the_same_tick():
    """When traffic steps up and the store's latency jumps, the web tier's requests carry
    the new latency in that very tick, not the tick after."""
    doc = with_session_store()
    doc["components"][3]["params"].update({"concurrency": 1})  # 500 lookups/s
    frames = run_frames(doc, {"traffic": [{"at": 5, "source": "users", "rps": 450}]}, 8)
    # 0.4 -> 0.9 of capacity: 3.3 ms, then 16 ms climbing towards M/M/1's 20 ms.
    assert frames[5].nodes["sessions"].lat > 4 * frames[4].nodes["sessions"].lat
    for frame in frames:
        # Every request passes the balancer, is served at the web tier (there is no
        # database) and looked up in the store.
        expected = sum(frame.nodes[cid].lat for cid in ("lb", "web", "sessions"))
        assert frame.globals["mean_ms"] == pytest.approx(expected, rel=1e-9)


def test_a_dead_session_store_fails_the_stateless_tier():
    """Without its session store a stateless tier cannot serve logged-in users."""
    fault = {"at": 2, "target": "sessions", "action": "fail"}
    frames = run_frames(with_session_store(), {"faults": [fault]}, 4)
    assert frames[1].globals["error_rate"] == 0.0
    assert frames[3].globals["error_rate"] == pytest.approx(1.0 - 0.1)  # static still served
    assert frames[3].nodes["web"].reason == "session store down"


def lb_pair(instances: int, failover_s: float | None = None) -> dict:
    doc = lb_web(instances=4)
    doc["components"][1]["params"]["instances"] = instances
    if failover_s is not None:
        doc["components"][1]["params"]["failover_s"] = failover_s
    return doc


def test_a_balancer_pair_loses_a_dead_instances_share_only_until_failover():
    """Two balancer instances behind a floating address: half the traffic is lost for
    failover_s, then the survivor takes everything."""
    fault = {"faults": [{"at": 5, "target": "lb", "action": "fail", "count": 1}]}
    frames = run_frames(lb_pair(2, failover_s=4), fault, 20)
    errors = [f.globals["error_rate"] for f in frames]
    assert errors[:5] == [0.0] * 5
    assert errors[5:9] == [pytest.approx(0.5)] * 4
    assert errors[9:] == [0.0] * 11
    assert frames[12].nodes["lb"].status == "degraded"
    assert frames[12].nodes["lb"].served == pytest.approx(200.0)
    assert frames[12].nodes["web"].offered == pytest.approx(200.0)


def test_a_balancer_pair_fails_over_after_the_default_delay_of_a_few_seconds():
    fault = {"faults": [{"at": 2, "target": "lb", "action": "fail", "count": 1}]}
    errors = [f.globals["error_rate"] for f in run_frames(lb_pair(3), fault, 12)]
    lost = [e for e in errors if e > 0.0]
    assert lost == [pytest.approx(1 / 3)] * 3  # one of three, for the default 3 s
    assert errors[-1] == 0.0


def test_a_single_balancer_stays_a_single_point_of_failure():
    """One instance: its death loses everything, for good, whatever failover_s says."""
    fault = {"faults": [{"at": 5, "target": "lb", "action": "fail", "count": 1}]}
    frames = run_frames(lb_pair(1, failover_s=1), fault, 20)
    assert [f.globals["availability"] for f in frames[5:]] == [0.0] * 15


def test_a_whole_failed_balancer_pair_is_an_outage():
    fault = {"faults": [{"at": 5, "target": "lb", "action": "fail"}]}
    frames = run_frames(lb_pair(2, failover_s=1), fault, 20)
    assert [f.globals["availability"] for f in frames[5:]] == [0.0] * 15


def test_a_balancer_pair_keeps_its_failover_through_later_events():
    """An unrelated event after the failover does not bring the dead share back."""
    scenario = {"faults": [{"at": 2, "target": "lb", "action": "fail", "count": 1},
                           {"at": 10, "target": "web", "action": "fail", "count": 1}]}  # fmt: skip
    frames = run_frames(lb_pair(2, failover_s=2), scenario, 12)
    assert frames[8].globals["error_rate"] == 0.0
    assert frames[10].nodes["lb"].dropped == 0.0


def without_replica(doc: dict) -> dict:
    doc["components"] = [c for c in doc["components"] if c["id"] != "db-r1"]
    doc["links"] = [link for link in doc["links"] if "db-r1" not in (link["from"], link["to"])]
    return doc


def test_a_lone_primary_failure_promises_no_promotion():
    """With no replica there is nothing to promote: the event says its requests fail until
    it recovers, and nothing is ever promoted."""
    engine = Engine(without_replica(web_stack()), {"faults": [{"at": 5, "target": "db",
                                                               "action": "fail"}]})  # fmt: skip
    for _ in range(60):
        engine.step()
    failover = [e["text"] for e in engine.events if e["kind"] == "failover"]
    assert failover == ["db (primary) is down with no live replica to promote: its reads and "
                        "writes fail until it recovers"]  # fmt: skip
    assert not [e for e in engine.events if e["kind"] == "promoted"]


def test_a_primary_whose_replicas_are_down_waits_for_one_to_recover():
    """Every replica dead when the primary fails: no promotion is promised; one that
    recovers after the failover delay is promoted."""
    faults = [{"at": 5, "target": "db-r1", "action": "fail"},
              {"at": 10, "target": "db", "action": "fail"},
              {"at": 60, "target": "db-r1", "action": "recover"}]  # fmt: skip
    engine = Engine(web_stack(), {"faults": faults})
    for _ in range(70):
        engine.step()
    failover = [e["text"] for e in engine.events if e["kind"] == "failover"]
    assert failover == ["db (primary) is down with no live replica to promote: its reads and "
                        "writes fail until it or a replica recovers"]  # fmt: skip
    promoted = [e for e in engine.events if e["kind"] == "promoted"]
    assert [(e["t"], e["component"]) for e in promoted] == [(60.0, "db-r1")]


def replicas_in_two_datacenters(cross_dc_ms: float = 40.0) -> dict:
    """A primary and a replica in east, a replica in west; each data centre's web tier
    links to the primary (the cluster routes its reads)."""
    comps = [{"id": "users", "kind": "client",
              "params": {"rps": 200, "mix": {"read": 1.0, "write": 0.0, "static": 0.0}}},
             {"id": "dns", "kind": "dns", "params": {}},
             {"id": "db", "kind": "database", "parent": "east", "params": {"role": "primary"}},
             {"id": "db-east", "kind": "database", "parent": "east",
              "params": {"role": "replica"}},
             {"id": "db-west", "kind": "database", "parent": "west",
              "params": {"role": "replica"}}]  # fmt: skip
    links = [{"from": "users", "to": "dns"}, {"from": "db", "to": "db-east"},
             {"from": "db", "to": "db-west"}]  # fmt: skip
    for dc in ("east", "west"):
        comps += [
            {"id": dc, "kind": "datacenter", "params": {"cross_dc_ms": cross_dc_ms}},
            {"id": f"web-{dc}", "kind": "web_server", "parent": dc, "params": {}},
        ]
        links += [{"from": "dns", "to": f"web-{dc}"}, {"from": f"web-{dc}", "to": "db"}]
    return {"format": 1, "name": "replicas in two dcs", "components": comps, "links": links}


def test_reads_go_to_a_replica_in_the_readers_data_centre():
    """Each data centre's reads stay home while a replica there is healthy (no crossing
    paid: the same latency as with no distance at all); when it dies they cross to the
    other data centre's replica and pay the crossing."""
    near = Engine(replicas_in_two_datacenters(cross_dc_ms=0.0)).run(5)
    faults = [{"at": 10, "target": "db-west", "action": "fail"}]
    engine = Engine(replicas_in_two_datacenters(cross_dc_ms=40.0), {"faults": faults})
    frames = [engine.step() for _ in range(15)]
    home, away = frames[5], frames[12]
    assert home.nodes["db-east"].served == pytest.approx(100.0)
    assert home.nodes["db-west"].served == pytest.approx(100.0)
    assert home.nodes["db"].served == pytest.approx(0.0)
    assert home.globals["mean_ms"] == pytest.approx(near.globals["mean_ms"])
    assert away.nodes["db-east"].served == pytest.approx(200.0)
    assert away.nodes["db-west"].offered == pytest.approx(0.0)
    # West's half of the reads now pays the crossing, 40 ms each way (and db-east serves
    # twice the load).
    busier_ms = away.nodes["db-east"].lat - home.nodes["db-east"].lat
    rise = away.globals["mean_ms"] - home.globals["mean_ms"]
    assert rise == pytest.approx(80.0 / 2 + busier_ms, rel=0.01)
