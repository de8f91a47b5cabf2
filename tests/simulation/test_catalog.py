"""The component catalog and the link rules the editor builds forms and edges from."""

from __future__ import annotations

import json

from simulation import catalog, link_problem
from simulation.components import KINDS
from simulation.schema import SCHEMA_PATH, schema_text

SERVING = (
    "instances",
    "size",
    "concurrency",
    "service_ms",
    "queue_limit",
    "timeout_ms",
    "resize_s",
)
SERVING_KINDS = (
    "cdn", "load_balancer", "web_server", "cache", "session_store", "database",
    "message_queue", "worker",
)  # fmt: skip


def test_the_catalog_lists_every_kind_of_the_design():
    """Every kind of the design's catalog is there, with a label, group and help."""
    kinds = catalog()["kinds"]
    assert sorted(kinds) == sorted([
        "client", "dns", "cdn", "load_balancer", "web_server", "cache", "session_store",
        "database", "shard_router", "message_queue", "worker", "datacenter",
    ])  # fmt: skip
    for entry in kinds.values():
        assert entry["label"]
        assert entry["help"]
        assert entry["group"] in catalog()["groups"]


def test_serving_kinds_share_the_serving_parameters_by_name():
    """instances, size, concurrency, service_ms, queue_limit, timeout_ms, resize_s on every
    serving kind."""
    for name in SERVING_KINDS:
        names = [p["name"] for p in catalog()["kinds"][name]["params"]]
        assert names[: len(SERVING)] == list(SERVING), name


def test_every_param_describes_itself_for_a_form():
    """Each param has name, type, unit, default, min, max, choices and help text."""
    types = {"int", "float", "bool", "choice", "str", "map"}
    for entry in catalog()["kinds"].values():
        for p in entry["params"]:
            assert set(p) >= {"name", "type", "unit", "default", "min", "max", "choices", "help"}
            assert p["type"] in types
            assert p["help"]


def test_autoscaling_is_a_param_section_of_groups():
    """web_server and worker carry the autoscaling policy block."""
    for name in ("web_server", "worker"):
        section = [p["name"] for p in catalog()["kinds"][name]["params"]
                   if p["section"] == "autoscaling"]  # fmt: skip
        assert section == [
            "autoscale", "target_util", "min_instances", "max_instances", "cooldown_s",
            "provision_s",
        ]  # fmt: skip


def test_size_tiers_cost_rises_faster_than_capacity():
    """Each larger tier costs more per unit of capacity than the one below."""
    sizes = catalog()["sizes"]
    per_unit = [s["cost_per_hour"] / s["capacity_factor"] for s in sizes]
    assert per_unit == sorted(per_unit)
    assert len(set(per_unit)) == len(per_unit)


def test_the_catalog_is_plain_json():
    """The catalog serialises to JSON as it is."""
    assert json.loads(json.dumps(catalog())) == catalog()


def test_link_problem_accepts_sensible_links():
    """Client -> LB -> web -> cache -> database make sense."""
    pairs = [
        ("client", "load_balancer"),
        ("load_balancer", "web_server"),
        ("web_server", "cache"),
        ("cache", "database"),
        ("message_queue", "worker"),
    ]
    assert [link_problem(a, b) for a, b in pairs] == [None] * len(pairs)


def test_link_problem_explains_nonsense_links():
    """Links into a client, out of a session store, or onto a datacenter are explained."""
    assert link_problem("worker", "client") == (
        "a worker cannot send requests to a client: clients only send requests"
    )
    assert link_problem("session_store", "database") == (
        "a session_store sends requests nowhere, so it cannot link to a database"
    )
    assert "group" in link_problem("load_balancer", "datacenter")
    assert link_problem("client", "toaster") == "unknown kind 'toaster'"


def test_every_kind_links_only_to_known_kinds():
    """links_to names registered kinds only."""
    for kind in KINDS.values():
        assert set(kind.links_to) <= set(KINDS)


def test_the_shipped_json_schema_is_up_to_date():
    """simulation/schema.json equals what the catalog generates (python -m simulation.schema)."""
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text()


def test_the_schema_describes_every_kind_and_param():
    """Each kind's params in the schema have the catalog's names, defaults and bounds."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    component = schema["properties"]["components"]["items"]
    assert component["properties"]["kind"]["enum"] == list(KINDS)
    for variant in component["allOf"]:
        kind = KINDS[variant["if"]["properties"]["kind"]["const"]]
        props = variant["then"]["properties"]["params"]["properties"]
        assert list(props) == [p.name for p in kind.params]
        for p in kind.params:
            assert props[p.name]["default"] == p.default
            if p.type in ("int", "float") and not p.nullable:
                assert (props[p.name].get("minimum"), props[p.name].get("maximum")) == (
                    p.min,
                    p.max,
                )
