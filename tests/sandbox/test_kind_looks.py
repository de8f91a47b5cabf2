"""A kind's looks live with the kind: the pages send them, the JavaScript names no kind."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sandbox.models import Design
from simulation.components import KINDS, Kind
from simulation.components.look import Look

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "static" / "src"


class Kiosk(Kind):
    """A kind that exists only in this test."""

    kind = "kiosk"
    label = "Kiosk"
    group = "edge"
    look = Look("star", "#123456", "k")
    help = "A throwaway kind."
    links_to = ("web_server",)


@pytest.fixture
def kiosk(monkeypatch: pytest.MonkeyPatch) -> type[Kind]:
    monkeypatch.setitem(KINDS, Kiosk.kind, Kiosk)
    return Kiosk


def _json_script(html: str, element_id: str) -> Any:
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, f"the page has the {element_id} json_script"
    return json.loads(match.group(1))


def _script_files() -> list[Path]:
    return [
        path
        for path in sorted(SCRIPTS.rglob("*.js"))
        if not path.name.endswith(".test.js") and "testdata" not in path.parts
    ]


def test_no_script_names_a_built_in_kind() -> None:
    """No quoted kind name or object key in static/src (tests and testdata aside); a kind
    name with an underscore appears nowhere, not even in a comment."""
    assert _script_files()
    for name in KINDS:
        quoted = re.compile(rf"""["'`]{name}["'`]|\b{name}\s*:""")
        anywhere = re.compile(rf"\b{name}\b") if "_" in name else None
        for path in _script_files():
            text = path.read_text(encoding="utf-8")
            assert not quoted.search(text), f"{path.relative_to(ROOT)} names the kind {name}"
            if anywhere:
                assert not anywhere.search(text), f"{path.relative_to(ROOT)} names {name}"


def test_the_editor_page_carries_a_new_kinds_look_and_label(
    kiosk: type[Kind], alice_client: Client, design: Design
) -> None:
    response = alice_client.get(reverse("design_detail", args=[design.pk]))
    assert response.status_code == 200
    looks = _json_script(response.text, "kind-looks")
    assert looks["kiosk"] == {
        "shape": "star",
        "color": "#123456",
        "id_prefix": "k",
        "label": "Kiosk",
        "role": "server",
        "flushes": False,
    }
    assert set(looks) == set(KINDS)
    assert looks["cache"]["flushes"] is True


def test_the_catalog_the_editor_loads_carries_a_new_kinds_look_and_label(
    kiosk: type[Kind], alice_client: Client
) -> None:
    catalog = alice_client.get(reverse("api_catalog")).json()
    entry = catalog["kinds"]["kiosk"]
    assert (entry["label"], entry["look"]) == (
        "Kiosk",
        {"shape": "star", "color": "#123456", "id_prefix": "k"},
    )
    assert entry["links_to"] == ["web_server"]


def test_a_kind_without_a_look_gets_the_plain_one_and_its_name_as_id_prefix(
    monkeypatch: pytest.MonkeyPatch, alice_client: Client
) -> None:
    class PlainKiosk(Kind):
        kind = "plain_kiosk"
        label = "Plain kiosk"
        group = "edge"

    monkeypatch.setitem(KINDS, PlainKiosk.kind, PlainKiosk)
    entry = alice_client.get(reverse("api_catalog")).json()["kinds"]["plain_kiosk"]
    assert entry["look"] == {
        "shape": "round-rectangle",
        "color": "#475569",
        "id_prefix": "plain-kiosk",
    }
