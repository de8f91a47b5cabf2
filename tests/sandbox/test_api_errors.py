"""Errors under /api/ are JSON, always: never Django's HTML pages."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sandbox.models import Design
from sandbox.views import api

pytestmark = pytest.mark.django_db


def _error(response: Any) -> str:
    """The one message of a JSON error answer, checking the envelope on the way."""
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body == {"error": body["error"], "errors": [{"path": "", "message": body["error"]}]}
    return body["error"]


@pytest.mark.parametrize("debug", [False, True])
def test_an_exception_in_a_view_answers_json_500(
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
    debug: bool,
) -> None:
    settings.DEBUG = debug

    def broken() -> dict[str, Any]:
        raise RuntimeError("the catalog broke")

    monkeypatch.setattr(api.simulation, "catalog", broken)
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get(reverse("api_catalog"))
    assert response.status_code == 500
    assert _error(response).startswith("the server failed while answering this request; try")
    assert "the catalog broke" not in response.text
    # The traceback is still logged for whoever runs the server.
    assert any(record.exc_info for record in caplog.records)


def test_a_save_that_fails_unexpectedly_answers_json(
    alice: Any, design: Design, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Design, "save_document", broken)
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    body = {"base_revision": 1, "document": design.latest_revision().document}
    response = client.post(
        reverse("api_document", args=[design.pk]), json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 500
    assert "try again" in _error(response)


def test_an_unknown_api_url_answers_json_404(anon_client: Client) -> None:
    response = anon_client.get("/api/nothing-here")
    assert response.status_code == 404
    assert (
        _error(response) == "there is no API at /api/nothing-here; docs/api.md lists the API's URLs"
    )


def test_a_wrong_method_answers_json_405_with_allow(anon_client: Client) -> None:
    response = anon_client.get(reverse("api_validate"))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert _error(response) == "GET is not allowed here; use POST"


def test_a_failed_csrf_check_answers_json_403(alice: Any, design: Design) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    body = {"base_revision": 1, "document": design.latest_revision().document}
    response = client.post(
        reverse("api_document", args=[design.pk]), json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 403
    message = _error(response)
    assert message.startswith("the CSRF check failed (CSRF cookie not set.); send the X-CSRFToken")
    design.refresh_from_db()
    assert design.head == 1
    form = Client(enforce_csrf_checks=True).post(reverse("signup"), {})
    assert form.status_code == 403
    assert "This form has expired" in form.text


def test_a_body_django_refuses_answers_json_400(db: None, settings: Any) -> None:
    """The CSRF check reads the form's fields: too many of them is a 400 from Django."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32
    response = client.post(reverse("api_validate"), {"x": 1, "y": 2, "z": 3})
    assert response.status_code == 400
    assert _error(response) == "the server could not read this request; nothing was changed"
