"""Saving through the API: an autosave burst keeps one revision, an unchanged save makes
none, and optimistic concurrency holds for rewritten revisions too."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sandbox.live.models import Run
from sandbox.models import AUTOSAVE_BURST, Design, StaleRevisionError


def _post(client: Client, design: Design, body: dict[str, Any]) -> Any:
    url = reverse("api_document", args=[design.pk])
    return client.post(url, json.dumps(body), content_type="application/json")


def _scaled(document: dict[str, Any], instances: int) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    changed["components"][2]["params"]["instances"] = instances
    return changed


def _autosave(client: Client, design: Design, document: dict[str, Any], **base: int) -> Any:
    base.setdefault("base_revision", 1)
    return _post(client, design, {**base, "document": document, "autosave": True})


def _age_head(design: Design, by: Any) -> None:
    """Pretend the newest revision's last save happened `by` ago (no sleeping)."""
    design.refresh_from_db()
    design.revisions.filter(number=design.head).update(saved_at=timezone.now() - by)


def test_a_burst_of_autosaves_keeps_one_revision_with_the_newest_document(
    alice_client: Client, design: Design, document: dict[str, Any]
) -> None:
    answers = [
        _autosave(alice_client, design, _scaled(document, n), base_revision=1 if n == 3 else 2)
        for n in (3, 4, 5, 6)
    ]
    assert [a.status_code for a in answers] == [200] * 4
    assert [(a.json()["revision"], a.json()["saves"]) for a in answers] == [
        (2, 1),
        (2, 2),
        (2, 3),
        (2, 4),
    ]
    design.refresh_from_db()
    assert design.head == 2
    assert design.revisions.count() == 2
    burst = design.latest_revision()
    assert burst.document == _scaled(document, 6)
    assert burst.autosave
    assert design.revisions.get(number=1).document == document


def test_an_autosave_after_the_burst_window_starts_a_new_revision(
    alice_client: Client, design: Design, document: dict[str, Any]
) -> None:
    assert _autosave(alice_client, design, _scaled(document, 3)).json()["revision"] == 2
    _age_head(design, AUTOSAVE_BURST + timedelta(seconds=1))
    response = _autosave(alice_client, design, _scaled(document, 4), base_revision=2)
    assert response.json() == {"revision": 3, "saves": 1, "changed": True}
    assert design.revisions.get(number=2).document == _scaled(document, 3)


def test_a_burst_measures_its_window_from_its_last_change(
    alice_client: Client, design: Design, document: dict[str, Any]
) -> None:
    """A burst longer than the window goes on while its autosaves keep coming."""
    _autosave(alice_client, design, _scaled(document, 3))
    design.revisions.filter(number=2).update(
        created_at=timezone.now() - 10 * AUTOSAVE_BURST,
        saved_at=timezone.now() - AUTOSAVE_BURST / 2,
    )
    response = _autosave(alice_client, design, _scaled(document, 4), base_revision=2)
    assert response.json()["revision"] == 2


def test_an_explicit_save_after_autosaves_makes_a_revision(
    alice_client: Client, design: Design, document: dict[str, Any]
) -> None:
    _autosave(alice_client, design, _scaled(document, 3))
    body = {"base_revision": 2, "base_saves": 1, "document": _scaled(document, 4)}
    response = _post(alice_client, design, {**body, "message": "four web servers"})
    assert response.json() == {"revision": 3, "saves": 1, "changed": True}
    design.refresh_from_db()
    newest = design.latest_revision()
    assert (newest.message, newest.autosave) == ("four web servers", False)
    assert design.revisions.get(number=2).document == _scaled(document, 3)


def test_an_autosave_never_rewrites_an_explicit_save(
    alice_client: Client, design: Design, document: dict[str, Any]
) -> None:
    explicit = _post(alice_client, design, {"base_revision": 1, "document": _scaled(document, 3)})
    assert explicit.json()["revision"] == 2
    response = _autosave(alice_client, design, _scaled(document, 4), base_revision=2)
    assert response.json()["revision"] == 3
    assert design.revisions.get(number=2).document == _scaled(document, 3)


def test_an_unchanged_explicit_save_makes_no_revision_and_says_why(
    alice_client: Client, design: Design, document: dict[str, Any]
) -> None:
    response = _post(alice_client, design, {"base_revision": 1, "document": document})
    assert response.status_code == 200
    assert response.json() == {
        "revision": 1,
        "saves": 1,
        "changed": False,
        "detail": "Nothing changed since revision 1.",
    }
    design.refresh_from_db()
    assert (design.head, design.revisions.count()) == (1, 1)


def test_an_unchanged_explicit_save_ends_the_burst_and_names_its_revision(
    alice_client: Client, design: Design, document: dict[str, Any]
) -> None:
    """The autosave already stored the work: Save keeps that revision from being rewritten
    and gives it the message, instead of making a copy of it."""
    _autosave(alice_client, design, _scaled(document, 3))
    body = {"base_revision": 2, "document": _scaled(document, 3), "message": "three servers"}
    response = _post(alice_client, design, body)
    assert response.json()["changed"] is False
    assert response.json()["revision"] == 2
    kept = design.revisions.get(number=2)
    assert (kept.autosave, kept.message) == (False, "three servers")
    later = _autosave(alice_client, design, _scaled(document, 4), base_revision=2)
    assert later.json()["revision"] == 3
    assert design.revisions.get(number=2).document == _scaled(document, 3)


def test_an_unchanged_autosave_makes_no_revision(
    alice_client: Client, design: Design, document: dict[str, Any]
) -> None:
    response = _autosave(alice_client, design, document)
    assert response.json()["changed"] is False
    assert design.revisions.count() == 1


def test_a_conflicting_base_revision_is_still_refused(
    alice_client: Client, design: Design, document: dict[str, Any]
) -> None:
    _post(alice_client, design, {"base_revision": 1, "document": _scaled(document, 3)})
    response = _autosave(alice_client, design, _scaled(document, 4), base_revision=1)
    assert response.status_code == 409
    assert response.json()["current_revision"] == 2
    assert design.revisions.count() == 2


def test_a_burst_rewritten_by_another_tab_is_a_conflict(
    alice_client: Client, design: Design, document: dict[str, Any]
) -> None:
    """Two tabs on revision 2: the second tab's save, based on the first state of the
    burst, would silently undo the first tab's autosave; it is refused instead."""
    _autosave(alice_client, design, _scaled(document, 3))
    first_tab = _autosave(alice_client, design, _scaled(document, 4), base_revision=2, base_saves=1)
    assert first_tab.json()["saves"] == 2
    second_tab = _autosave(
        alice_client, design, _scaled(document, 5), base_revision=2, base_saves=1
    )
    assert second_tab.status_code == 409
    assert second_tab.json() == {"error": "conflict", "current_revision": 2, "current_saves": 2}
    assert design.revisions.get(number=2).document == _scaled(document, 4)


def test_it_rejects_a_bad_autosave_flag_and_names_it_among_the_fields(
    alice_client: Client, design: Design, document: dict[str, Any]
) -> None:
    body = {"base_revision": 1, "document": document, "autosave": "yes", "base_saves": -1}
    response = _post(alice_client, design, {**body, "extra": 1})
    assert response.status_code == 422
    errors = {e["path"]: e["message"] for e in response.json()["errors"]}
    assert errors["autosave"] == "must be true or false"
    assert errors["base_saves"] == "must be a whole number of at least 0"
    assert errors["extra"] == (
        "unknown field; use base_revision, base_saves, document, message, autosave"
    )
    assert design.revisions.count() == 1


def test_an_autosave_never_rewrites_the_published_revision(
    alice_client: Client, design: Design, document: dict[str, Any]
) -> None:
    _autosave(alice_client, design, _scaled(document, 3))
    design.published_revision = 2
    design.save(update_fields=["published_revision"])
    response = _autosave(alice_client, design, _scaled(document, 4), base_revision=2)
    assert response.json()["revision"] == 3
    assert design.revisions.get(number=2).document == _scaled(document, 3)


def test_an_autosave_never_rewrites_a_revision_a_run_used(
    alice: Any, alice_client: Client, design: Design, document: dict[str, Any]
) -> None:
    _autosave(alice_client, design, _scaled(document, 3))
    Run.objects.create(revision=design.revisions.get(number=2), owner=alice, scenario_name="x")
    response = _autosave(alice_client, design, _scaled(document, 4), base_revision=2)
    assert response.json()["revision"] == 3
    assert design.revisions.get(number=2).document == _scaled(document, 3)


def test_another_authors_autosave_starts_its_own_revision(
    alice: Any, bob: Any, design: Design, document: dict[str, Any]
) -> None:
    design.save_document(_scaled(document, 3), author=alice, base_revision=1, autosave=True)
    outcome = design.save_document(_scaled(document, 4), author=bob, base_revision=2, autosave=True)
    assert (outcome.action, outcome.revision.number) == ("created", 3)


def test_a_stale_base_saves_is_refused_by_the_model(
    alice: Any, design: Design, document: dict[str, Any]
) -> None:
    design.save_document(_scaled(document, 3), author=alice, base_revision=1, autosave=True)
    design.save_document(_scaled(document, 4), author=alice, base_revision=2, autosave=True)
    with pytest.raises(StaleRevisionError) as caught:
        design.save_document(_scaled(document, 5), author=alice, base_revision=2, base_saves=1)
    assert (caught.value.current_revision, caught.value.current_saves) == (2, 2)


def test_the_editor_page_gives_the_saves_of_its_revision(
    alice_client: Client, design: Design, document: dict[str, Any]
) -> None:
    _autosave(alice_client, design, _scaled(document, 3))
    _autosave(alice_client, design, _scaled(document, 4), base_revision=2)
    response = alice_client.get(reverse("design_detail", args=[design.pk]))
    assert 'data-saves="2"' in response.text
    assert alice_client.get(reverse("api_document", args=[design.pk])).json()["saves"] == 2
