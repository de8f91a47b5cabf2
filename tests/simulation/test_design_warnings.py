"""design_warnings: request classes that never reach a component that takes them."""

from __future__ import annotations

import pytest

import simulation
from simulation import DesignError, Problem, design_warnings
from simulation.components import CLASSES, KINDS

MIX = {"read": 0.5, "write": 0.2, "static": 0.1, "job": 0.2}


def design(components: list[tuple], links: list[tuple[str, str]]) -> dict:
    """Components as (id, kind) or (id, kind, params); links as (from, to)."""
    return {
        "format": 1,
        "components": [
            {"id": c[0], "kind": c[1], **({"params": c[2]} if len(c) > 2 else {})}
            for c in components
        ],
        "links": [{"from": a, "to": b} for a, b in links],
    }


def messages(doc: dict) -> list[str]:
    return [str(w) for w in design_warnings(doc)]


@pytest.mark.parametrize("example", simulation.list_examples(), ids=lambda e: e.slug)
def test_no_built_in_example_is_warned_about(example) -> None:
    assert design_warnings(example.document) == []


def test_writes_past_a_cache_end_at_the_web_tier() -> None:
    """web -> cache -> db: reads reach the database through the cache, writes go nowhere."""
    doc = design(
        [("users", "client"), ("web-1", "web_server"), ("cache-1", "cache"), ("db", "database")],
        [("users", "web-1"), ("web-1", "cache-1"), ("cache-1", "db")],
    )
    assert design_warnings(doc) == [
        Problem(
            "components[1]",
            "Writes from users never reach a component that takes them: they end at web-1; "
            "link web-1 to a database.",
        )
    ]


def test_jobs_without_a_message_queue_are_named_with_the_users_labels() -> None:
    doc = design(
        [("users", "client", {"mix": MIX}), ("web-1", "web_server"), ("db", "database")],
        [("users", "web-1"), ("web-1", "db")],
    )
    doc["components"][0]["label"] = "Shoppers"
    doc["components"][1]["label"] = "Shop"
    assert messages(doc) == [
        "components[1]: Jobs from 'Shoppers' (id users) never reach a component that takes "
        "them: they end at 'Shop' (id web-1); link Shop to a message queue."
    ]


def test_a_class_the_client_does_not_send_is_not_warned_about() -> None:
    """No jobs in the mix: a design without a queue is fine."""
    doc = design(
        [("users", "client"), ("web-1", "web_server"), ("db", "database")],
        [("users", "web-1"), ("web-1", "db")],
    )
    assert design_warnings(doc) == []


def test_a_lone_web_tier_stands_for_the_whole_application() -> None:
    """With no data tier anywhere, the web tier answers reads and writes (lesson 1)."""
    lone = design([("users", "client"), ("web", "web_server")], [("users", "web")])
    assert design_warnings(lone) == []
    # A database in the design that the tier does not reach: reads and writes end at web.
    unlinked = design(
        [("users", "client"), ("web", "web_server"), ("db", "database")], [("users", "web")]
    )
    assert messages(unlinked) == [
        "components[1]: Reads and writes from users never reach a component that takes them: "
        "they end at web; link web to a database."
    ]


def test_a_cache_without_a_data_tier_ends_its_misses() -> None:
    doc = design(
        [("users", "client"), ("web", "web_server"), ("c", "cache")],
        [("users", "web"), ("web", "c")],
    )
    assert messages(doc) == [
        "components[2]: Reads from users never reach a component that takes them: they end "
        "at c; link c to a database."
    ]


@pytest.mark.parametrize(
    ("kind", "hint"),
    [
        ("load_balancer", "link lb to a web server"),
        ("cdn", "link lb to a web server"),
        ("dns", "link lb to a web server"),
        ("shard_router", None),
    ],
)
def test_a_router_or_edge_with_nothing_behind_it_ends_everything(kind: str, hint) -> None:
    if kind == "shard_router":
        doc = design(
            [("users", "client"), ("web", "web_server"), ("lb", kind)],
            [("users", "web"), ("web", "lb")],
        )
        assert messages(doc) == [
            "components[2]: Reads and writes from users never reach a component that takes "
            "them: they end at lb; link lb to a database."
        ]
        return
    doc = design([("users", "client"), ("lb", kind)], [("users", "lb")])
    assert messages(doc) == [
        "components[1]: Reads, writes and static requests from users never reach a "
        f"component that takes them: they end at lb; {hint}."
    ]


def test_a_client_linked_to_nothing_is_told_where_to_link() -> None:
    doc = design([("users", "client", {"mix": MIX})], [])
    assert messages(doc) == [
        "components[0]: Reads, writes, static requests and jobs from users never reach a "
        "component that takes them: they end at users; link users to a web server."
    ]


QUEUED = [
    ("users", "client", {"mix": MIX}),
    ("web", "web_server"),
    ("db", "database"),
    ("mq", "message_queue"),
]


def test_a_queue_without_workers_keeps_its_jobs() -> None:
    doc = design(QUEUED, [("users", "web"), ("web", "db"), ("web", "mq")])
    assert messages(doc) == [
        "components[3]: Queued jobs from mq never reach a component that takes them: they "
        "end at mq; link mq to a worker."
    ]
    with_worker = design(
        [*QUEUED, ("w", "worker")], [("users", "web"), ("web", "db"), ("web", "mq"), ("mq", "w")]
    )
    assert design_warnings(with_worker) == []


def test_workers_writing_through_a_cache_with_no_database_behind_it() -> None:
    doc = design(
        [*QUEUED, ("w", "worker"), ("c", "cache")],
        [("users", "web"), ("web", "db"), ("web", "mq"), ("mq", "w"), ("w", "c")],
    )
    assert messages(doc) == [
        "components[5]: Queued jobs from mq never reach a component that takes them: they "
        "end at c; link c to a database."
    ]


def test_one_warning_per_component_and_hint_over_several_sources() -> None:
    doc = design(
        [
            ("a", "client"),
            ("b", "client"),
            ("web", "web_server"),
            ("c", "cache"),
            ("db", "database"),
        ],
        [("a", "web"), ("b", "web"), ("web", "c"), ("c", "db")],
    )
    assert [w.path for w in design_warnings(doc)] == ["components[2]"]


def test_writes_to_a_replica_reach_the_cluster() -> None:
    """A web tier linked only to a replica: its cluster's primary takes the writes."""
    doc = design(
        [
            ("users", "client"),
            ("web", "web_server"),
            ("p", "database", {"role": "primary"}),
            ("r", "database", {"role": "replica"}),
        ],
        [("users", "web"), ("web", "r"), ("p", "r")],
    )
    assert design_warnings(doc) == []


def test_an_invalid_design_raises_as_validation_does() -> None:
    with pytest.raises(DesignError):
        design_warnings({"format": 1, "components": [{"id": "x", "kind": "nope"}], "links": []})


def test_every_class_a_kind_completes_is_a_request_class() -> None:
    known = {*CLASSES, "background"}
    for kind in KINDS.values():
        assert set(kind.completes) <= known
        assert set(kind.answers_alone) <= set(CLASSES)
        for taken, sent in kind.passes_on:
            assert taken in kind.completes
            assert sent in known
