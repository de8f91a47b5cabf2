"""Sign up, log in, log out, password change."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD


def test_it_signs_up_and_logs_in(anon_client: Client) -> None:
    response = anon_client.post(
        reverse("signup"),
        {"username": "carol", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    assert get_user_model().objects.filter(username="carol").exists()
    assert response.context["user"].username == "carol"
    assert "Welcome, carol" in response.text


def test_it_explains_a_bad_signup(anon_client: Client, alice: Any) -> None:
    response = anon_client.post(
        reverse("signup"), {"username": "alice", "password1": "123", "password2": "456"}
    )
    assert response.status_code == 400
    assert "A user with that username already exists." in response.text
    assert "The two password fields didn’t match." in response.text
    assert get_user_model().objects.count() == 1


def test_it_sends_signed_in_users_home_from_signup(alice_client: Client) -> None:
    assert alice_client.get(reverse("signup")).url == reverse("home")


def test_it_logs_in_and_out(anon_client: Client, alice: Any) -> None:
    page = anon_client.get(reverse("login"))
    assert page.status_code == 200
    response = anon_client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.url == reverse("design_list")
    assert anon_client.get(reverse("design_list")).status_code == 200
    anon_client.post(reverse("logout"))
    assert anon_client.get(reverse("design_list")).status_code == 302


def test_it_refuses_a_wrong_password(anon_client: Client, alice: Any) -> None:
    response = anon_client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.text


def test_it_changes_the_password(alice_client: Client, alice: Any) -> None:
    response = alice_client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-phrase-42",
            "new_password2": "another-long-phrase-42",
        },
    )
    assert response.url == reverse("password_change_done")
    alice.refresh_from_db()
    assert alice.check_password("another-long-phrase-42")
    assert "Password changed" in alice_client.get(reverse("password_change_done")).text


def test_a_password_reset_for_a_user_with_an_email_is_sent_not_a_server_error(
    anon_client: Client, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a mail server configured the mail is written to the log (the default
    backend), never a 500 from a refused SMTP connection."""
    from sandbox import settings as project_settings

    settings.MAILERS = project_settings.MAILERS
    get_user_model().objects.create_user("carol", "carol@example.com", "pw-carol-123")
    response = anon_client.post(reverse("password_reset"), {"email": "carol@example.com"})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert "carol@example.com" in capsys.readouterr().out
