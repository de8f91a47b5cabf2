"""The design page: the editor's workspace for the owner, read-only for everyone else."""

from __future__ import annotations

import json
import re
from typing import Any

from django.test import Client
from django.urls import reverse

from sandbox.models import Design, ShareLink
from sandbox.views.workspace import run_panel_enabled


def _workspace(html: str) -> dict[str, str]:
    match = re.search(r'<section id="design-workspace"([^>]*)>', html)
    assert match, "the page has the workspace section"
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', match.group(1)))


def _embedded_document(html: str) -> Any:
    match = re.search(r'<script id="design-doc" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the page embeds the document with json_script"
    return json.loads(match.group(1))


def test_it_gives_the_owner_the_editor(alice_client: Client, design: Design) -> None:
    response = alice_client.get(reverse("design_detail", args=[design.pk]))
    assert response.status_code == 200
    data = _workspace(response.text)
    assert data["read-only"] == "false"
    assert data["save-url"] == reverse("api_document", args=[design.pk])
    assert data["document-url"] == reverse("api_document", args=[design.pk])
    assert data["validate-url"] == reverse("api_validate")
    assert data["catalog-url"] == reverse("api_catalog")
    assert data["fork-url"] == reverse("design_fork", args=[design.pk])
    assert data["revision"] == "1"
    assert _embedded_document(response.text) == design.latest_revision().document
    assert 'id="editor"' in response.text
    assert "Revision 1" in response.text
    assert "Create share link" in response.text


def test_it_passes_the_editor_its_context(alice_client: Client, design: Design) -> None:
    context = alice_client.get(reverse("design_detail", args=[design.pk])).context
    assert context["design"] == design
    assert context["revision"] == 1
    assert context["document"] == design.latest_revision().document
    assert context["read_only"] is False
    assert context["share_token"] is None


def test_it_shows_a_public_design_read_only(bob_client: Client, public_design: Design) -> None:
    response = bob_client.get(reverse("design_detail", args=[public_design.pk]))
    data = _workspace(response.text)
    assert data["read-only"] == "true"
    assert data["save-url"] == ""
    assert response.context["read_only"] is True
    assert "Fork into my designs" in response.text
    assert "Create share link" not in response.text
    assert "History" not in response.text


def test_it_shows_a_shared_design_read_only(anon_client: Client, share_link: ShareLink) -> None:
    response = anon_client.get(reverse("shared_design", args=[share_link.token]))
    assert response.status_code == 200
    data = _workspace(response.text)
    assert data["read-only"] == "true"
    assert data["share-token"] == share_link.token
    assert data["document-url"] == reverse("api_shared_document", args=[share_link.token])
    assert data["fork-url"] == reverse("shared_fork", args=[share_link.token])
    assert response.context["share_token"] == share_link.token
    assert "Log in to fork" in response.text
    assert _embedded_document(response.text)["name"] == "Two web servers"


def test_the_owner_opening_their_share_link_sees_it_read_only(
    alice_client: Client, share_link: ShareLink
) -> None:
    response = alice_client.get(reverse("shared_design", args=[share_link.token]))
    assert response.context["read_only"] is True


def test_it_escapes_what_users_typed(alice_client: Client, alice: Any) -> None:
    name = "<script>alert(1)</script>"
    doc = {"format": 1, "name": "</script><b>x</b>", "components": [], "links": []}
    design = Design.create_with_document(owner=alice, name=name, document=doc, message="")
    response = alice_client.get(reverse("design_detail", args=[design.pk]))
    assert "<script>alert(1)</script>" not in response.text
    assert "</script><b>x</b>" not in response.text
    assert _embedded_document(response.text)["name"] == "</script><b>x</b>"


def test_it_answers_404_for_a_missing_design(alice_client: Client) -> None:
    assert alice_client.get(reverse("design_detail", args=[999999])).status_code == 404


def test_the_run_panel_hook_matches_the_live_app(alice_client: Client, design: Design) -> None:
    response = alice_client.get(reverse("design_detail", args=[design.pk]))
    assert response.context["run_panel_enabled"] is run_panel_enabled()
