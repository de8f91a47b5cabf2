"""Design document format v1: every rule of the validator, one test each."""

from __future__ import annotations

import copy
import json

import pytest

from simulation import DesignError, Limits, Problem, validate_document

from .designs import single_server, web_stack


def problems_of(doc: dict, limits: Limits | None = None) -> list[str]:
    with pytest.raises(DesignError) as info:
        validate_document(doc, limits)
    return [str(p) for p in info.value.problems]


def test_a_valid_document_comes_back_with_defaults_filled_in():
    """Missing params get their catalog defaults; given ones are kept."""
    out = validate_document(single_server(rps=80))
    web = out["components"][1]
    assert web["params"]["service_ms"] == 10.0
    assert web["params"]["size"] == "small"
    assert web["params"]["timeout_ms"] is None
    assert out["links"] == [{"from": "users", "to": "web", "params": {"latency_ms": 0.0}}]


def test_the_filled_document_validates_again_unchanged():
    """Validation is idempotent: the output of validate_document is a valid input."""
    out = validate_document(web_stack())
    assert validate_document(copy.deepcopy(out)) == out


def test_description_label_and_position_are_kept():
    """Optional description, label, x and y survive validation."""
    doc = single_server()
    doc["description"] = "Watch the queue grow."
    doc["components"][1].update({"label": "Web", "x": 10, "y": -4.5})
    out = validate_document(doc)
    assert out["description"] == "Watch the queue grow."
    assert {k: out["components"][1][k] for k in ("label", "x", "y")} == {
        "label": "Web", "x": 10, "y": -4.5,
    }  # fmt: skip


def test_it_rejects_a_non_object():
    """A document must be a JSON object."""
    assert problems_of([]) == ["a design document must be a JSON object"]


def test_it_rejects_a_wrong_format():
    """The format number must be 1."""
    doc = single_server()
    doc["format"] = 2
    assert problems_of(doc) == ["format: must be 1"]


def test_it_rejects_unknown_top_level_fields():
    """Unknown fields are errors, so typos are not silently ignored."""
    doc = single_server()
    doc["componets"] = []
    assert problems_of(doc)[0].startswith("componets: unknown field")


def test_it_rejects_unknown_kinds():
    """An unknown kind names the component and the kinds there are."""
    doc = single_server()
    doc["components"][1]["kind"] = "mainframe"
    assert problems_of(doc)[0].startswith(
        "components[1].kind: unknown kind 'mainframe'; use client"
    )


def test_it_rejects_duplicate_ids():
    """Two components with one id: the second is reported, naming the first."""
    doc = single_server()
    doc["components"].append({"id": "web", "kind": "cache"})
    assert problems_of(doc) == ["components[2].id: duplicate id 'web' (also components[1])"]


def test_it_rejects_bad_ids():
    """Ids are short plain names."""
    doc = single_server()
    doc["components"][1]["id"] = "web server!"
    assert problems_of(doc)[0].startswith("components[1].id: must be 1 to 64 letters")


@pytest.mark.parametrize("bad_id", [["web"], {"web": 1}, 7, None, "web\n", "web\r\n"])
def test_an_id_that_is_no_text_is_a_problem_not_a_crash(bad_id):
    """Any JSON value may arrive as an id; only short plain text can be one (not even with a
    final newline)."""
    doc = single_server()
    doc["components"][1]["id"] = bad_id
    assert problems_of(doc)[0].startswith("components[1].id: must be 1 to 64 letters")


def test_a_parent_that_is_no_text_is_a_problem_not_a_crash():
    """A DNS entry's parent is read for its weights; one that is a list is only reported."""
    doc = {
        "format": 1,
        "components": [
            {"id": "users", "kind": "client"},
            {"id": "dns", "kind": "dns", "params": {"weights": {"lb": 1}}},
            {"id": "lb", "kind": "load_balancer", "parent": ["dc"]},
        ],
        "links": [{"from": "users", "to": "dns"}, {"from": "dns", "to": "lb"}],
    }
    assert problems_of(doc) == ["components[2].parent: no component with id ['dc']"]


def test_it_rejects_out_of_range_params_with_their_path():
    """The path names the component index and parameter; the message gives the range."""
    doc = single_server(instances=0)
    assert problems_of(doc) == ["components[1].params.instances: must be an integer from 1 to 1000"]


def test_it_rejects_wrong_param_types():
    """Type errors: bool for a number, text for a choice, a number for a bool."""
    doc = single_server()
    doc["components"][1]["params"].update({"service_ms": True, "size": "huge", "stateful": 1})
    assert problems_of(doc) == [
        "components[1].params.size: must be one of: small, medium, large, xlarge, 2xlarge",
        "components[1].params.service_ms: must be a number from 0.001 to 600000",
        "components[1].params.stateful: must be true or false",
    ]


def test_it_rejects_unknown_params():
    """An unknown parameter is named with the ones the kind has."""
    doc = single_server()
    doc["components"][1]["params"]["threads"] = 4
    assert problems_of(doc)[0].startswith("components[1].params.threads: unknown parameter")


def test_it_reports_every_problem_at_once():
    """All errors come back together, not just the first."""
    doc = single_server(instances=0, service_ms=-1)
    doc["links"].append({"from": "web", "to": "nowhere"})
    assert problems_of(doc) == [
        "components[1].params.instances: must be an integer from 1 to 1000",
        "components[1].params.service_ms: must be a number from 0.001 to 600000",
        "links[1].to: no component with id 'nowhere'",
    ]


def test_a_client_mix_must_add_up_to_one():
    """Request mix shares add up to 1."""
    doc = single_server(mix={"read": 0.5, "write": 0.2, "static": 0.0, "job": 0.0})
    assert problems_of(doc) == [
        "components[0].params.mix: shares must add up to 1 (they add up to 0.7)"
    ]


def test_a_mix_rejects_unknown_classes():
    """A mix only has read, write, static and job."""
    doc = single_server(mix={"read": 1.0, "video": 0.0})
    assert problems_of(doc)[0].startswith("components[0].params.mix.video: unknown key")


def test_it_rejects_links_to_missing_components():
    """Both ends of a link must exist."""
    doc = single_server()
    doc["links"] = [{"from": "ghost", "to": "web"}]
    assert problems_of(doc) == ["links[0].from: no component with id 'ghost'"]


def test_it_rejects_links_that_make_no_sense():
    """Nothing links into a client; a worker does not send to a web server."""
    doc = web_stack()
    doc["links"] += [{"from": "web", "to": "users"}, {"from": "workers", "to": "web"}]
    assert problems_of(doc) == [
        "links[9]: web -> users: a web_server cannot send requests to a client: clients only "
        "send requests",
        "links[10]: workers -> web: a worker cannot send requests to a web_server (it may "
        "link to: database, shard_router, cache)",
    ]


def test_it_rejects_self_and_duplicate_links():
    """A link to itself or a second identical link is an error."""
    doc = web_stack()
    doc["links"] += [{"from": "lb", "to": "lb"}, {"from": "lb", "to": "web"}]
    assert problems_of(doc) == [
        "links[9]: a component cannot link to itself (lb)",
        "links[10]: duplicate link lb -> web (also links[1])",
    ]


def test_it_rejects_request_loops_naming_the_ids():
    """A request loop is reported with the ids along it."""
    doc = web_stack()
    doc["components"].append({"id": "lb2", "kind": "load_balancer"})
    doc["links"] += [{"from": "lb", "to": "lb2"}, {"from": "lb2", "to": "lb"}]
    assert problems_of(doc) == ["links: request loop: lb -> lb2 -> lb"]


def test_parents_must_be_datacenters():
    """A parent must exist and be a datacenter; datacenters do not nest."""
    doc = web_stack()
    doc["components"][2]["parent"] = "web"
    doc["components"][3]["parent"] = "mars"
    doc["components"][1]["parent"] = "dc"
    assert problems_of(doc) == [
        "components[1].parent: a datacenter cannot be inside another one",
        "components[2].parent: web is a web_server, not a datacenter",
        "components[3].parent: no component with id 'mars'",
    ]


def test_datacenters_are_not_linked():
    """A datacenter is a group, not a node of the request graph."""
    doc = web_stack()
    doc["links"].append({"from": "lb", "to": "dc"})
    assert "a datacenter is a group" in problems_of(doc)[0]


def test_a_replica_needs_exactly_one_primary():
    """A replica without a primary linking to it cannot replicate."""
    doc = web_stack()
    doc["links"] = [link for link in doc["links"] if link["to"] != "db-r1"]
    assert problems_of(doc) == [
        "components[6].params.role: replica db-r1 needs exactly one primary linking to it (has 0)"
    ]


def test_a_later_rule_names_the_component_by_its_place_in_the_document():
    """An invalid component is left out of the checked ones; the paths of problems found
    later still count it."""
    doc = web_stack()
    doc["components"].insert(0, {"id": "ghost", "kind": "teleporter", "params": {}})
    doc["links"] = [link for link in doc["links"] if link["to"] != "db-r1"]
    doc["components"][3]["parent"] = "web"
    assert problems_of(doc) == [
        "components[0].kind: unknown kind 'teleporter'; use client, dns, cdn, load_balancer, "
        "web_server, cache, session_store, database, shard_router, message_queue, worker, "
        "datacenter",
        "components[3].parent: web is a web_server, not a datacenter",
        "components[7].params.role: replica db-r1 needs exactly one primary linking to it (has 0)",
    ]


def test_only_a_primary_replicates_to_a_replica():
    """database -> database links go from a primary to a replica."""
    doc = web_stack()
    doc["components"].append({"id": "db2", "kind": "database", "params": {"role": "primary"}})
    doc["links"].append({"from": "db", "to": "db2"})
    assert problems_of(doc) == [
        "links[9]: db -> db2: a database links only to its replicas; db2 is not a replica"
    ]


def test_balancer_weights_name_linked_targets():
    """Weights may only name components the balancer links to."""
    doc = web_stack()
    doc["components"][2]["params"] = {"algorithm": "weighted", "weights": {"web": 2, "db": 1}}
    assert problems_of(doc) == ["components[2].params.weights.db: lb does not link to db"]


def test_link_params_are_checked():
    """A link's latency_ms must be a non-negative number; unknown link params are errors."""
    doc = single_server()
    doc["links"][0]["params"] = {"latency_ms": -5, "jitter": 1}
    assert problems_of(doc) == [
        "links[0].params.jitter: unknown field; use latency_ms",
        "links[0].params.latency_ms: must be a number from 0 to 60000",
    ]


def test_autoscaling_min_must_not_exceed_max():
    """min_instances above max_instances is an error."""
    doc = single_server()
    doc["components"][1]["params"].update({"min_instances": 5, "max_instances": 2})
    assert problems_of(doc) == [
        "components[1].params.min_instances: must not be above max_instances"
    ]


def test_it_rejects_too_many_components():
    """The component limit comes from Limits."""
    doc = web_stack()
    assert problems_of(doc, Limits(max_components=5)) == [
        "components: has 9 entries; at most 5 allowed"
    ]


def test_it_rejects_too_many_links():
    """The link limit comes from Limits."""
    assert problems_of(web_stack(), Limits(max_links=3)) == [
        "links: has 9 entries; at most 3 allowed"
    ]


def test_it_rejects_too_many_bytes():
    """The serialised size limit comes from Limits."""
    doc = web_stack()
    size = len(json.dumps(doc, separators=(",", ":")).encode())
    assert problems_of(doc, Limits(max_bytes=size - 1)) == [
        f"the document is {size} bytes; at most {size - 1} allowed"
    ]


def test_default_limits_are_the_documented_ones():
    """2,000 components, 10,000 links, 2 MB."""
    assert Limits() == Limits(max_components=2000, max_links=10000, max_bytes=2_000_000)


def test_a_problem_prints_as_path_and_message():
    """str(Problem) is 'path: message'."""
    assert str(Problem("components[3].params.instances", "bad")) == (
        "components[3].params.instances: bad"
    )
