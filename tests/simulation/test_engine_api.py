"""The Engine's public API: stepping, controls, frames, the report, scenarios and checks."""

from __future__ import annotations

import json
import math

import pytest

from simulation import ControlError, DesignError, Engine, Limits

from .designs import single_server, web_stack


def test_step_advances_time_and_tick():
    """step() moves now by tick_s and counts ticks."""
    engine = Engine(single_server(), {"tick_s": 0.5})
    engine.step()
    engine.step()
    assert (engine.now, engine.tick) == (1.0, 2)


def test_run_stops_at_until_or_the_scenario_end():
    """run(until) stops at that time; run() at the scenario's duration, then finished is true."""
    engine = Engine(single_server(), {"duration_s": 30})
    assert engine.run(until=10).t == 10.0
    assert not engine.finished
    assert engine.run().t == 30.0
    assert engine.finished


def test_an_invalid_design_raises_design_error():
    """The engine validates its document."""
    with pytest.raises(DesignError):
        Engine(single_server(instances=0))


def test_frame_json_has_the_documented_shape():
    """to_json has tick, t, nodes, links, global and events with the documented keys."""
    frame = Engine(web_stack()).step().to_json()
    assert set(frame) == {"tick", "t", "nodes", "links", "global", "events"}
    assert set(frame["nodes"]["web"]) == {
        "status", "health", "reason", "offered", "served", "queued", "dropped", "util", "lat",
        "p95", "inst", "ready", "x",
    }  # fmt: skip
    assert frame["links"][0] == ["users", "lb", 400.0]
    assert set(frame["global"]) >= {
        "offered_rps", "throughput_rps", "error_rate", "availability", "p50_ms", "p95_ms",
        "p99_ms", "classes", "cost_per_hour",
    }  # fmt: skip
    assert set(frame["global"]["classes"]["read"]) >= {"p50_ms", "p95_ms", "p99_ms"}
    assert json.loads(json.dumps(frame)) == frame


def test_cost_adds_instances_times_tier_price():
    """Cost per hour: every serving instance at its size tier's price."""
    frame = Engine(single_server(instances=3)).step()
    assert frame.globals["cost_per_hour"] == pytest.approx(3 * 0.05)


@pytest.mark.parametrize(
    ("rps", "health", "reason"),
    [(50.0, "ok", None), (75.0, "warning", "near saturation"), (95.0, "critical", "saturated"),
     (150.0, "critical", "saturated")],
)  # fmt: skip
def test_health_is_graded_by_utilisation(rps: float, health: str, reason: str | None):
    """ok below 0.7, warning up to 0.9, critical past 0.9 or when saturated."""
    node = Engine(single_server(rps=rps, service_ms=10.0)).step().nodes["web"]
    assert (node.health, node.reason) == (health, reason)


@pytest.mark.parametrize(
    ("rps", "queue_limit", "health", "reason"),
    [(60.0, 50, "ok", None),  # M/M/1/50 blocks ~1e-12 of arrivals: nothing to report
     (60.0, 10, "warning", "dropping requests"),  # 0.15% blocked at 60% utilisation
     (80.0, 10, "critical", "dropping requests"),  # 1.8% blocked at 79%
     (60.0, 2, "critical", "dropping requests"),  # 10% blocked: a queue far too short
     (99.0, 10, "critical", "saturated")],  # 8% blocked at 91%
)  # fmt: skip
def test_health_grades_drops_by_their_share_of_the_load(
    rps: float, queue_limit: int, health: str, reason: str | None
):
    """A limited queue blocks a sliver of arrivals at any load (M/M/c/K): below 0.1% of what
    a node is offered that is ok, from 0.1% a warning, from 1% critical."""
    node = Engine(single_server(rps=rps, queue_limit=queue_limit)).step().nodes["web"]
    assert (node.health, node.reason) == (health, reason)
    assert node.dropped > 0.0  # the drops are still counted, whatever the grade


def test_a_tiny_drop_share_still_grades_by_utilisation():
    """Drops below 0.1% do not hide the utilisation grade: 80% busy is a warning."""
    node = Engine(single_server(rps=80.0, queue_limit=50)).step().nodes["web"]
    assert 0.0 < node.dropped / node.offered < 0.001
    assert (node.health, node.reason) == ("warning", "near saturation")


def test_apply_fail_and_recover_return_events():
    """Controls return the events they cause; events carry t, component, kind and text."""
    engine = Engine(single_server())
    engine.step()
    assert engine.apply({"action": "fail", "target": "web"}) == [
        {"t": 1.0, "component": "web", "kind": "failed", "text": "web failed"}
    ]
    assert engine.step().nodes["web"].status == "down"
    engine.apply({"action": "recover", "target": "web"})
    assert engine.step().nodes["web"].status == "up"


def test_a_bad_control_raises_control_error():
    """An unknown target is refused with a message naming it."""
    engine = Engine(single_server())
    with pytest.raises(ControlError, match="no component with id 'ghost'"):
        engine.apply({"action": "fail", "target": "ghost"})


def test_set_rate_changes_the_traffic():
    """set_rate sets a client's rate from the next tick."""
    engine = Engine(single_server(rps=10))
    engine.apply({"action": "set_rate", "target": "users", "rps": 40})
    assert engine.step().globals["offered_rps"] == 40.0


def test_a_spike_adds_traffic_for_its_length_then_the_rate_returns():
    """A live spike of 300 req/s for 3 s on 100 req/s: 400 for exactly three ticks, then
    100 again (quiet ticks after it notice the end); said in an event; scheduled as a
    scenario's fault it does the same at its time."""
    engine = Engine(single_server(rps=100, concurrency=8, service_ms=20.0))
    for _ in range(5):
        engine.step()
    [event] = engine.apply({"action": "spike", "target": "users", "rps": 300, "duration_s": 3})
    assert (event["kind"], event["text"]) == ("spike", "users: a spike of 300 req/s more for 3 s")
    offered = [engine.step().globals["offered_rps"] for _ in range(6)]
    assert offered == [400.0, 400.0, 400.0, 100.0, 100.0, 100.0]
    scheduled = Engine(single_server(rps=100), {"duration_s": 20, "faults": [
        {"at": 4, "action": "spike", "target": "users", "rps": 50, "duration_s": 2}]})  # fmt: skip
    offered = [scheduled.step().globals["offered_rps"] for _ in range(8)]
    assert offered == [100.0] * 4 + [150.0, 150.0] + [100.0] * 2


def test_instances_change_by_scale_and_set_param_says_so():
    """set_param of instances used to be taken and ignored (the run kept its count)."""
    engine = Engine(single_server())
    with pytest.raises(ControlError, match="instances change with scale"):
        engine.apply({"action": "set_param", "target": "web", "param": "instances", "value": 3})


def test_a_spike_is_refused_on_a_component_that_sends_no_traffic():
    engine = Engine(single_server())
    with pytest.raises(ControlError, match="not a client"):
        engine.apply({"action": "spike", "target": "web", "rps": 10, "duration_s": 5})


def test_cost_per_hour_follows_every_change_of_instances_and_size():
    """Cost is kept between events: scaling, a set_param of the size and instances that
    start billing while they provision each show in the very next frame."""
    doc = single_server(rps=10)
    doc["components"][1]["params"]["provision_s"] = 20
    engine = Engine(doc)
    assert engine.step().globals["cost_per_hour"] == pytest.approx(0.05)
    engine.apply({"action": "scale", "target": "web", "instances": 3})
    assert engine.step().globals["cost_per_hour"] == pytest.approx(3 * 0.05)
    engine.apply({"action": "set_param", "target": "web", "param": "size", "value": "large"})
    assert engine.step().globals["cost_per_hour"] == pytest.approx(3 * 0.30)
    engine.apply({"action": "scale", "target": "web", "instances": 1})
    frames = [engine.step() for _ in range(3)]
    assert [f.globals["cost_per_hour"] for f in frames] == pytest.approx([0.30] * 3)


def test_set_param_of_service_time_or_concurrency_changes_capacity_from_the_next_tick():
    """A server's capacity follows its live parameters (they are read once per event)."""
    engine = Engine(single_server(rps=50, service_ms=10.0))
    assert engine.step().nodes["web"].util == pytest.approx(0.5)
    engine.apply({"action": "set_param", "target": "web", "param": "service_ms", "value": 5.0})
    assert engine.step().nodes["web"].util == pytest.approx(0.25)
    engine.apply({"action": "set_param", "target": "web", "param": "concurrency", "value": 5})
    assert engine.step().nodes["web"].util == pytest.approx(0.05)


def test_scale_out_and_up():
    """scale instances adds capacity after provisioning; size with resize_s 0 changes the
    tier at once."""
    doc = single_server(rps=150, service_ms=10.0)
    doc["components"][1]["params"]["resize_s"] = 0
    engine = Engine(doc)
    engine.apply({"action": "scale", "target": "web", "size": "medium"})
    frame = engine.step()
    assert frame.nodes["web"].util == pytest.approx(0.75)
    assert frame.globals["cost_per_hour"] == pytest.approx(0.12)
    engine.apply({"action": "scale", "target": "web", "instances": 3})
    frames = [engine.step() for _ in range(31)]
    assert frames[0].nodes["web"].ready == 1
    assert frames[-1].nodes["web"].ready == 3
    ready = [e["text"] for f in frames for e in f.events if e["kind"] == "ready"]
    assert ready == ["web: 2 instances ready"]
    engine.apply({"action": "scale", "target": "web", "instances": 4})
    ready = [e["text"] for _ in range(31) for e in engine.step().events if e["kind"] == "ready"]
    assert ready == ["web: 1 instance ready"]


def test_set_param_changes_a_parameter_live():
    """set_param on a cache's hit ratio changes the database load."""
    engine = Engine(web_stack())
    engine.apply({"action": "set_param", "target": "cache", "param": "hit_ratio", "value": 0.5})
    assert engine.step().nodes["db-r1"].offered == pytest.approx(280 * 0.5)


def test_link_latency_adds_to_the_end_to_end_latency():
    """link_latency on the only link adds its round trip (twice the ms) to every request."""
    engine = Engine(single_server(rps=10))
    before = engine.step().globals["mean_ms"]
    engine.apply({"action": "link_latency", "from": "users", "to": "web", "ms": 80})
    assert engine.step().globals["mean_ms"] == pytest.approx(before + 160.0)


def test_traffic_ramps_linearly():
    """A traffic step with ramp_s moves the rate linearly over the ramp."""
    ramp = {"at": 5, "source": "users", "rps": 50, "ramp_s": 4}
    engine = Engine(single_server(rps=10), {"traffic": [ramp]})
    rates = [engine.step().globals["offered_rps"] for _ in range(12)]
    assert rates[4:11] == [10.0, 10.0, 20.0, 30.0, 40.0, 50.0, 50.0]


def test_spikes_add_traffic_for_their_duration():
    """A spike adds its rps between at and at + duration_s."""
    spike = {"at": 2, "source": "users", "rps": 30, "duration_s": 3}
    engine = Engine(single_server(rps=10), {"spikes": [spike]})
    rates = [engine.step().globals["offered_rps"] for _ in range(6)]
    assert rates == [10.0, 10.0, 40.0, 40.0, 40.0, 10.0]


def test_a_daily_wave_peaks_at_peak_s():
    """A wave multiplies the rate by 1 + amplitude at its peak and 1 - amplitude opposite."""
    engine = Engine(single_server(rps=10), {"duration_s": 100, "waves": [
        {"source": "users", "amplitude": 0.5, "period_s": 100, "peak_s": 50}]})  # fmt: skip
    rates = [engine.step().globals["offered_rps"] for _ in range(100)]
    assert rates[50] == pytest.approx(15.0)
    assert rates[0] == pytest.approx(5.0)


def test_poisson_noise_keeps_the_average_rate():
    """With noise, arrivals vary tick to tick around the set rate."""
    engine = Engine(single_server(rps=20), {"noise": True, "duration_s": 2000}, seed=3)
    rates = [engine.step().globals["offered_rps"] for _ in range(2000)]
    assert len(set(rates)) > 10
    assert sum(rates) / len(rates) == pytest.approx(20.0, rel=0.02)


def test_a_failing_check_aborts_the_run_and_reports_fail():
    """error_rate > 5% for 3 s with abort ends the run and is reported failed."""
    scenario = {"duration_s": 100,
                "faults": [{"at": 10, "target": "web", "action": "fail"}],
                "checks": [{"metric": "error_rate", "op": ">", "value": 0.05, "for_s": 3,
                            "abort": True},
                           {"metric": "p99_ms", "op": ">", "value": 10000}]}  # fmt: skip
    engine = Engine(single_server(), scenario)
    engine.run()
    assert engine.finished
    assert engine.now == 13.0
    checks = engine.report()["checks"]
    assert [(c["name"], c["passed"]) for c in checks] == [
        ("error_rate > 0.05 for 3s", False), ("p99_ms > 10000", True),
    ]  # fmt: skip


def test_the_report_follows_the_cli_output_format():
    """report() has the documented keys; summary averages exclude the warm-up."""
    engine = Engine(single_server(rps=50), {"duration_s": 100, "warmup_s": 10,
                    "traffic": [{"at": 0, "source": "users", "rps": 1000},
                                {"at": 10, "source": "users", "rps": 50}]})  # fmt: skip
    engine.run()
    report = engine.report()
    assert set(report) >= {"design", "seed", "tick_s", "ticks", "summary", "components",
                           "series", "events", "checks"}  # fmt: skip
    assert report["ticks"] == 100
    assert set(report["summary"]) >= {"offered_rps", "served_rps", "dropped_rps", "availability",
                                      "error_rate", "cost_per_hour", "latency_ms"}  # fmt: skip
    assert report["summary"]["offered_rps"] == pytest.approx(50.0)
    web = report["components"]["web"]
    assert set(web) >= {"offered_rps", "served_rps", "dropped_rps", "utilization", "queue",
                        "status", "latency_ms"}  # fmt: skip
    assert set(web["latency_ms"]) == {"mean", "p50", "p95", "p99"}
    assert len(report["series"]["t"]) == 100
    assert json.loads(json.dumps(report)) == report


def test_the_scenario_seed_is_used_unless_one_is_given():
    """Engine(seed=...) overrides the scenario's seed; otherwise the scenario's applies."""
    assert Engine(single_server(), {"seed": 5}).seed == 5
    assert Engine(single_server(), {"seed": 5}, seed=9).seed == 9
    assert Engine(single_server()).seed == 0


def test_skewed_keys_make_a_hot_shard():
    """With skew, the first shard gets more than its share and saturates first."""
    doc = {
        "format": 1, "name": "shards",
        "components": [
            {"id": "users", "kind": "client", "params": {"rps": 350,
             "mix": {"read": 1.0, "write": 0.0, "static": 0.0, "job": 0.0}}},
            {"id": "web", "kind": "web_server", "params": {"instances": 4}},
            {"id": "router", "kind": "shard_router", "params": {"skew": 1.0}},
            *[{"id": f"shard-{i}", "kind": "database", "params": {"concurrency": 1}}
              for i in range(3)],
        ],
        "links": [{"from": "users", "to": "web"}, {"from": "web", "to": "router"},
                  *[{"from": "router", "to": f"shard-{i}"} for i in range(3)]],
    }  # fmt: skip
    nodes = Engine(doc).step().nodes
    loads = [nodes[f"shard-{i}"].offered for i in range(3)]
    total = 1 + 1 / 2 + 1 / 3  # Zipf weights 1, 1/2, 1/3
    assert loads == pytest.approx([350 / total, 350 / 2 / total, 350 / 3 / total])
    assert nodes["shard-0"].health == "critical"
    assert nodes["shard-2"].health == "ok"


def test_run_on_a_finished_engine_returns_the_last_frame():
    """run() after the end steps no further."""
    engine = Engine(single_server(), {"duration_s": 5})
    last = engine.run()
    assert engine.run() is last
    assert engine.tick == 5


def balanced(algorithm: str, weights: dict | None = None) -> dict:
    return {
        "format": 1, "name": "balanced",
        "components": [
            {"id": "users", "kind": "client", "params": {"rps": 300}},
            {"id": "lb", "kind": "load_balancer",
             "params": {"algorithm": algorithm, "weights": weights or {}}},
            {"id": "small", "kind": "web_server", "params": {"size": "small"}},
            {"id": "big", "kind": "web_server", "params": {"size": "large"}},
        ],
        "links": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "small"},
                  {"from": "lb", "to": "big"}],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("algorithm", "weights", "small_share"),
    [("round_robin", None, 0.5), ("random", None, 0.5), ("weighted", {"big": 2}, 1 / 3),
     ("least_connections", None, 1 / 5)],
)  # fmt: skip
def test_balancer_algorithms_split_as_documented(algorithm: str, weights: dict | None,
                                                  small_share: float):  # fmt: skip
    """Round robin and random split evenly, weighted by weight, least connections by capacity."""
    nodes = Engine(balanced(algorithm, weights)).step().nodes
    assert nodes["small"].offered == pytest.approx(300 * small_share)
    assert nodes["big"].offered == pytest.approx(300 * (1 - small_share))


def test_least_connections_weighs_balancers_by_their_own_service_time():
    """Least connections favours the faster target by its real service time: a sticky
    (ip_hash) balancer spends sticky_cost times as long on each request, so it has half
    the capacity of a round-robin one (50,000 against 100,000 req/s) and takes a third
    of the traffic near saturation. At light load an idle server is picked whatever its
    speed, so each takes half."""

    def sticky_share(rps: float) -> float:
        front = {"algorithm": "least_connections", "concurrency": 10_000}
        doc = {
            "format": 1, "name": "two balancer tiers",
            "components": [
                {"id": "users", "kind": "client", "params": {"rps": rps}},
                {"id": "front", "kind": "load_balancer", "params": front},
                {"id": "sticky", "kind": "load_balancer",
                 "params": {"algorithm": "ip_hash", "sticky_cost": 2}},
                {"id": "plain", "kind": "load_balancer", "params": {"algorithm": "round_robin"}},
                {"id": "web", "kind": "web_server", "params": {"instances": 4}},
            ],
            "links": [{"from": "users", "to": "front"}, {"from": "front", "to": "sticky"},
                      {"from": "front", "to": "plain"}, {"from": "sticky", "to": "web"},
                      {"from": "plain", "to": "web"}],
        }  # fmt: skip
        nodes = Engine(doc).step().nodes
        assert nodes["sticky"].offered + nodes["plain"].offered == pytest.approx(rps)
        return nodes["sticky"].offered / rps

    assert sticky_share(300.0) == pytest.approx(0.5, abs=0.01)
    assert 1 / 3 < sticky_share(100_000.0) < 0.45
    assert sticky_share(149_000.0) == pytest.approx(1 / 3, abs=0.005)
    assert sticky_share(160_000.0) == pytest.approx(1 / 3)


def test_dns_splits_by_geo_weights():
    """DNS weights (by entry id or data-centre id) set each entry's share."""
    doc = {
        "format": 1, "name": "dns",
        "components": [
            {"id": "users", "kind": "client", "params": {"rps": 100}},
            {"id": "dns", "kind": "dns", "params": {"weights": {"east": 3}}},
            {"id": "east", "kind": "datacenter", "params": {}},
            {"id": "web-east", "kind": "web_server", "parent": "east", "params": {}},
            {"id": "web-west", "kind": "web_server", "params": {}},
        ],
        "links": [{"from": "users", "to": "dns"}, {"from": "dns", "to": "web-east"},
                  {"from": "dns", "to": "web-west"}],
    }  # fmt: skip
    nodes = Engine(doc).step().nodes
    assert nodes["web-east"].offered == pytest.approx(75.0)
    assert nodes["web-west"].offered == pytest.approx(25.0)


def test_a_cdn_serves_static_hits_at_the_edge():
    """Static requests hit the CDN; only its misses reach the origin."""
    doc = single_server(rps=100, mix={"read": 0.5, "write": 0.0, "static": 0.5, "job": 0.0})
    doc["components"].append({"id": "cdn", "kind": "cdn", "params": {"hit_ratio": 0.9}})
    doc["links"] += [{"from": "users", "to": "cdn"}, {"from": "cdn", "to": "web"}]
    frame = Engine(doc).step()
    assert frame.nodes["cdn"].offered == pytest.approx(50.0)
    assert frame.nodes["web"].offered == pytest.approx(50.0 + 5.0)
    assert frame.globals["throughput_rps"] == pytest.approx(100.0)


def test_a_timeout_turns_long_waits_into_errors():
    """With timeout_ms, requests that have waited that long give up (M/M/1+D): they are
    errors and take no service, so the rest wait less."""
    slow = Engine(single_server(rps=90, service_ms=10.0)).step().globals["error_rate"]
    doc = single_server(rps=90, service_ms=10.0)
    doc["components"][1]["params"]["timeout_ms"] = 100.0
    strict = Engine(doc).step()
    # M/M/1+D, lam 90, mu 100, D 0.1 s: J = (1 - e^-1) / 10 + e^-1 / 100, an arrival waits
    # with P = lam J / (1 + lam J) and gives up with P e^-1 / (mu J) = 0.04716 (a
    # 400,000-request simulation, tests/simulation/patience_sim.py, gives 0.047165).
    # The old model booked every request that would wait past 0.1 s: 0.331, 7x too many.
    e = math.exp(-1.0)
    j = (1.0 - e) / 10.0 + e / 100.0
    waits = 90.0 * j / (1.0 + 90.0 * j)
    assert slow == 0.0
    assert strict.globals["error_rate"] == pytest.approx(waits * e / (100.0 * j), rel=1e-9)
    assert strict.nodes["web"].util == pytest.approx(0.9 * (1.0 - waits * e / (100.0 * j)))


def test_the_engine_enforces_limits_it_is_given():
    """Engine(limits=...) validates the document against those limits."""
    with pytest.raises(DesignError, match="at most 3 allowed"):
        Engine(web_stack(), limits=Limits(max_components=3))
    assert Engine(web_stack(), limits=Limits(max_components=9)).step().tick == 1


def test_a_failed_router_passes_nothing_on():
    """A shard router that fails drops every request sent to it."""
    doc = {
        "format": 1, "name": "router",
        "components": [
            {"id": "users", "kind": "client", "params": {"rps": 50,
             "mix": {"read": 1.0, "write": 0.0, "static": 0.0, "job": 0.0}}},
            {"id": "web", "kind": "web_server", "params": {}},
            {"id": "router", "kind": "shard_router", "params": {}},
            {"id": "shard", "kind": "database", "params": {}},
        ],
        "links": [{"from": "users", "to": "web"}, {"from": "web", "to": "router"},
                  {"from": "router", "to": "shard"}],
    }  # fmt: skip
    engine = Engine(doc)
    engine.apply({"action": "fail", "target": "router"})
    frame = engine.step()
    assert frame.nodes["router"].status == "down"
    assert frame.nodes["router"].dropped == pytest.approx(50.0)
    assert frame.globals["error_rate"] == 1.0
