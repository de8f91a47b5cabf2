"""The diff summary between two documents."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.diff import diff_documents


def test_identical_documents_have_no_differences(document: dict[str, Any]) -> None:
    assert diff_documents(document, copy.deepcopy(document)).is_empty


def test_it_reports_added_removed_changed_and_moved(document: dict[str, Any]) -> None:
    new = copy.deepcopy(document)
    new["components"] = [c for c in new["components"] if c["id"] != "lb"]
    new["components"].append({"id": "db", "kind": "database"})
    new["components"][0]["params"]["rps"] = 900
    new["components"][0]["label"] = "Shoppers"
    new["components"][1]["x"] = 999
    new["links"] = [{"from": "users", "to": "web", "params": {"latency_ms": 5}}]
    new["name"] = "Renamed"
    diff = diff_documents(document, new)
    assert diff.added == ["db"]
    assert diff.removed == ["lb"]
    assert [(c.id, c.fields) for c in diff.changed] == [("users", ["label", "params.rps"])]
    assert diff.moved == ["web"]
    assert diff.links_added == ["Shoppers → web"]
    assert diff.links_removed == ["Shoppers → lb", "lb → web"]
    assert diff.renamed == ("Two web servers", "Renamed")
    assert not diff.is_empty


def test_it_reports_a_changed_link(document: dict[str, Any]) -> None:
    new = copy.deepcopy(document)
    new["links"][1]["params"] = {"latency_ms": 80}
    [change] = diff_documents(document, new).links_changed
    assert change.name == "lb → web"
    assert [(f.name, f.old.text, f.old.is_default, f.new.text) for f in change.changes] == [
        ("latency_ms", "0.0", True, "80")
    ]


def test_it_tolerates_odd_documents() -> None:
    diff = diff_documents({"components": None}, {"components": [{"id": "a"}, "junk"]})
    assert diff.added == ["a"]


def _labelled(document: dict[str, Any]) -> dict[str, Any]:
    labelled = copy.deepcopy(document)
    labelled["components"][0]["label"] = "Shoppers"
    labelled["components"][2]["label"] = "Web tier"
    labelled["components"][2]["params"]["instances"] = 3
    labelled["components"].append({"id": "dc1", "kind": "datacenter", "label": "Frankfurt"})
    return labelled


def test_it_gives_the_old_and_new_value_of_a_changed_param_by_name(
    document: dict[str, Any],
) -> None:
    old = _labelled(document)
    new = copy.deepcopy(old)
    new["components"][2]["params"]["instances"] = 6
    [change] = diff_documents(old, new).changed
    assert (change.id, change.name) == ("web", "Web tier")
    assert [(f.name, f.old.text, f.new.text) for f in change.changes] == [("instances", "3", "6")]


def test_a_param_left_out_shows_the_kinds_default(document: dict[str, Any]) -> None:
    old = _labelled(document)
    new = copy.deepcopy(old)
    new["components"][2]["params"]["concurrency"] = 16
    del new["components"][0]["params"]["rps"]
    diff = diff_documents(old, new)
    shown = {
        (c.name, f.name): (f.old.text, f.old.is_default, f.new.text, f.new.is_default)
        for c in diff.changed
        for f in c.changes
    }
    assert shown[("Web tier", "concurrency")] == ("8", True, "16", False)
    assert shown[("Shoppers", "rps")][:2] == ("100", False)
    assert shown[("Shoppers", "rps")][3] is True


def test_a_component_moved_into_a_data_centre_shows_its_name(document: dict[str, Any]) -> None:
    old = _labelled(document)
    new = copy.deepcopy(old)
    new["components"][2]["parent"] = "dc1"
    [change] = diff_documents(old, new).changed
    [field] = change.changes
    assert (field.name, field.old.is_default, field.new.text) == ("parent", True, "Frankfurt")


def test_added_removed_and_linked_components_are_named_by_label(
    document: dict[str, Any],
) -> None:
    old = _labelled(document)
    new = copy.deepcopy(old)
    new["components"] = [c for c in new["components"] if c["id"] != "lb"]
    new["components"].append({"id": "cache-1", "kind": "cache", "label": "Hot keys"})
    new["links"] = [{"from": "users", "to": "web"}, {"from": "web", "to": "cache-1"}]
    diff = diff_documents(old, new)
    assert diff.added == ["Hot keys"]
    assert diff.removed == ["lb"]
    assert diff.links_added == ["Shoppers → Web tier", "Web tier → Hot keys"]
    assert diff.links_removed == ["Shoppers → lb", "lb → Web tier"]


def test_a_label_set_to_what_the_canvas_showed_is_no_change(document: dict[str, Any]) -> None:
    """A component without a label shows its id; labelling it so changes nothing visible,
    while a real rename shows the name before and after."""
    same = copy.deepcopy(document)
    same["components"][2]["label"] = "web"
    assert diff_documents(document, same).is_empty
    renamed = copy.deepcopy(document)
    renamed["components"][2]["label"] = "Web tier"
    [change] = diff_documents(document, renamed).changed
    assert [(f.name, f.old.text, f.new.text) for f in change.changes] == [
        ("label", "web", "Web tier")
    ]
