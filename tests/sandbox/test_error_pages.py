"""Error pages in production mode: each says what happened and that nothing was changed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings: Any) -> None:
    settings.DEBUG = False


def test_a_request_with_too_many_fields_gets_the_bad_request_page(
    production: None, alice: Any, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    response = client.post(reverse("design_create"), {f"f{i}": "x" for i in range(20)})
    assert response.status_code == 400
    text = response.content.decode()
    assert "<h1>Bad request</h1>" in text
    assert "Nothing was changed" in text


def test_a_form_without_its_csrf_token_explains_what_to_do(production: None, alice: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("design_create"), {"name": "x"})
    assert response.status_code == 403
    text = response.content.decode()
    assert "This form has expired" in text
    assert "Reload the page" in text


def test_the_server_error_page_stands_alone() -> None:
    """It renders with no request context at all (base.html needs one)."""
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    text = response.content.decode()
    assert "Something went wrong on our side" in text
    assert "{%" not in text
