"""Management commands used by `make run`."""

from __future__ import annotations

import io
import re

from django.contrib.auth import get_user_model
from django.core.management import call_command


def test_ensure_demo_user_creates_once_and_prints_a_working_password(db: None) -> None:
    out = io.StringIO()
    call_command("ensure_demo_user", stdout=out)
    call_command("ensure_demo_user", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Created the demo account")
    assert lines[1].startswith("Reset the password of the demo account")
    password = re.search(r"password '([^']+)'", lines[1]).group(1)
    users = get_user_model().objects.filter(username="demo")
    assert users.count() == 1
    assert users.get().check_password(password)
    assert users.get().is_superuser


def test_ensure_demo_user_takes_a_chosen_password(db: None) -> None:
    call_command("ensure_demo_user", "--password", "chosen-one-123", stdout=io.StringIO())
    assert get_user_model().objects.get(username="demo").check_password("chosen-one-123")
