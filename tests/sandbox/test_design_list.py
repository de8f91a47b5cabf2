"""My designs: list, search, sort, new, rename inline, duplicate, delete with confirmation."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sandbox.models import Design

HTMX = {"HX-Request": "true"}


def _make(owner: Any, name: str, document: dict[str, Any], description: str = "") -> Design:
    return Design.create_with_document(
        owner=owner, name=name, description=description, document=document, message="Created"
    )


def test_it_lists_my_designs(alice_client: Client, design: Design) -> None:
    response = alice_client.get(reverse("design_list"))
    assert response.status_code == 200
    assert design.name in response.text
    assert reverse("design_detail", args=[design.pk]) in response.text


def test_it_searches_names_and_descriptions(
    alice_client: Client, alice: Any, document: dict[str, Any]
) -> None:
    _make(alice, "Payments", document)
    _make(alice, "Search cluster", document, description="Elastic behind a balancer")
    _make(alice, "Chat", document)
    response = alice_client.get(reverse("design_list"), {"q": "balancer"})
    assert "Search cluster" in response.text
    assert "Payments" not in response.text
    response = alice_client.get(reverse("design_list"), {"q": "pay"})
    assert "Payments" in response.text
    assert "Chat" not in response.text


def test_it_says_when_nothing_matches(alice_client: Client, design: Design) -> None:
    response = alice_client.get(reverse("design_list"), {"q": "zebra"})
    assert "No design matches “zebra”" in response.text


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("name", ["Alpha", "Bravo", "Charlie"]), ("created", ["Bravo", "Charlie", "Alpha"])],
)
def test_it_sorts(
    alice_client: Client, alice: Any, document: dict[str, Any], sort: str, expected: list[str]
) -> None:
    for name in ("Alpha", "Charlie", "Bravo"):
        _make(alice, name, document)
    response = alice_client.get(reverse("design_list"), {"sort": sort})
    assert [d.name for d in response.context["designs"]] == expected


def test_it_sorts_by_last_change_by_default(
    alice_client: Client, alice: Any, document: dict[str, Any]
) -> None:
    first = _make(alice, "First", document)
    _make(alice, "Second", document)
    first.add_revision(document, author=alice, message="touch")
    names = [d.name for d in alice_client.get(reverse("design_list")).context["designs"]]
    assert names == ["First", "Second"]


def test_it_ignores_an_unknown_sort(alice_client: Client, design: Design) -> None:
    response = alice_client.get(reverse("design_list"), {"sort": "drop table"})
    assert response.status_code == 200
    assert response.context["sort"] == "updated"


def test_it_answers_htmx_with_the_table_only(alice_client: Client, design: Design) -> None:
    response = alice_client.get(
        reverse("design_list"), {"q": "check"}, headers={**HTMX, "HX-Target": "design-table"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="design-table"')
    assert "<html" not in response.text
    assert design.name in response.text


def test_it_creates_a_blank_design(alice_client: Client, alice: Any) -> None:
    response = alice_client.post(reverse("design_create"), {"name": "  Fresh idea "})
    design = Design.objects.get(owner=alice)
    assert response.url == reverse("design_detail", args=[design.pk])
    assert design.name == "Fresh idea"
    assert design.latest_revision().document["components"] == []


def test_it_refuses_a_nameless_design(alice_client: Client, alice: Any) -> None:
    response = alice_client.post(reverse("design_create"), {"name": "   "}, follow=True)
    assert not Design.objects.filter(owner=alice).exists()
    assert "needs a name" in response.text


def test_it_stops_at_the_per_user_design_limit(
    alice_client: Client, design: Design, settings: Any
) -> None:
    settings.SANDBOX_MAX_DESIGNS_PER_USER = 1
    response = alice_client.post(reverse("design_create"), {"name": "One more"}, follow=True)
    assert Design.objects.filter(owner=design.owner).count() == 1
    assert "you already have 1 designs" in response.text.lower()


def test_it_opens_the_inline_rename_form(alice_client: Client, design: Design) -> None:
    response = alice_client.get(reverse("design_rename", args=[design.pk]), headers=HTMX)
    assert response.status_code == 200
    assert f'id="design-{design.pk}"' in response.text
    assert 'name="name"' in response.text
    assert "<html" not in response.text


def test_it_renames_inline(alice_client: Client, design: Design) -> None:
    response = alice_client.post(
        reverse("design_rename", args=[design.pk]), {"name": "Checkout v2"}, headers=HTMX
    )
    assert response.status_code == 200
    assert "Checkout v2" in response.text
    assert 'data-testid="design-row"' in response.text
    design.refresh_from_db()
    assert design.name == "Checkout v2"


def test_it_renames_without_javascript(alice_client: Client, design: Design) -> None:
    response = alice_client.post(reverse("design_rename", args=[design.pk]), {"name": "Plain"})
    assert response.url == reverse("design_list")
    design.refresh_from_db()
    assert design.name == "Plain"


def test_it_keeps_the_name_on_a_bad_rename(alice_client: Client, design: Design) -> None:
    response = alice_client.post(
        reverse("design_rename", args=[design.pk]), {"name": "x" * 121}, headers=HTMX
    )
    assert response.status_code == 200
    assert "at most 120 characters" in response.text
    design.refresh_from_db()
    assert design.name == "Checkout service"


def test_it_cancels_a_rename_with_the_row(alice_client: Client, design: Design) -> None:
    response = alice_client.get(reverse("design_row", args=[design.pk]), headers=HTMX)
    assert 'data-testid="design-row"' in response.text


def test_it_duplicates_with_a_fresh_history(
    alice_client: Client, alice: Any, design: Design, document: dict[str, Any]
) -> None:
    design.add_revision(document, author=alice, message="second")
    response = alice_client.post(reverse("design_duplicate", args=[design.pk]))
    assert response.status_code == 302
    copy = Design.objects.get(name="Copy of Checkout service")
    assert copy.owner == alice
    assert copy.head == 1
    assert copy.latest_revision().document == design.latest_revision().document
    assert "revision 2" in copy.latest_revision().message


def test_it_asks_before_deleting(alice_client: Client, design: Design) -> None:
    page = alice_client.get(reverse("design_delete", args=[design.pk]))
    assert page.status_code == 200
    assert "cannot be undone" in page.text
    inline = alice_client.get(reverse("design_delete", args=[design.pk]), headers=HTMX)
    assert "Delete for good" in inline.text
    assert "<html" not in inline.text
    assert Design.objects.filter(pk=design.pk).exists()


def test_it_deletes_with_its_history(alice_client: Client, design: Design) -> None:
    response = alice_client.post(reverse("design_delete", args=[design.pk]))
    assert response.url == reverse("design_list")
    assert not Design.objects.filter(pk=design.pk).exists()
    assert not design.revisions.exists()


def test_it_deletes_inline_with_an_empty_row(alice_client: Client, design: Design) -> None:
    response = alice_client.post(reverse("design_delete", args=[design.pk]), headers=HTMX)
    assert response.status_code == 200
    assert response.content == b""
    assert not Design.objects.filter(pk=design.pk).exists()


def test_a_rename_counts_as_a_change(
    alice_client: Client, alice: Any, document: dict[str, Any]
) -> None:
    first = _make(alice, "First", document)
    _make(alice, "Second", document)
    alice_client.post(reverse("design_rename", args=[first.pk]), {"name": "First, renamed"})
    names = [d.name for d in alice_client.get(reverse("design_list")).context["designs"]]
    assert names == ["First, renamed", "Second"]
