"""Designs and revisions: every save a new revision, stale bases refused, limits kept."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.models import Design, DesignLimitError, Revision, StaleRevisionError


def test_every_save_makes_a_revision(alice: Any, design: Design, document: dict[str, Any]) -> None:
    first = design.latest_revision()
    second = design.add_revision(document, author=alice, base_revision=1, message="again")
    assert (first.number, second.number) == (1, 2)
    design.refresh_from_db()
    assert design.head == 2
    assert design.revisions.count() == 2
    first.refresh_from_db()
    assert first.document == document


def test_a_stale_base_is_refused_and_nothing_written(
    alice: Any, design: Design, document: dict[str, Any]
) -> None:
    design.add_revision(document, author=alice, base_revision=1)
    with pytest.raises(StaleRevisionError) as caught:
        design.add_revision(document, author=alice, base_revision=1)
    assert caught.value.current_revision == 2
    assert design.revisions.count() == 2


def test_a_stale_in_memory_design_still_checks_the_database(
    alice: Any, design: Design, document: dict[str, Any]
) -> None:
    """Two requests holding the same row: the second save sees the first one's revision."""
    other_copy = Design.objects.get(pk=design.pk)
    design.add_revision(document, author=alice, base_revision=1)
    with pytest.raises(StaleRevisionError):
        other_copy.add_revision(document, author=alice, base_revision=1)


def test_the_design_limit_is_per_user(
    alice: Any, bob: Any, document: dict[str, Any], settings: Any
) -> None:
    settings.SANDBOX_MAX_DESIGNS_PER_USER = 1
    Design.create_with_document(owner=alice, name="a", document=document, message="")
    with pytest.raises(DesignLimitError, match="you already have 1 designs"):
        Design.create_with_document(owner=alice, name="b", document=document, message="")
    Design.create_with_document(owner=bob, name="b", document=document, message="")
    assert Design.objects.count() == 2


def test_a_number_taken_by_a_concurrent_save_is_refused_as_stale(
    alice: Any, design: Design, document: dict[str, Any]
) -> None:
    """Without row locks (SQLite), the unique revision number still stops a lost update."""
    Revision.objects.create(design=design, number=2, document=document, author=alice)
    with pytest.raises(StaleRevisionError) as caught:
        design.add_revision(document, author=alice, base_revision=1, lock=False)
    assert caught.value.current_revision == 2
    assert design.revisions.count() == 2
