"""Problems name a labelled component by its label and id; the path stays the same."""

from __future__ import annotations

import pytest

from simulation import DesignError, validate_document
from simulation.scenario import validate_scenario


def component(cid: str, kind: str, label: str | None = None, **params) -> dict:
    out = {"id": cid, "kind": kind, "params": params}
    if label:
        out["label"] = label
    return out


def problems_of(components: list[dict], links: list[tuple[str, str]]) -> list[tuple[str, str]]:
    doc = {
        "format": 1,
        "name": "names",
        "components": components,
        "links": [{"from": a, "to": b} for a, b in links],
    }
    with pytest.raises(DesignError) as caught:
        validate_document(doc)
    return [(p.path, p.message) for p in caught.value.problems]


def test_a_link_problem_names_both_ends_by_label_and_id():
    got = problems_of(
        [
            component("users-1", "client", "Shoppers"),
            component("db-1", "database", "Orders DB"),
            component("db-2", "database", "Orders copy", role="replica"),
        ],
        [("users-1", "db-1"), ("users-1", "db-1"), ("db-2", "db-1")],
    )
    assert ("links[1]", "duplicate link 'Shoppers' (id users-1) -> 'Orders DB' (id db-1) "
            "(also links[0])") in got  # fmt: skip
    assert (
        "links[2]",
        "'Orders copy' (id db-2) -> 'Orders DB' (id db-1): only a primary database "
        "replicates; 'Orders copy' (id db-2) is a replica",
    ) in got


def test_a_replica_without_a_primary_is_named_by_its_label():
    got = problems_of(
        [component("db-2", "database", "Orders copy", role="replica")],
        [],
    )
    assert got == [
        (
            "components[0].params.role",
            "replica 'Orders copy' (id db-2) needs exactly one primary linking to it (has 0)",
        )
    ]


def test_a_request_loop_says_the_labels():
    got = problems_of(
        [
            component("lb-1", "load_balancer", "Outer LB"),
            component("lb-2", "load_balancer", "Inner LB"),
        ],
        [("lb-1", "lb-2"), ("lb-2", "lb-1")],
    )
    assert got == [
        (
            "links",
            "request loop: 'Outer LB' (id lb-1) -> 'Inner LB' (id lb-2) -> 'Outer LB' (id lb-1)",
        )
    ]


def test_a_parent_that_is_no_data_centre_is_named_by_its_label():
    got = problems_of(
        [
            component("web-1", "web_server", "Checkout web"),
            {**component("web-2", "web_server", "Search web"), "parent": "web-1"},
        ],
        [],
    )
    assert got == [
        ("components[1].parent", "'Checkout web' (id web-1) is a web_server, not a datacenter")
    ]


def test_weights_name_the_balancer_and_the_target_it_does_not_link_to():
    got = problems_of(
        [
            component("users-1", "client", "Shoppers"),
            component("lb-1", "load_balancer", "Front door", weights={"web-2": 1}),
            component("web-1", "web_server", "Checkout web"),
            component("web-2", "web_server", "Search web"),
        ],
        [("users-1", "lb-1"), ("lb-1", "web-1")],
    )
    assert got == [
        (
            "components[1].params.weights.web-2",
            "'Front door' (id lb-1) does not link to 'Search web' (id web-2)",
        )
    ]


def test_an_unlabelled_component_is_named_by_its_id_as_before():
    got = problems_of([component("web-1", "web_server")], [("web-1", "web-1")])
    assert got == [("links[0]", "a component cannot link to itself (web-1)")]


def test_a_control_refusal_names_its_target_by_label():
    doc = validate_document(
        {
            "format": 1,
            "name": "names",
            "components": [
                component("users-1", "client", "Shoppers"),
                component("web-1", "web_server", "Checkout web"),
            ],
            "links": [{"from": "users-1", "to": "web-1"}],
        }
    )
    with pytest.raises(DesignError) as caught:
        validate_scenario({"faults": [{"at": 1, "action": "flush", "target": "web-1"}]}, doc)
    [problem] = caught.value.problems
    assert problem.path == "faults[0].target"
    assert problem.message.startswith("'Checkout web' (id web-1) is a web_server; only a ")
