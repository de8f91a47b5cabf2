"""The public gallery lists public designs only."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from sandbox.models import Design


def test_it_lists_public_designs_only(
    anon_client: Client, public_design: Design, design: Design
) -> None:
    response = anon_client.get(reverse("gallery"))
    assert response.status_code == 200
    assert public_design.name in response.text
    assert design.name not in response.text
    assert reverse("design_detail", args=[public_design.pk]) in response.text


def test_making_a_design_public_lists_it(alice_client: Client, design: Design) -> None:
    response = alice_client.post(
        reverse("design_settings", args=[design.pk]),
        {"name": design.name, "description": "Now for everyone", "visibility": "public"},
    )
    assert response.status_code == 302
    assert design.name in alice_client.get(reverse("gallery")).text


def test_it_says_when_the_gallery_is_empty(anon_client: Client) -> None:
    assert "Nobody has published a design yet" in anon_client.get(reverse("gallery")).text
