from __future__ import annotations

from django.test import Client

from sandbox.models import Design, Template


def test_it_welcomes_anonymous_visitors(anon_client: Client) -> None:
    response = anon_client.get("/")
    assert response.status_code == 200
    assert b"Sign up" in response.content
    assert b"dist/main.js" in response.content
    assert b"dist/main.css" in response.content
    assert b"htmx" in response.content


def test_it_lists_templates_and_public_designs(
    anon_client: Client, template: Template, public_design: Design, design: Design
) -> None:
    response = anon_client.get("/")
    assert template.title in response.text
    assert public_design.name in response.text
    assert design.name not in response.text


def test_it_sends_signed_in_users_to_their_designs(alice_client: Client) -> None:
    response = alice_client.get("/")
    assert response.status_code == 302
    assert response.url == "/designs/"


def test_it_carries_the_csrf_token_for_htmx(alice_client: Client) -> None:
    response = alice_client.get("/designs/")
    assert 'hx-headers=\'{"X-CSRFToken": "' in response.text


def test_it_refuses_post(anon_client: Client) -> None:
    assert anon_client.post("/").status_code == 405
