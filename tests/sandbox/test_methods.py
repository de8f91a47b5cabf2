"""Every view answers 405 to a method it does not take."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from sandbox.models import Design, ShareLink, Template

GET_ONLY_BY_PK = ["design_detail", "design_row", "design_export", "design_history"]
POST_ONLY_BY_PK = [
    "design_duplicate",
    "design_fork",
    "share_create",
    "share_revoke",
]


@pytest.mark.parametrize("name", GET_ONLY_BY_PK)
def test_it_refuses_post_on_read_only_pages(
    alice_client: Client, design: Design, name: str
) -> None:
    assert alice_client.post(reverse(name, args=[design.pk])).status_code == 405


@pytest.mark.parametrize("name", POST_ONLY_BY_PK)
def test_it_refuses_get_on_actions(alice_client: Client, design: Design, name: str) -> None:
    assert alice_client.get(reverse(name, args=[design.pk])).status_code == 405


@pytest.mark.parametrize("name", ["design_rename", "design_settings", "design_delete"])
def test_it_refuses_put_and_delete_on_forms(
    alice_client: Client, design: Design, name: str
) -> None:
    url = reverse(name, args=[design.pk])
    assert alice_client.put(url).status_code == 405
    assert alice_client.delete(url).status_code == 405
    assert Design.objects.filter(pk=design.pk).exists()


def test_it_refuses_get_on_restore(alice_client: Client, design: Design) -> None:
    url = reverse("revision_restore", args=[design.pk, 1])
    assert alice_client.get(url).status_code == 405


def test_it_refuses_wrong_methods_on_share_links(
    alice_client: Client, share_link: ShareLink
) -> None:
    token = share_link.token
    assert alice_client.post(reverse("shared_design", args=[token])).status_code == 405
    assert alice_client.post(reverse("shared_export", args=[token])).status_code == 405
    assert alice_client.post(reverse("api_shared_document", args=[token])).status_code == 405
    assert alice_client.get(reverse("shared_fork", args=[token])).status_code == 405


def test_it_refuses_wrong_methods_on_galleries(alice_client: Client, template: Template) -> None:
    assert alice_client.post(reverse("template_list")).status_code == 405
    assert alice_client.post(reverse("gallery")).status_code == 405
    assert alice_client.get(reverse("template_use", args=[template.slug])).status_code == 405
    assert alice_client.post(reverse("design_list")).status_code == 405
    assert alice_client.get(reverse("design_create")).status_code == 405


def test_it_refuses_wrong_methods_on_the_api(alice_client: Client, design: Design) -> None:
    assert alice_client.post(reverse("api_catalog")).status_code == 405
    assert alice_client.get(reverse("api_validate")).status_code == 405
    url = reverse("api_document", args=[design.pk])
    assert alice_client.put(url).status_code == 405
    assert alice_client.delete(url).status_code == 405
    assert Design.objects.filter(pk=design.pk).exists()
