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
    assert diff.links_added == ["users → web"]
    assert diff.links_removed == ["users → lb", "lb → web"]
    assert diff.renamed == ("Two web servers", "Renamed")
    assert not diff.is_empty


def test_it_reports_a_changed_link(document: dict[str, Any]) -> None:
    new = copy.deepcopy(document)
    new["links"][1]["params"] = {"latency_ms": 80}
    assert diff_documents(document, new).links_changed == ["lb → web"]


def test_it_tolerates_odd_documents() -> None:
    diff = diff_documents({"components": None}, {"components": [{"id": "a"}, "junk"]})
    assert diff.added == ["a"]
