"""The Django admin shows every model."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from sandbox.models import Design, ShareLink, Template


@pytest.fixture
def admin_client_(django_user_model: Any) -> Client:
    admin = django_user_model.objects.create_superuser("root", password="x" * 20)
    client = Client()
    client.force_login(admin)
    return client


@pytest.mark.parametrize("model", ["design", "revision", "sharelink", "template"])
def test_the_admin_lists_the_model(
    admin_client_: Client, design: Design, share_link: ShareLink, template: Template, model: str
) -> None:
    assert admin_client_.get(f"/admin/sandbox/{model}/").status_code == 200


def test_the_admin_shows_a_design_with_its_history(
    admin_client_: Client, design: Design, share_link: ShareLink
) -> None:
    response = admin_client_.get(f"/admin/sandbox/design/{design.pk}/change/")
    assert response.status_code == 200
    assert share_link.token in response.text


def test_revisions_are_read_only_in_the_admin(admin_client_: Client, design: Design) -> None:
    revision = design.latest_revision()
    assert admin_client_.get("/admin/sandbox/revision/add/").status_code == 403
    admin_client_.post(f"/admin/sandbox/revision/{revision.pk}/change/", {"message": "edited"})
    revision.refresh_from_db()
    assert revision.message == "Created"


def test_others_cannot_reach_the_admin(alice_client: Client) -> None:
    assert alice_client.get("/admin/sandbox/design/").status_code == 302
