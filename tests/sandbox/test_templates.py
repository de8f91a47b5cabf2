"""The template gallery, "use this template" and `manage.py load_templates`."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from sandbox.management.commands import load_templates
from sandbox.models import Design, Template


def test_it_lists_templates_with_their_lessons(anon_client: Client, template: Template) -> None:
    response = anon_client.get(reverse("template_list"))
    assert response.status_code == 200
    assert template.title in response.text
    assert "Scale out: add a second server" in response.text
    assert "Log in to use it" in response.text


def test_it_offers_signed_in_users_a_copy(alice_client: Client, template: Template) -> None:
    response = alice_client.get(reverse("template_list"))
    assert reverse("template_use", args=[template.slug]) in response.text


def test_it_makes_my_own_copy(alice_client: Client, alice: Any, template: Template) -> None:
    response = alice_client.post(reverse("template_use", args=[template.slug]))
    design = Design.objects.get(owner=alice)
    assert response.url == reverse("design_detail", args=[design.pk])
    assert design.name == template.title
    assert design.template_slug == template.slug
    assert design.latest_revision().document == template.document
    template.refresh_from_db()
    assert template.document["name"] == "Two web servers"


def test_it_answers_404_for_an_unknown_template(alice_client: Client) -> None:
    assert alice_client.post(reverse("template_use", args=["nope"])).status_code == 404


def test_anonymous_visitors_log_in_first(anon_client: Client, template: Template) -> None:
    response = anon_client.post(reverse("template_use", args=[template.slug]))
    assert response.url.startswith("/accounts/login/")
    assert not Design.objects.exists()


def test_it_stores_nothing_from_a_broken_template(
    alice_client: Client, alice: Any, template: Template, invalid_document: dict[str, Any]
) -> None:
    template.document = invalid_document
    template.save()
    response = alice_client.post(reverse("template_use", args=[template.slug]), follow=True)
    assert "is broken" in response.text
    assert not Design.objects.filter(owner=alice).exists()


def _example(slug: str, document: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(
        slug=slug, title=slug.title(), lesson=f"About {slug}", document=document, scenario=None
    )


def test_load_templates_copies_the_examples_and_drops_stale_ones(
    db: None, document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    Template.objects.create(slug="gone", title="Gone", document=document)
    examples = [_example("scale-out", document), _example("cache", document)]
    monkeypatch.setattr(load_templates, "builtin_examples", lambda: examples)
    call_command("load_templates", stdout=io.StringIO())
    out = io.StringIO()
    call_command("load_templates", stdout=out)
    assert "Loaded 2 templates" in out.getvalue()
    assert list(Template.objects.values_list("slug", "position")) == [
        ("scale-out", 0),
        ("cache", 1),
    ]
    assert Template.objects.get(slug="cache").lesson == "About cache"
