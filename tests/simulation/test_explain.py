"""Explanations of unhealthy components (simulation/explain.py): the arithmetic is the
capacity formula's, written out independently here; a fix, applied and run again,
really brings the component to its promised utilisation; names, never ids."""

from __future__ import annotations

import math

import pytest

from simulation import Engine
from simulation.explain import TARGET_UTIL, describe

from .designs import settled, single_server, web_stack

SIZE_FACTOR = {"small": 1, "medium": 2, "large": 4, "xlarge": 8, "2xlarge": 16}
PRICE = {"small": 0.05, "medium": 0.12, "large": 0.30, "xlarge": 0.80, "2xlarge": 2.40}


def tier(rps: float, instances: int, concurrency: int = 8, service_ms: float = 20.0,
         size: str = "small", **params) -> dict:  # fmt: skip
    doc = single_server(rps=rps, concurrency=concurrency, service_ms=service_ms,
                        instances=instances)  # fmt: skip
    web = doc["components"][1]
    web["label"] = "Checkout web tier"
    web["params"].update(size=size, **params)
    return doc


def explained(doc: dict, ticks: int = 5, scenario: dict | None = None) -> dict:
    engine = Engine(doc, scenario or {"duration_s": 1000})
    for _ in range(ticks):
        engine.step()
    return engine.explain()


def capacity(instances: int, concurrency: int, service_ms: float, size: str = "small") -> float:
    return instances * concurrency * SIZE_FACTOR[size] * 1000.0 / service_ms


def test_an_overloaded_tier_says_its_capacity_and_the_arithmetic_behind_it():
    """3 instances x 8 at once x 1000 / 20 ms = 1,200 req/s against 1,900 offered: the
    backlog grows by 700 req/s, and the text says so with the user's name."""
    why = explained(tier(1900, 3), ticks=5)["web"]
    assert why["code"] == "over_capacity"
    p = why["params"]
    assert p["name"] == "Checkout web tier"
    assert p["capacity"] == pytest.approx(capacity(3, 8, 20.0))
    assert p["offered"] == pytest.approx(1900)
    assert p["excess"] == pytest.approx(700)
    assert p["queued"] == pytest.approx(700 * 5, rel=0.01)
    text = why["text"]
    assert text.startswith("Checkout web tier is offered 1,900 req/s but can serve 1,200 req/s")
    assert "400 req/s an instance (8 at once × 1000 / 20 ms) × 3 ready = 1,200 req/s" in text
    assert "web " not in text.replace("web tier", "")  # the id never shows


@pytest.mark.parametrize("rps", [900, 1100, 1900, 5000, 20000])
def test_each_fix_applied_and_run_again_brings_utilisation_to_what_it_promised(rps):
    """Over the range from near capacity to 17x it: the instances fix and the size fix,
    each applied to the design and run to its steady state, give the utilisation the
    fix promised, below TARGET_UTIL, and the tier is healthy again."""
    why = explained(tier(rps, 3), ticks=3)["web"]
    fixes = {fix["code"]: fix["params"] for fix in why["fixes"]}
    assert "add_instances" in fixes
    for code, params in fixes.items():
        if code == "add_instances":
            doc = tier(rps, params["proposed"])
            promised = rps / capacity(params["proposed"], 8, 20.0)
        elif code == "bigger_size":
            doc = tier(rps, 3, size=params["proposed"])
            promised = rps / capacity(3, 8, 20.0, params["proposed"])
        else:
            continue
        node = settled(Engine(doc)).nodes["web"]
        assert params["util"] == pytest.approx(promised)
        assert node.util == pytest.approx(promised, rel=1e-6)
        assert node.util < TARGET_UTIL
        assert node.health == "ok"


def test_the_smallest_fixes_are_proposed_and_ranked_by_cost():
    """The fewest instances that reach the target (one fewer would not), the first size
    tier that does; cheapest first, each with its added cost an hour."""
    rps = 1900
    why = explained(tier(rps, 3), ticks=3)["web"]
    fixes = why["fixes"]
    costs = [fix["params"]["cost"] for fix in fixes]
    assert costs == sorted(costs)
    by_code = {fix["code"]: fix["params"] for fix in fixes}
    n = by_code["add_instances"]["proposed"]
    assert rps / capacity(n, 8, 20.0) < TARGET_UTIL <= rps / capacity(n - 1, 8, 20.0)
    assert by_code["add_instances"]["cost"] == pytest.approx((n - 3) * PRICE["small"])
    size = by_code["bigger_size"]["proposed"]
    assert size == "large"  # medium's 2,400 req/s would run at 79%; large's 4,800 at 40%
    assert by_code["bigger_size"]["cost"] == pytest.approx(3 * (PRICE["large"] - PRICE["small"]))
    texts = [fix["text"] for fix in fixes]
    assert f"{n} instances instead of 3 would bring utilisation to 68%" in texts[0]


def test_a_tier_near_capacity_is_explained_as_such_and_a_healthy_one_not_at_all():
    assert explained(tier(900, 3), ticks=3)["web"]["code"] == "near_capacity"  # 75%
    assert explained(tier(1100, 3), ticks=3)["web"]["code"] == "saturated"  # 92%
    assert explained(tier(500, 3), ticks=3) == {}  # 42%


def test_a_draining_backlog_says_how_long_it_takes():
    """Overload for 20 s, then half the capacity: the backlog drains at the spare rate."""
    scenario = {"duration_s": 1000, "traffic": [{"at": 20, "source": "users", "rps": 600}]}
    engine = Engine(tier(1900, 3), scenario)
    for _ in range(21):
        engine.step()
    why = engine.explain()["web"]
    assert why["code"] == "draining"
    p = why["params"]
    assert p["spare"] == pytest.approx(capacity(3, 8, 20.0) - 600)
    assert p["drain_s"] == pytest.approx(p["queued"] / p["spare"])
    assert "drains in about" in why["text"]


def test_requests_that_give_up_are_explained_by_the_timeout():
    why = explained(tier(1300, 3, timeout_ms=100.0), ticks=3)["web"]
    assert why["code"] == "dropping_timeout"
    assert why["params"]["timeout_ms"] == 100.0
    assert "waited 100 ms and gave up" in why["text"]


def test_beyond_what_one_tier_can_carry_the_fix_says_to_take_load_off_it():
    """1,000 instances of the largest size serve 6.4 million req/s at 20 ms; 10 million
    cannot be carried by more instances or a bigger size."""
    doc = tier(10_000_000, 1000, size="2xlarge")
    why = explained(doc, ticks=2)["web"]
    assert [fix["code"] for fix in why["fixes"]] == ["beyond_one_tier"]
    assert "a cache in front" in why["fixes"][0]["text"]


def test_a_failed_data_centre_is_named_on_its_members():
    doc = web_stack()
    for component in doc["components"]:
        if component["id"] == "dc":
            component["label"] = "East"
        if component["id"] == "web":
            component["label"] = "Web tier"
    scenario = {"duration_s": 100, "faults": [{"at": 2, "target": "dc", "action": "fail"}]}
    why = explained(doc, ticks=4, scenario=scenario)
    assert why["web"]["code"] == "datacenter_down"
    assert why["web"]["text"] == "Web tier is down because its data centre East is down."
    assert why["dc"]["code"] == "datacenter_failed"
    assert why["dc"]["params"]["count"] == 7
    assert why["dc"]["text"].startswith("East is down, and the 7 components in it with it")


def test_describe_renders_through_the_translation_it_is_given():
    """The web side passes gettext: every template goes through it, the arithmetic too."""
    seen = []

    def translate(template: str) -> str:
        seen.append(template)
        return template.replace("an instance", "AN INSTANCE").replace("runs", "RUNS")

    params = {"name": "web", "ready": 3, "servers": 8.0, "service_ms": 20.0,
              "per_instance": 400.0, "capacity": 1200.0, "offered": 1000.0,
              "util": 0.8333}  # fmt: skip
    text = describe("saturated", params, translate)
    assert len(seen) == 2
    assert "web RUNS at 83%" in text
    assert "400 req/s AN INSTANCE (8 at once" in text


def test_explanations_are_bounded_per_frame():
    """A design with more unhealthy components than the limit explains the worst."""
    from simulation.explain import EXPLAIN_LIMIT

    doc = {"format": 1, "name": "many", "components": [], "links": []}
    for k in range(EXPLAIN_LIMIT + 10):
        doc["components"] += [
            {"id": f"u{k}", "kind": "client", "params": {"rps": 100 + 10 * k}},
            {"id": f"w{k}", "kind": "web_server",
             "params": {"instances": 1, "concurrency": 1, "service_ms": 10.0}},
        ]  # fmt: skip
        doc["links"].append({"from": f"u{k}", "to": f"w{k}"})
    why = explained(doc, ticks=2)
    assert len(why) == EXPLAIN_LIMIT
    assert math.isfinite(max(entry["params"]["offered"] for entry in why.values()))


def test_a_wait_people_would_not_bear_without_a_timeout_is_flagged():
    """Past 10 s of waiting with no timeout set, the last fix says to set one; a tier
    with a timeout, or a short wait, is not told so."""
    long_wait = explained(tier(1900, 3), ticks=30)["web"]  # 700 req/s of backlog a second
    assert long_wait["fixes"][-1]["code"] == "set_timeout"
    assert long_wait["fixes"][-1]["params"]["wait_s"] > 10
    assert "long after a person gives up" in long_wait["fixes"][-1]["text"]
    short_wait = explained(tier(1900, 3), ticks=2)["web"]
    assert "set_timeout" not in [fix["code"] for fix in short_wait["fixes"]]
    with_timeout = explained(tier(1900, 3, timeout_ms=2000.0), ticks=30)["web"]
    assert "set_timeout" not in [fix["code"] for fix in with_timeout.get("fixes", [])]
