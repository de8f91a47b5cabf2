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
    assert response.json() == {"problems": []}


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
