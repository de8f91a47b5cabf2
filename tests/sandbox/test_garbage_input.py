"""Garbage sent to any view gets a 4xx (or the form again) naming what is wrong, never a 500,
and a rejected write leaves everything stored as it was.

The test client re-raises a view's exception, so a crash fails the test with its traceback.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from sandbox.live.models import Run
from sandbox.models import Design, ShareLink


def stored(design: Design) -> tuple[Any, ...]:
    """Everything a request could change about a design."""
    design.refresh_from_db()
    latest = design.latest_revision()
    return (
        design.name,
        design.description,
        design.visibility,
        design.head,
        design.updated_at,
        design.revisions.count(),
        latest.document,
        latest.message,
        list(design.share_links.values_list("token", "revoked_at")),
    )


def save(client: Client, design: Design, body: Any) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(
        reverse("api_document", args=[design.pk]), raw, content_type="application/json"
    )


def validate(client: Client, body: Any) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(reverse("api_validate"), raw, content_type="application/json")


def upload(client: Client, content: bytes, **fields: Any) -> Any:
    file = SimpleUploadedFile("design.json", content, content_type="application/json")
    return client.post(reverse("design_import"), {"file": file, **fields})


def start_run(client: Client, **fields: Any) -> Any:
    return client.post(reverse("live:run_new"), {"scenario": "steady", "speed": "1", **fields})


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Runs handed to the runner (recorded instead of started: these tests have no server)."""
    calls: list[Any] = []
    monkeypatch.setattr("sandbox.live.views.launch_run", calls.append)
    return calls


# -- JSON text that Python's json module cannot decode --------------------------------------

UNREADABLE_JSON = [
    pytest.param("[" * 100_000, "nested too deeply", id="nested-too-deeply"),
    pytest.param('{"n": ' + "1" * 5000 + "}", "more than 4300 digits", id="5000-digit-number"),
]


@pytest.mark.parametrize(("raw", "fragment"), UNREADABLE_JSON)
def test_the_document_api_names_json_it_cannot_read(
    alice_client: Client, design: Design, raw: str, fragment: str
) -> None:
    before = stored(design)
    response = save(alice_client, design, raw)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["path"] == ""
    assert "not valid JSON" in error["message"]
    assert fragment in error["message"]
    assert stored(design) == before


@pytest.mark.parametrize(("raw", "fragment"), UNREADABLE_JSON)
def test_validate_names_json_it_cannot_read(anon_client: Client, raw: str, fragment: str) -> None:
    response = validate(anon_client, raw)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert fragment in error["message"]


@pytest.mark.parametrize(("raw", "fragment"), UNREADABLE_JSON)
def test_import_names_json_it_cannot_read(
    alice_client: Client, alice: Any, raw: str, fragment: str
) -> None:
    response = upload(alice_client, raw.encode())
    assert response.status_code == 400
    assert fragment in response.text
    assert not Design.objects.filter(owner=alice).exists()


@pytest.mark.parametrize(("raw", "fragment"), UNREADABLE_JSON)
def test_a_custom_scenario_of_json_it_cannot_read_is_named(
    alice_client: Client, design: Design, launched: list[Any], raw: str, fragment: str
) -> None:
    response = start_run(alice_client, design=design.pk, scenario="custom", scenario_json=raw)
    assert response.status_code == 422
    assert "scenario_json" in response.context["form"].errors
    assert fragment in response.text
    assert not Run.objects.exists()
    assert launched == []


@pytest.mark.parametrize(("raw", "fragment"), UNREADABLE_JSON)
def test_the_properties_panel_names_params_it_cannot_read(
    anon_client: Client, raw: str, fragment: str
) -> None:
    response = anon_client.get(
        reverse("editor_properties"), {"kind": "cache", "id": "c", "params": raw}
    )
    assert response.status_code == 400
    assert "params is not valid JSON" in response.text
    assert fragment in response.text


# -- text the database cannot store: NUL, and a lone surrogate (JSON can escape one) ---------

UNSTORABLE_TEXT = [
    pytest.param("a\x00b", "a NUL character", id="nul"),
    pytest.param("a\ud800b", "a lone surrogate", id="lone-surrogate"),
]
PLACES = {
    "name": ("name",),
    "description": ("description",),
    "components[2].label": ("components", 2, "label"),
    "components[0].id": ("components", 0, "id"),
}


def placed(document: dict[str, Any], place: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(document)
    holder = out
    for step in place[:-1]:
        holder = holder[step]
    holder[place[-1]] = value
    return out


@pytest.mark.parametrize(("text", "what"), UNSTORABLE_TEXT)
@pytest.mark.parametrize("path", list(PLACES))
def test_text_the_database_cannot_store_is_named_at_its_path(
    alice_client: Client,
    alice: Any,
    design: Design,
    document: dict[str, Any],
    path: str,
    text: str,
    what: str,
) -> None:
    """The validator, a save and an import all refuse it, naming where it is."""
    broken = placed(document, PLACES[path], text)
    before = stored(design)
    problems = validate(alice_client, broken).json()["problems"]
    assert any(p["path"] == path and what in p["message"] for p in problems), problems
    response = save(alice_client, design, {"base_revision": 1, "document": broken})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(e["path"] == f"document.{path}" and what in e["message"] for e in errors)
    assert stored(design) == before
    response = upload(alice_client, json.dumps(broken).encode())
    assert response.status_code == 400
    assert what in response.text
    assert Design.objects.filter(owner=alice).count() == 1


@pytest.mark.parametrize(("text", "what"), UNSTORABLE_TEXT)
def test_a_key_the_database_cannot_store_is_named_at_its_object(
    alice_client: Client, design: Design, document: dict[str, Any], text: str, what: str
) -> None:
    broken = placed(document, ("components", 0, "params"), {text: 1})
    response = save(alice_client, design, {"base_revision": 1, "document": broken})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(
        e["path"] == "document.components[0].params" and what in e["message"] for e in errors
    ), errors


@pytest.mark.parametrize(("text", "what"), UNSTORABLE_TEXT)
def test_a_save_message_the_database_cannot_store_is_named(
    alice_client: Client, design: Design, document: dict[str, Any], text: str, what: str
) -> None:
    before = stored(design)
    response = save(
        alice_client, design, {"base_revision": 1, "document": document, "message": text}
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["path"] == "message"
    assert what in error["message"]
    assert stored(design) == before


@pytest.mark.parametrize(("text", "what"), UNSTORABLE_TEXT)
@pytest.mark.parametrize("field", ["name", "description"])
def test_a_custom_scenario_the_database_cannot_store_is_named(
    alice_client: Client, design: Design, launched: list[Any], field: str, text: str, what: str
) -> None:
    scenario = json.dumps({"duration_s": 60, field: text})
    response = start_run(alice_client, design=design.pk, scenario="custom", scenario_json=scenario)
    assert response.status_code == 422
    [error] = response.context["form"].errors["scenario_json"]
    assert error.startswith(f"{field}: contains {what}")
    assert not Run.objects.exists()


@pytest.mark.parametrize(
    "scenario",
    [
        {"\ud800": 1},
        {"faults": [{"at": 5, "target": "web", "action": "fail", "why\ud800": "x"}]},
        {"checks": [{"component": "web\ud800", "metric": "util", "value": 0.9}]},
    ],
    ids=["top-key", "key-in-a-fault", "value-in-a-check"],
)
def test_a_custom_scenario_with_a_lone_surrogate_anywhere_is_named(
    alice_client: Client, design: Design, launched: list[Any], scenario: dict[str, Any]
) -> None:
    """The page can show the problem: the engine would quote such a key in its path."""
    custom = json.dumps(scenario)
    response = start_run(alice_client, design=design.pk, scenario="custom", scenario_json=custom)
    assert response.status_code == 422
    errors = response.context["form"].errors["scenario_json"]
    assert all("a lone surrogate" in error for error in errors)
    assert not Run.objects.exists()


@pytest.mark.parametrize(
    ("kind", "params", "path"),
    [
        ("web_server", {"instances": "\ud800"}, "params.instances"),
        ("load_balancer", {"weights": {"web\ud800": 1}}, "params.weights"),
        ("web_server", {"service_ms": "a\x00b"}, "params.service_ms"),
    ],
)
def test_the_properties_panel_names_params_it_cannot_show(
    anon_client: Client, kind: str, params: dict[str, Any], path: str
) -> None:
    response = anon_client.get(
        reverse("editor_properties"), {"kind": kind, "id": "x", "params": json.dumps(params)}
    )
    assert response.status_code == 400
    assert f"{path}: " in response.text


# -- share tokens with a NUL (PostgreSQL cannot look one up) -----------------------------------


@pytest.mark.parametrize("token", ["\x00", "a\x00b"])
def test_a_share_token_with_a_nul_is_404(
    alice_client: Client, share_link: ShareLink, launched: list[Any], token: str
) -> None:
    quoted = token.replace("\x00", "%00")
    for path in ("/s/{}/", "/s/{}/export/", "/api/s/{}/document"):
        assert alice_client.get(path.format(quoted)).status_code == 404
    assert alice_client.post(f"/s/{quoted}/fork/").status_code == 404
    assert alice_client.get(reverse("live:run_new"), {"token": token}).status_code == 404
    assert start_run(alice_client, token=token).status_code == 404
    assert Design.objects.count() == 1
    assert not Run.objects.exists()


# -- a search with a NUL (PostgreSQL cannot search for one) ----------------------------------


@pytest.mark.parametrize("query", ["\x00", "pay\x00ments"])
def test_a_search_with_a_nul_is_400_naming_the_search(
    alice_client: Client, design: Design, query: str
) -> None:
    response = alice_client.get(reverse("design_list"), {"q": query})
    assert response.status_code == 400
    assert response.text.startswith("q: ")
    assert "NUL" in response.text
    table = alice_client.get(
        reverse("design_list"),
        {"q": query},
        headers={"HX-Request": "true", "HX-Target": "design-table"},
    )
    assert table.status_code == 400
