"""Component kinds carry their own rules and tick behaviour; the engine stays generic."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

import simulation
from simulation import DesignError, Engine, Problem, compile_design, validate_document
from simulation.components import KINDS
from simulation.components.base import READ, DesignLinks
from simulation.components.cache import Cache
from simulation.components.database import Database
from simulation.components.load_balancer import LoadBalancer
from simulation.components.session_store import SessionStore
from simulation.components.worker import Worker
from simulation.model import Model

from .designs import web_stack

PACKAGE = Path(simulation.__file__).parent
# The validator, the compiler and the tick machinery: they read the kinds' attributes and
# call their hooks.
KIND_FREE_MODULES = (
    "model.py", "engine.py", "controls.py", "clusters.py", "document.py", "kind_catalog.py",
    "scenario.py", "state.py", "flow.py", "health.py", "sources.py", "routing.py",
    "serving.py", "autoscale.py", "checks.py", "report.py", "steady.py", "control_table.py",
    "reach.py",
)  # fmt: skip


def kinds_named(text: str) -> list[str]:
    """The kinds whose name appears quoted in ``text``."""
    return [kind for kind in KINDS if f'"{kind}"' in text or f"'{kind}'" in text]


@pytest.mark.parametrize("module", KIND_FREE_MODULES)
def test_the_compiler_and_engine_name_no_component_kind(module):
    """Validation, routing, clusters and the tick ask the kinds; no kind's name appears in
    their source."""
    assert kinds_named((PACKAGE / module).read_text()) == []


def test_a_kind_name_in_a_decision_is_found():
    """The check above sees a kind's name however it is quoted."""
    assert kinds_named('if kinds[a] != "database":') == ["database"]
    assert kinds_named("kinds[b] in ('worker', 'cache')") == ["cache", "worker"]


class AlwaysHit(Cache):
    def answered(self, engine: Engine, i: int, p: dict, k: int) -> float:
        return 1.0 if k == READ else 0.0


def test_a_kinds_answered_hook_decides_what_completes_there(monkeypatch):
    """A cache whose hook answers every read sends none on to the database."""
    before = Engine(web_stack()).step()
    monkeypatch.setitem(KINDS, "cache", AlwaysHit)
    after = Engine(web_stack()).step()
    assert before.links[4] == ("cache", "db", pytest.approx(56.0))
    assert after.links[4] == ("cache", "db", 0.0)
    assert after.nodes["db-r1"].offered == 0.0
    assert after.nodes["db"].offered == before.nodes["db"].offered  # writes still arrive
    assert after.nodes["cache"].served == before.nodes["cache"].served


class PickyBalancer(LoadBalancer):
    @classmethod
    def link_rule(cls, src: dict, dst: dict) -> str | None:
        return (
            "this balancer links to nothing with more than 2 instances"
            if (dst["params"].get("instances", 1) > 2)
            else None
        )

    @classmethod
    def check_links(cls, comp: dict, links: DesignLinks, path: str, problems: list) -> None:
        if not links.senders.get(comp["id"]):
            problems.append(Problem(path, f"nothing sends to {comp['id']}"))


def test_the_validator_asks_a_kind_about_its_links(monkeypatch):
    """A kind's link_rule refuses a link its parameters forbid; its check_links sees the
    design's checked links."""
    doc = web_stack()
    doc["links"] = [link for link in doc["links"] if link["to"] != "lb"]
    validate_document(doc)  # the stock balancer accepts both
    monkeypatch.setitem(KINDS, "load_balancer", PickyBalancer)
    with pytest.raises(DesignError) as info:
        validate_document(doc)
    assert [str(p) for p in info.value.problems] == [
        "links[0]: lb -> web: this balancer links to nothing with more than 2 instances",
        "components[2]: nothing sends to lb",
    ]


def compiled(doc: dict) -> Model:
    return compile_design(validate_document(doc))


def without_link(doc: dict, src: str, dst: str) -> dict:
    doc["links"] = [k for k in doc["links"] if (k["from"], k["to"]) != (src, dst)]
    return doc


def test_a_kind_that_balances_deals_its_tiers_arrivals(monkeypatch):
    """A tier fed only by a kind that balances is marked balanced; by any other, it is not."""
    m = compiled(web_stack())
    assert m.upstream_balanced[m.index["web"]] is True
    monkeypatch.setitem(KINDS, "load_balancer", type("Plain", (LoadBalancer,), {"balances": False}))
    m = compiled(web_stack())
    assert m.upstream_balanced[m.index["web"]] is False


def test_a_queue_feeds_the_kinds_that_pull_from_it(monkeypatch):
    """A queue's consumers are the linked nodes whose kind pulls from queues."""
    m = compiled(web_stack())
    assert m.consumers[m.index["queue"]] == [m.index["workers"]]
    assert m.queues_of[m.index["workers"]] == [m.index["queue"]]
    monkeypatch.setitem(KINDS, "worker", type("Pushed", (Worker,), {"pulls_from_queues": False}))
    m = compiled(web_stack())
    assert m.consumers[m.index["queue"]] == []


def test_a_kind_that_replicates_forms_clusters_of_a_primary_and_its_replicas(monkeypatch):
    """Its links carry replication, not requests; without the attribute they are requests."""
    m = compiled(web_stack())
    db, replica = m.index["db"], m.index["db-r1"]
    assert m.clusters == [[db, replica]]
    assert m.targets[db] == []
    monkeypatch.setitem(KINDS, "database", type("Single", (Database,), {"replicates": False}))
    m = compiled(web_stack())
    assert m.clusters == []
    assert [b for b, _ in m.targets[db]] == [replica]


def test_a_cache_aside_cache_sends_misses_where_its_tiers_reach_a_data_tier(monkeypatch):
    """Without a link to a data tier, a cache-aside cache's misses use its tier's link to one."""
    m = compiled(without_link(web_stack(), "cache", "db"))
    web_to_db = m.links.index((m.index["web"], m.index["db"]))
    assert m.targets[m.index["cache"]] == [(m.index["db"], web_to_db)]
    monkeypatch.setitem(KINDS, "cache", type("Plain", (Cache,), {"cache_aside": False}))
    m = compiled(without_link(web_stack(), "cache", "db"))
    assert m.targets[m.index["cache"]] == []
    monkeypatch.setitem(KINDS, "cache", Cache)
    monkeypatch.setitem(KINDS, "database", type("NoData", (Database,), {"data_tier": False}))
    m = compiled(without_link(web_stack(), "cache", "db"))
    assert m.targets[m.index["cache"]] == []


def test_a_tier_consults_a_side_store_beside_its_routes(monkeypatch):
    """A link to a side store is no route: the tier consults it on the side of each request."""
    doc = web_stack()
    doc["components"].append({"id": "sessions", "kind": "session_store", "params": {}})
    doc["links"].append({"from": "web", "to": "sessions"})
    m = compiled(copy.deepcopy(doc))
    web, sessions = m.index["web"], m.index["sessions"]
    assert m.session_store_of[web] == sessions
    assert all(j != sessions for routes in m.routes[web] for j, _ in routes)
    monkeypatch.setitem(
        KINDS, "session_store", type("Plain", (SessionStore,), {"side_store": False})
    )
    m = compiled(doc)
    assert m.session_store_of[web] == -1
