"""/api/validate and /api/catalog."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

import simulation


@pytest.mark.parametrize("persona", ["alice_client", "anon_client"])
def test_it_serves_the_engine_catalog(request: pytest.FixtureRequest, persona: str) -> None:
    client = request.getfixturevalue(persona)
    response = client.get(reverse("api_catalog"))
    assert response.status_code == 200
    assert response.json() == json.loads(json.dumps(simulation.catalog()))


def test_it_finds_no_problem_in_a_valid_document(
    alice_client: Client, document: dict[str, Any]
) -> None:
    response = alice_client.post(reverse("api_validate"), document, "application/json")
    assert response.status_code == 200
    assert response.json() == {"problems": [], "warnings": []}


WRITES_PAST_A_CACHE = {
    "format": 1,
    "components": [
        {"id": "users", "kind": "client"},
        {"id": "web-1", "kind": "web_server", "label": "Web"},
        {"id": "cache-1", "kind": "cache"},
        {"id": "db", "kind": "database"},
    ],
    "links": [
        {"from": "users", "to": "web-1"},
        {"from": "web-1", "to": "cache-1"},
        {"from": "cache-1", "to": "db"},
    ],
}


def test_it_lists_warnings_of_a_valid_document_apart_from_problems(anon_client: Client) -> None:
    """Writes past a cache reach no database: valid, with a warning at the web tier."""
    response = anon_client.post(reverse("api_validate"), WRITES_PAST_A_CACHE, "application/json")
    assert response.status_code == 200
    assert response.json() == {
        "problems": [],
        "warnings": [
            {
                "path": "components[1]",
                "message": "Writes from users never reach a component that takes them: "
                "they end at 'Web' (id web-1); link Web to a database.",
            }
        ],
    }


def test_a_warned_document_saves(alice_client: Client, design: Any) -> None:
    """Warnings never block a save."""
    body = {"base_revision": 1, "document": WRITES_PAST_A_CACHE, "message": "cache"}
    url = reverse("api_document", args=[design.pk])
    response = alice_client.post(url, body, "application/json")
    assert response.status_code == 200
    assert response.json() == {"revision": 2, "saves": 1, "changed": True}


def test_it_lists_every_problem_with_its_path(
    anon_client: Client, invalid_document: dict[str, Any]
) -> None:
    response = anon_client.post(reverse("api_validate"), invalid_document, "application/json")
    assert response.status_code == 200
    problems = response.json()["problems"]
    assert {"components[1].kind", "links[0].to"} <= {p["path"] for p in problems}
    assert all(set(p) == {"path", "message"} for p in problems)


def test_it_answers_400_for_bad_json(anon_client: Client) -> None:
    response = anon_client.post(reverse("api_validate"), "{oops", "application/json")
    assert response.status_code == 400
    assert "line 1" in response.json()["problems"][0]["message"]


def test_it_reports_a_non_object_document(anon_client: Client) -> None:
    response = anon_client.post(reverse("api_validate"), "[]", "application/json")
    assert response.status_code == 200
    assert response.json()["problems"][0]["path"] == ""
