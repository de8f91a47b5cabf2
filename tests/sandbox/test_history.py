"""Revision history: the list, the diff summary between two revisions, restore."""

from __future__ import annotations

import copy
from typing import Any

from django.test import Client
from django.urls import reverse

from sandbox.models import Design


def _edit(design: Design, author: Any, document: dict[str, Any], message: str) -> None:
    design.add_revision(copy.deepcopy(document), author=author, message=message)


def _three_revisions(design: Design, alice: Any, document: dict[str, Any]) -> None:
    document["components"].append({"id": "cache", "kind": "cache", "x": 600, "y": 0})
    document["links"].append({"from": "web", "to": "cache"})
    _edit(design, alice, document, "add a cache")
    document["components"][2]["params"]["instances"] = 6
    document["components"][1]["x"] = 250
    _edit(design, alice, document, "scale out")


def test_it_lists_every_revision(
    alice_client: Client, alice: Any, design: Design, document: dict[str, Any]
) -> None:
    _three_revisions(design, alice, document)
    response = alice_client.get(reverse("design_history", args=[design.pk]))
    assert response.status_code == 200
    assert [r.number for r in response.context["revisions"]] == [3, 2, 1]
    assert "add a cache" in response.text
    assert "scale out" in response.text


def test_it_summarises_the_last_change_by_default(
    alice_client: Client, alice: Any, design: Design, document: dict[str, Any]
) -> None:
    _three_revisions(design, alice, document)
    response = alice_client.get(reverse("design_history", args=[design.pk]))
    diff = response.context["diff"]
    assert (response.context["a"], response.context["b"]) == (2, 3)
    assert [(c.id, c.fields) for c in diff.changed] == [("web", ["params.instances"])]
    assert diff.moved == ["lb"]
    assert "~ <strong>web</strong> · instances: 2 → 6" in response.text


def test_it_compares_any_two_revisions(
    alice_client: Client, alice: Any, design: Design, document: dict[str, Any]
) -> None:
    _three_revisions(design, alice, document)
    response = alice_client.get(reverse("design_history", args=[design.pk]), {"a": 1, "b": 3})
    diff = response.context["diff"]
    assert diff.added == ["cache"]
    assert diff.links_added == ["web → cache"]
    assert "component <strong>cache</strong> added" in response.text


def test_it_answers_htmx_with_the_diff_only(
    alice_client: Client, alice: Any, design: Design, document: dict[str, Any]
) -> None:
    _three_revisions(design, alice, document)
    response = alice_client.get(
        reverse("design_history", args=[design.pk]),
        {"a": 3, "b": 1},
        headers={"HX-Request": "true", "HX-Target": "diff"},
    )
    assert response.text.lstrip().startswith('<div id="diff"')
    assert "component <strong>cache</strong> removed" in response.text


def test_it_names_a_missing_revision(alice_client: Client, design: Design) -> None:
    response = alice_client.get(reverse("design_history", args=[design.pk]), {"a": 1, "b": 9})
    assert response.status_code == 400
    assert "There is no revision 9" in response.text


def test_it_explains_a_malformed_comparison(alice_client: Client, design: Design) -> None:
    response = alice_client.get(reverse("design_history", args=[design.pk]), {"a": "x", "b": ""})
    assert response.status_code == 400
    assert "Pick two revision numbers" in response.text


def test_it_restores_as_a_new_revision(
    alice_client: Client, alice: Any, design: Design, document: dict[str, Any]
) -> None:
    original = copy.deepcopy(design.latest_revision().document)
    _three_revisions(design, alice, document)
    response = alice_client.post(reverse("revision_restore", args=[design.pk, 1]), follow=True)
    assert "Restored revision 1 as the new revision 4" in response.text
    design.refresh_from_db()
    assert design.head == 4
    assert design.latest_revision().document == original
    assert design.latest_revision().message == "Restored revision 1"
    assert design.revisions.get(number=3).document["components"][2]["params"]["instances"] == 6


def test_it_answers_404_for_restoring_a_missing_revision(
    alice_client: Client, design: Design
) -> None:
    assert alice_client.post(reverse("revision_restore", args=[design.pk, 7])).status_code == 404
    design.refresh_from_db()
    assert design.head == 1


def test_it_refuses_to_restore_a_revision_that_no_longer_validates(
    alice_client: Client, alice: Any, design: Design, invalid_document: dict[str, Any]
) -> None:
    # Stored before a stricter validator: restoring must not write it back unchecked.
    design.add_revision(invalid_document, author=alice, message="legacy")
    response = alice_client.post(reverse("revision_restore", args=[design.pk, 2]), follow=True)
    assert "no longer passes validation" in response.text
    design.refresh_from_db()
    assert design.head == 2


def test_the_diff_shows_old_and_new_values_with_the_names_the_owner_gave(
    alice_client: Client, alice: Any, design: Design, document: dict[str, Any]
) -> None:
    document["components"][2]["label"] = "Web tier"
    document["components"][2]["params"]["instances"] = 3
    _edit(design, alice, document, "name the web tier")
    document["components"][2]["params"]["instances"] = 6
    document["links"][1]["params"] = {"latency_ms": 80}
    _edit(design, alice, document, "scale out")
    response = alice_client.get(
        reverse("design_history", args=[design.pk]),
        headers={"HX-Request": "true", "HX-Target": "diff"},
    )
    assert "~ <strong>Web tier</strong> · instances: 3 → 6" in response.text
    assert "~ link lb → Web tier · latency_ms: 0.0 (default) → 80" in response.text
    assert "<strong>web</strong>" not in response.text


def test_it_marks_a_revision_an_autosave_burst_rewrote(
    alice_client: Client, alice: Any, design: Design, document: dict[str, Any]
) -> None:
    for instances in (3, 4, 5):
        document["components"][2]["params"]["instances"] = instances
        design.save_document(
            copy.deepcopy(document),
            author=alice,
            base_revision=2 if instances > 3 else 1,
            autosave=True,
        )
    response = alice_client.get(reverse("design_history", args=[design.pk]))
    assert [r.number for r in response.context["revisions"]] == [2, 1]
    assert "autosaved 3 times" in response.text
    assert response.text.count('data-testid="autosaved"') == 1
