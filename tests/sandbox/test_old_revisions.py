"""Old revisions stay the owner's: public and shared readers see the head revision only."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sandbox.live.models import Run, RunStatus
from sandbox.models import Design, ShareLink, Visibility
from simulation import validate_scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(design: Design, alice: Any) -> Design:
    """Alice's design at revision 2, public, with a share link; revision 1 named a secret."""
    first = design.latest_revision()
    first.document = {**first.document, "name": "Secret first draft"}
    first.save(update_fields=["document"])
    second = copy.deepcopy(first.document)
    second["name"] = "Published version"
    design.add_revision(second, author=alice, message="clean up")
    design.visibility = Visibility.PUBLIC
    design.save(update_fields=["visibility"])
    return design


def export(client: Client, design: Design, revision: Any = None) -> Any:
    query = {} if revision is None else {"revision": revision}
    return client.get(reverse("design_export", args=[design.pk]), query)


def test_public_and_shared_readers_export_only_the_head(
    alice_client: Client, bob_client: Client, anon_client: Client, published: Design
) -> None:
    for client in (bob_client, anon_client):
        assert export(client, published, 1).status_code == 404
        assert json.loads(export(client, published, 2).content)["name"] == "Published version"
        assert json.loads(export(client, published).content)["name"] == "Published version"
    link = ShareLink.objects.create(design=published)
    response = anon_client.get(reverse("shared_export", args=[link.token]), {"revision": 1})
    assert json.loads(response.content)["name"] == "Published version"
    body = anon_client.get(reverse("api_shared_document", args=[link.token])).json()
    assert (body["revision"], body["document"]["name"]) == (2, "Published version")
    assert json.loads(export(alice_client, published, 1).content)["name"] == "Secret first draft"


def run_of(design: Design, number: int, owner: Any) -> Run:
    revision = design.revisions.get(number=number)
    return Run.objects.create(
        revision=revision,
        owner=owner,
        scenario_name="steady",
        scenario=validate_scenario({"duration_s": 60}, revision.document),
        status=RunStatus.FINISHED,
    )


def test_others_watch_only_runs_of_the_head(
    alice: Any, bob: Any, alice_client: Client, bob_client: Client, published: Design
) -> None:
    """A run carries its revision's document: an old one's would show the old revision.
    A run's owner keeps watching it: bob ran revision 1 when it was the head."""
    old, head, bobs = (
        run_of(published, 1, alice),
        run_of(published, 2, alice),
        run_of(published, 1, bob),
    )
    for url in ("live:run_detail", "live:run_export_json"):
        assert bob_client.get(reverse(url, args=[old.pk])).status_code == 404
        assert bob_client.get(reverse(url, args=[head.pk])).status_code == 200
        assert bob_client.get(reverse(url, args=[bobs.pk])).status_code == 200
        assert alice_client.get(reverse(url, args=[old.pk])).status_code == 200


def test_the_owner_publishes_a_revision_and_others_see_that_one(
    alice_client: Client,
    bob_client: Client,
    anon_client: Client,
    published: Design,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Published revision 1 (of 2): public and shared readers open, export, fork and run
    it; revision 2 stays the owner's until published (or until "the newest" again)."""
    settings_url = reverse("design_settings", args=[published.pk])
    form = alice_client.get(settings_url).content.decode()
    assert '<option value="1">Revision 1: Created</option>' in form
    data = {"name": published.name, "description": "", "visibility": "public"}
    assert alice_client.post(settings_url, data | {"published_revision": "1"}).status_code == 302
    link = ShareLink.objects.create(design=published)
    monkeypatch.setattr("sandbox.live.views.launch_run", lambda run_id: None)

    assert export(bob_client, published, 2).status_code == 404
    assert json.loads(export(anon_client, published).content)["name"] == "Secret first draft"
    api = bob_client.get(reverse("api_document", args=[published.pk])).json()
    assert api["revision"] == 1
    shared = anon_client.get(reverse("api_shared_document", args=[link.token])).json()
    assert shared["revision"] == 1
    assert b"Secret first draft" in bob_client.get(published.get_absolute_url()).content
    start = {"design": published.pk, "scenario": "steady", "speed": "1"}
    assert bob_client.post(reverse("live:run_new"), start).status_code == 302
    assert Run.objects.get().revision.number == 1
    bob_client.post(reverse("design_fork", args=[published.pk]))
    fork = Design.objects.get(owner__username="bob")
    assert fork.latest_revision().document["name"] == "Secret first draft"
    owner_api = alice_client.get(reverse("api_document", args=[published.pk])).json()
    assert owner_api["revision"] == 2, "the owner's editor works on the newest"

    assert alice_client.post(settings_url, data | {"published_revision": ""}).status_code == 302
    assert json.loads(export(bob_client, published).content)["name"] == "Published version"


def test_a_revision_that_does_not_exist_cannot_be_published(
    alice_client: Client, published: Design
) -> None:
    url = reverse("design_settings", args=[published.pk])
    data = {"name": published.name, "description": "", "visibility": "public"}
    response = alice_client.post(url, data | {"published_revision": "9"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    published.refresh_from_db()
    assert published.published_revision is None
