"""The design settings page: name, description, visibility."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from sandbox.models import Design


def test_it_saves_the_settings(alice_client: Client, design: Design) -> None:
    response = alice_client.post(
        reverse("design_settings", args=[design.pk]),
        {"name": "Renamed", "description": "Notes", "visibility": "public"},
    )
    assert response.url == reverse("design_detail", args=[design.pk])
    design.refresh_from_db()
    assert (design.name, design.description, design.visibility) == ("Renamed", "Notes", "public")
    assert design.head == 1


def test_it_names_every_bad_field(alice_client: Client, design: Design) -> None:
    response = alice_client.post(
        reverse("design_settings", args=[design.pk]),
        {"name": "", "description": "x" * 2001, "visibility": "secret"},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"name", "description", "visibility"}
    assert "This field is required." in response.text
    design.refresh_from_db()
    assert (design.name, design.visibility) == ("Checkout service", "private")
