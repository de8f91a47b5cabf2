"""GET and POST /api/designs/<pk>/document: revisions, conflicts, validation, bad input."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sandbox.models import Design


def _url(design: Design) -> str:
    return reverse("api_document", args=[design.pk])


def _post(client: Client, design: Design, body: Any) -> Any:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(_url(design), raw, content_type="application/json")


def _snapshot(design: Design) -> tuple[int, int, Any, str]:
    design.refresh_from_db()
    return (design.head, design.revisions.count(), design.latest_revision().document, design.name)


def test_it_answers_the_newest_revision(alice_client: Client, design: Design) -> None:
    response = alice_client.get(_url(design))
    assert response.status_code == 200
    assert response.json() == {
        "revision": 1,
        "saves": 1,
        "document": design.latest_revision().document,
    }


def test_it_saves_a_new_revision(
    alice_client: Client, alice: Any, design: Design, document: dict[str, Any]
) -> None:
    document["components"][2]["params"]["instances"] = 4
    response = _post(
        alice_client, design, {"base_revision": 1, "document": document, "message": "scale out"}
    )
    assert response.status_code == 200
    assert response.json() == {"revision": 2, "saves": 1, "changed": True}
    design.refresh_from_db()
    assert design.head == 2
    latest = design.latest_revision()
    assert latest.document == document
    assert (latest.author, latest.message) == (alice, "scale out")
    assert design.revisions.get(number=1).document["components"][2]["params"]["instances"] == 2


def test_it_refuses_a_stale_base_revision(
    alice_client: Client, design: Design, document: dict[str, Any]
) -> None:
    document["components"][2]["params"]["instances"] = 4
    assert (
        _post(alice_client, design, {"base_revision": 1, "document": document}).status_code == 200
    )
    before = _snapshot(design)
    changed = copy.deepcopy(document)
    changed["name"] = "Edited in another tab"
    response = _post(alice_client, design, {"base_revision": 1, "document": changed})
    assert response.status_code == 409
    assert response.json() == {"error": "conflict", "current_revision": 2, "current_saves": 1}
    assert _snapshot(design) == before


def test_it_lists_every_error_path_of_an_invalid_document(
    alice_client: Client, design: Design, invalid_document: dict[str, Any]
) -> None:
    response = _post(alice_client, design, {"base_revision": 1, "document": invalid_document})
    assert response.status_code == 422
    paths = {error["path"] for error in response.json()["errors"]}
    assert "document.components[1].kind" in paths
    assert any(path.startswith("document.components[2]") for path in paths)  # duplicate id
    assert "document.links[0].to" in paths
    assert all(error["message"] for error in response.json()["errors"])


def test_it_lists_envelope_and_document_errors_together(
    alice_client: Client, design: Design, invalid_document: dict[str, Any]
) -> None:
    body = {"base_revision": "one", "document": invalid_document, "message": 5, "extra": 1}
    response = _post(alice_client, design, body)
    assert response.status_code == 422
    paths = [error["path"] for error in response.json()["errors"]]
    assert {"base_revision", "message", "extra", "document.components[1].kind"} <= set(paths)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"document": {}}, "base_revision"),
        ({"base_revision": 1}, "document"),
        ({"base_revision": -1, "document": {}}, "base_revision"),
        ({"base_revision": True, "document": {}}, "base_revision"),
        ({"base_revision": 1, "document": []}, "document"),
        ({"base_revision": 1, "document": {}, "message": "x" * 201}, "message"),
    ],
)
def test_it_names_the_field_of_a_bad_request(
    alice_client: Client, design: Design, body: dict[str, Any], path: str
) -> None:
    response = _post(alice_client, design, body)
    assert response.status_code == 422
    assert path in [error["path"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ("", "empty"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_it_answers_400_for_a_body_that_is_not_json(
    alice_client: Client, design: Design, raw: str | bytes, fragment: str
) -> None:
    response = _post(alice_client, design, raw)
    assert response.status_code == 400
    assert fragment in response.json()["errors"][0]["message"]


def test_it_answers_422_for_json_that_is_not_an_object(
    alice_client: Client, design: Design
) -> None:
    response = _post(alice_client, design, "[1, 2]")
    assert response.status_code == 422


def test_it_keeps_the_stored_design_on_bad_input(
    alice_client: Client, design: Design, invalid_document: dict[str, Any]
) -> None:
    before = _snapshot(design)
    bad_bodies: list[Any] = [
        "{not json",
        {"base_revision": 1, "document": invalid_document},
        {"base_revision": 0, "document": design.latest_revision().document},
        {"base_revision": 1},
        "null",
    ]
    for body in bad_bodies:
        assert _post(alice_client, design, body).status_code >= 400
    assert _snapshot(design) == before


def test_it_refuses_a_document_over_the_size_limit(
    alice_client: Client, design: Design, document: dict[str, Any], settings: Any
) -> None:
    settings.SANDBOX_MAX_DOCUMENT_BYTES = 600
    document["description"] = "x" * 700
    before = _snapshot(design)
    response = _post(alice_client, design, {"base_revision": 1, "document": document})
    assert response.status_code in (400, 422)
    assert "bytes" in json.dumps(response.json())
    assert _snapshot(design) == before


def test_it_refuses_a_body_larger_than_django_accepts(
    alice_client: Client, design: Design, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"base_revision": 1, "document": {"name": "x" * 2000}})
    response = _post(alice_client, design, body)
    assert response.status_code == 400
    assert "too large" in response.json()["errors"][0]["message"]


def test_it_refuses_too_many_components(
    alice_client: Client, design: Design, document: dict[str, Any], settings: Any
) -> None:
    settings.SANDBOX_MAX_COMPONENTS = 2
    response = _post(alice_client, design, {"base_revision": 1, "document": document})
    assert response.status_code == 422
    assert any(e["path"].startswith("document.components") for e in response.json()["errors"])


def test_it_requires_the_csrf_token(alice: Any, design: Design, document: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = _post(client, design, {"base_revision": 1, "document": document})
    assert response.status_code == 403
    design.refresh_from_db()
    assert design.head == 1


def test_it_accepts_the_csrf_token_in_the_header(
    alice: Any, design: Design, document: dict[str, Any]
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    page = client.get(reverse("design_detail", args=[design.pk]))
    token = page.cookies["csrftoken"].value
    response = client.post(
        _url(design),
        json.dumps({"base_revision": 1, "document": document}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200


def test_it_answers_json_404_for_others(bob_client: Client, design: Design) -> None:
    response = bob_client.get(_url(design))
    assert response.status_code == 404
    assert response.json()["errors"][0]["message"] == "no such design"
    assert bob_client.get(reverse("api_document", args=[design.pk + 999])).status_code == 404


def test_it_tells_readers_of_a_public_design_to_fork(
    bob_client: Client, public_design: Design, document: dict[str, Any]
) -> None:
    response = _post(bob_client, public_design, {"base_revision": 1, "document": document})
    assert response.status_code == 403
    assert "fork" in response.json()["errors"][0]["message"]


def test_it_serves_a_shared_document(anon_client: Client, share_link: Any) -> None:
    response = anon_client.get(reverse("api_shared_document", args=[share_link.token]))
    assert response.status_code == 200
    assert response.json()["revision"] == 1
    assert response.json()["document"]["name"] == "Two web servers"
