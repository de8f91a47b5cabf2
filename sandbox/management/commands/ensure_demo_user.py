"""Create the demo account if it is missing and print how to log in (idempotent)."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Create (or reset the password of) the demo account and print its credentials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="demo")
        parser.add_argument(
            "--password",
            default="",
            help="password to set; a fresh random one is printed when omitted",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        password = options["password"] or secrets.token_urlsafe(9)
        user, created = get_user_model().objects.get_or_create(username=username)
        user.is_staff = True
        user.is_superuser = True
        user.set_password(password)
        user.save()
        verb = "Created" if created else "Reset the password of"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} the demo account (also admin at /admin/): "
                f"username {username!r}, password {password!r}"
            )
        )
