"""Copy the engine's built-in examples into the Template table (idempotent)."""

from __future__ import annotations

import importlib
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from sandbox.models import Template


def builtin_examples() -> list[Any]:
    """The engine's examples, or an empty list while the engine ships none yet."""
    try:
        simulation = importlib.import_module("simulation")
    except ModuleNotFoundError:
        return []
    list_examples = getattr(simulation, "list_examples", None)
    return list(list_examples()) if list_examples else []


class Command(BaseCommand):
    help = "Load the engine's built-in examples as templates; removes templates it no longer has."

    def handle(self, *args: Any, **options: Any) -> None:
        examples = builtin_examples()
        with transaction.atomic():
            slugs = []
            for position, example in enumerate(examples):
                Template.objects.update_or_create(
                    slug=example.slug,
                    defaults={
                        "title": example.title,
                        "lesson": example.lesson or "",
                        "document": example.document,
                        "scenario": example.scenario,
                        "position": position,
                    },
                )
                slugs.append(example.slug)
            removed, _ = Template.objects.exclude(slug__in=slugs).delete()
        if not examples:
            self.stdout.write("No built-in templates found in the engine yet.")
        else:
            self.stdout.write(f"Loaded {len(examples)} templates ({removed} stale removed).")
