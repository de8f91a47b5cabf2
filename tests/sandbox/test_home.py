from __future__ import annotations

from typing import Any

from django.test import Client


def test_it_welcomes_anonymous_visitors(anon_client: Client) -> None:
    response = anon_client.get("/")
    assert response.status_code == 200
    assert b"Sign up" in response.content
    assert b"dist/main.js" in response.content
    assert b"htmx" in response.content


def test_it_shows_the_account_menu_when_logged_in(alice_client: Client, alice: Any) -> None:
    response = alice_client.get("/")
    assert response.status_code == 200
    assert b"alice" in response.content
    assert b"Log out" in response.content


def test_it_refuses_post(anon_client: Client) -> None:
    assert anon_client.post("/").status_code == 405
