"""Share links (create, revoke) and forks."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from sandbox.models import Design, ShareLink


def test_it_creates_one_unguessable_link(alice_client: Client, design: Design) -> None:
    alice_client.post(reverse("share_create", args=[design.pk]))
    alice_client.post(reverse("share_create", args=[design.pk]))
    links = list(design.share_links.all())
    assert len(links) == 1
    assert len(links[0].token) >= 32
    page = alice_client.get(reverse("design_detail", args=[design.pk]))
    assert links[0].get_absolute_url() in page.text
    assert "Revoke link" in page.text


def test_tokens_differ_between_links(design: Design) -> None:
    tokens = {ShareLink.objects.create(design=design).token for _ in range(5)}
    assert len(tokens) == 5


def test_it_revokes_the_link(
    anon_client: Client, alice_client: Client, share_link: ShareLink
) -> None:
    assert anon_client.get(share_link.get_absolute_url()).status_code == 200
    alice_client.post(reverse("share_revoke", args=[share_link.design.pk]))
    share_link.refresh_from_db()
    assert share_link.revoked_at is not None
    gone = anon_client.get(share_link.get_absolute_url())
    assert gone.status_code == 404
    assert "A revoked share link also ends here." in gone.text


def test_a_new_link_after_revoking_has_a_new_token(
    alice_client: Client, revoked_link: ShareLink
) -> None:
    design = revoked_link.design
    alice_client.post(reverse("share_create", args=[design.pk]))
    active = design.active_share_link()
    assert active is not None
    assert active.token != revoked_link.token


def test_it_forks_a_shared_design(bob_client: Client, bob: Any, share_link: ShareLink) -> None:
    original = share_link.design
    response = bob_client.post(reverse("shared_fork", args=[share_link.token]))
    fork = Design.objects.get(owner=bob)
    assert response.url == reverse("design_detail", args=[fork.pk])
    assert fork.forked_from == original
    assert fork.name == "Checkout service (fork)"
    assert fork.latest_revision().document == original.latest_revision().document
    assert "Forked from" in fork.latest_revision().message
    assert fork.visibility == "private"
    assert bob_client.get(reverse("design_detail", args=[fork.pk])).context["read_only"] is False


def test_it_forks_a_public_design(bob_client: Client, bob: Any, public_design: Design) -> None:
    bob_client.post(reverse("design_fork", args=[public_design.pk]))
    assert Design.objects.get(owner=bob).forked_from == public_design


def test_a_fork_respects_the_design_limit(
    bob_client: Client, bob: Any, share_link: ShareLink, settings: Any
) -> None:
    settings.SANDBOX_MAX_DESIGNS_PER_USER = 1
    bob_client.post(reverse("shared_fork", args=[share_link.token]))
    response = bob_client.post(reverse("shared_fork", args=[share_link.token]), follow=True)
    assert Design.objects.filter(owner=bob).count() == 1
    assert "the most allowed" in response.text


def test_editing_a_fork_leaves_the_original_alone(
    bob_client: Client, bob: Any, share_link: ShareLink, document: dict[str, Any]
) -> None:
    bob_client.post(reverse("shared_fork", args=[share_link.token]))
    fork = Design.objects.get(owner=bob)
    document["name"] = "Bob's version"
    fork.add_revision(document, author=bob, base_revision=1)
    share_link.design.refresh_from_db()
    assert share_link.design.head == 1
    assert share_link.design.latest_revision().document["name"] == "Two web servers"
