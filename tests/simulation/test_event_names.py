"""Events name components by the names users gave them; ids stay in ``component``."""

from __future__ import annotations

import re

from simulation import Engine

from .designs import web_stack

LABELS = {
    "users": "Shoppers",
    "dc": "Frankfurt",
    "lb": "Front door",
    "web": "Checkout web",
    "cache": "Basket cache",
    "db": "Orders DB",
    "db-r1": "Orders copy",
    "queue": "Mail queue",
    "workers": "Mailers",
}


def labelled_stack() -> tuple[dict, dict[str, str]]:
    """web_stack with ids unlike any word of a text (``web-1``) and a label on each."""
    doc = web_stack()
    new_id = {c["id"]: f"{c['id']}-1" for c in doc["components"]}
    for c in doc["components"]:
        c["label"] = LABELS[c["id"]]
        c["id"] = new_id[c["id"]]
        if "parent" in c:
            c["parent"] = new_id[c["parent"]]
    for link in doc["links"]:
        link["from"], link["to"] = new_id[link["from"]], new_id[link["to"]]
    return doc, {new_id[old]: label for old, label in LABELS.items()}


def events_of(faults: list[dict], duration_s: int = 120) -> tuple[list[dict], dict[str, str]]:
    doc, names = labelled_stack()
    engine = Engine(doc, {"duration_s": duration_s, "faults": faults})
    engine.run()
    return engine.events, names


def assert_named(events: list[dict], names: dict[str, str]) -> None:
    for event in events:
        if event["component"] is not None:
            assert event["component"] in names  # the id, for scripts
            assert names[event["component"]] in event["text"], event
        for cid in names:
            assert not re.search(rf"(?<![\w-]){re.escape(cid)}(?![\w-])", event["text"]), event


def test_failure_recovery_and_scaling_events_say_the_labels():
    """'Checkout web: 1 of 3 instances failed', not 'web-1: ...'."""
    events, names = events_of(
        [
            {"at": 10, "action": "fail", "target": "web-1", "count": 1},
            {"at": 20, "action": "fail", "target": "cache-1"},
            {"at": 30, "action": "recover", "target": "cache-1"},
            {"at": 40, "action": "scale", "target": "web-1", "instances": 5},
            {"at": 50, "action": "flush", "target": "cache-1"},
            {"at": 60, "action": "set_rate", "target": "users-1", "rps": 300},
            {"at": 70, "action": "link_latency", "from": "lb-1", "to": "web-1", "ms": 40},
        ]
    )
    texts = [e["text"] for e in events]
    assert "Checkout web: 1 of 3 instances failed" in texts
    assert "Basket cache failed" in texts
    assert "Front door -> Checkout web latency 40 ms" in texts
    assert any(t.startswith("Basket cache flushed") and "(Orders DB)" in t for t in texts)
    assert {e["kind"] for e in events} >= {"failed", "recovered", "scaled", "flushed", "rate"}
    assert_named(events, names)


def test_failover_promotion_and_rejoining_say_the_databases_labels():
    """A primary's failover, its replica's promotion and its return name both databases."""
    events, names = events_of(
        [
            {"at": 10, "action": "fail", "target": "db-1"},
            {"at": 80, "action": "recover", "target": "db-1"},
        ]
    )
    by_kind = {e["kind"]: e for e in events}
    assert by_kind["failover"]["component"] == "db-1"
    assert by_kind["failover"]["text"].startswith("Orders DB (primary) is down")
    assert by_kind["promoted"]["component"] == "db-r1-1"
    assert by_kind["promoted"]["text"].startswith("Orders copy promoted to primary")
    assert by_kind["rejoined"]["text"] == "Orders DB rejoined as a replica of Orders copy"
    assert_named(events, names)


def test_a_data_centre_failure_says_its_label():
    events, names = events_of([{"at": 10, "action": "fail", "target": "dc-1"}], duration_s=20)
    assert [e["text"] for e in events if e["kind"] == "failed"] == [
        "Frankfurt failed: 7 components down"
    ]
    assert_named(events, names)


def test_an_unlabelled_component_is_named_by_its_id():
    doc = web_stack()
    engine = Engine(
        doc, {"duration_s": 20, "faults": [{"at": 5, "action": "fail", "target": "web"}]}
    )
    engine.run()
    assert [e["text"] for e in engine.events if e["kind"] == "failed"] == ["web failed"]


def test_a_check_on_a_labelled_component_is_named_by_its_label():
    """Its default name, which the check_failed event and the run's summary show."""
    doc, _ = labelled_stack()
    scenario = {
        "duration_s": 20,
        "checks": [{"component": "web-1", "metric": "util", "op": ">=", "value": 0}],
    }
    engine = Engine(doc, scenario)
    engine.run()
    [check] = engine.report()["checks"]
    assert check["name"] == "Checkout web util >= 0"
    assert check["component"] == "web-1"
    texts = [e["text"] for e in engine.events if e["kind"] == "check_failed"]
    assert texts == ["check failed: Checkout web util >= 0"]


def test_a_check_on_an_unlabelled_component_keeps_its_id_name():
    scenario = {
        "duration_s": 5,
        "checks": [{"component": "web", "metric": "util", "op": ">=", "value": 0}],
    }
    engine = Engine(web_stack(), scenario)
    engine.run()
    assert engine.report()["checks"][0]["name"] == "web.util >= 0"
