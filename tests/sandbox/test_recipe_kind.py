"""The recipe "Add a kind" (docs/architecture.md) is true: one class plus one registration.

A throwaway kind is defined here and registered for the test only; with no other file
touched, it is validated, simulated, listed in the catalog JSON the editor loads, and
gets its properties panel.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

import simulation
from simulation import DesignError, Engine, validate_document
from simulation.components import KINDS, Kind
from simulation.components.base import Field
from simulation.components.params import Param, serving_params
from simulation.queueing import mmc


class Kiosk(Kind):
    """A serving kind the project does not have: a kiosk answers every request itself."""

    kind = "kiosk"
    label = "Kiosk"
    group = "compute"
    help = "Answers every request itself; counts the ticks it has served."
    params = (
        *serving_params(concurrency=4, service_ms=10.0),
        Param("greeting", "choice", "hello", "What it says.", choices=("hello", "hi")),
    )
    linked_from = ("load_balancer",)
    state_fields = (Field("ticks_served"),)

    def extra(self, state: Any, i: int, p: dict) -> dict:
        state.ticks_served[i] += 1
        return {"ticks_served": state.ticks_served[i]}


@pytest.fixture
def kiosk(monkeypatch: pytest.MonkeyPatch) -> type[Kind]:
    monkeypatch.setitem(KINDS, Kiosk.kind, Kiosk)  # the one registration
    return Kiosk


def design(rps: float = 100.0, **kiosk_params: Any) -> dict:
    return {
        "format": 1,
        "name": "Kiosk",
        "components": [
            {"id": "users", "kind": "client", "x": 0, "y": 0,
             "params": {"rps": rps, "mix": {"read": 1.0, "write": 0.0, "static": 0.0}}},
            {"id": "lb", "kind": "load_balancer", "x": 200, "y": 0},
            {"id": "front-desk", "kind": "kiosk", "x": 400, "y": 0, "params": kiosk_params},
        ],
        "links": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "front-desk"}],
    }  # fmt: skip


def test_a_design_with_the_new_kind_validates_and_bad_parameters_are_named(kiosk) -> None:
    checked = validate_document(design())
    assert checked["components"][2]["params"]["greeting"] == "hello"
    with pytest.raises(DesignError) as err:
        validate_document(design(greeting="hey", concurrency=0))
    paths = {problem.path for problem in err.value.problems}
    assert paths == {"components[2].params.greeting", "components[2].params.concurrency"}


def test_its_links_follow_its_declaration(kiosk) -> None:
    assert simulation.link_problem("load_balancer", "kiosk") is None
    assert "cannot send requests to a kiosk" in simulation.link_problem("web_server", "kiosk")
    assert "sends requests nowhere" in simulation.link_problem("kiosk", "database")


@pytest.mark.parametrize("rps", [10.0, 100.0, 300.0, 390.0])
def test_the_engine_runs_it_as_a_queue_with_its_own_state(kiosk, rps: float) -> None:
    # A minute: long enough for the queue at 390 req/s (rho 0.975), which starts empty,
    # to climb to its steady state (about 25 s).
    engine = Engine(design(rps), {"duration_s": 60})
    frame = engine.run()
    node = frame.nodes["front-desk"]
    exact = mmc(rps, 100.0, 4)  # 4 servers of 10 ms: M/M/4
    assert node.served == pytest.approx(rps)
    assert node.util == pytest.approx(exact.rho)
    assert node.lat == pytest.approx(exact.mean_response * 1000.0)
    assert node.x["ticks_served"] >= 1  # its own state field, advanced by its hook
    assert frame.globals["throughput_rps"] == pytest.approx(rps)


def test_it_is_in_the_catalog_json_the_editor_loads(kiosk, anon_client: Client) -> None:
    response = anon_client.get(reverse("api_catalog"))
    kinds = json.loads(response.content)["kinds"]
    assert kinds["kiosk"]["label"] == "Kiosk"
    assert [p["name"] for p in kinds["kiosk"]["params"]][-1] == "greeting"
    assert "kiosk" in kinds["load_balancer"]["links_to"]


def test_the_editor_shows_its_properties_panel(kiosk, anon_client: Client) -> None:
    params = json.dumps({"greeting": "hi"})
    response = anon_client.get(
        reverse("editor_properties"), {"kind": "kiosk", "id": "front-desk", "params": params}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "What it says." in html
    assert '<option value="hi" selected>' in html
