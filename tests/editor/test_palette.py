"""Adding components: drag every kind from the palette; keyboard alternative."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from simulation import catalog

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_kind_drags_from_the_palette_to_the_drop_point(make_design, open_editor) -> None:
    """Each kind of the catalog lands where it is dropped, with a readable id and defaults."""
    editor = open_editor(make_design())
    kinds = list(catalog()["kinds"])
    placed = {}
    for i, kind in enumerate(kinds):
        x, y = 80 + (i % 4) * 130, 70 + (i // 4) * 140
        placed[kind] = (editor.drag_kind(kind, x, y), x, y)
    editor.press("Escape")
    editor.shot("palette-every-kind")
    doc = editor.doc()
    by_id = {c["id"]: c for c in doc["components"]}
    assert sorted(c["kind"] for c in doc["components"]) == sorted(kinds)
    for kind, (cid, x, y) in placed.items():
        c = by_id[cid]
        assert c["kind"] == kind
        # Drop point in model coordinates = canvas pixels at zoom 1, snapped to a 20 px grid.
        assert abs(c["x"] - x) <= 10, (kind, c, x)
        assert abs(c["y"] - y) <= 10, (kind, c, y)
    assert placed["web_server"][0] == "web-1"
    assert by_id["web-1"]["params"]["instances"] == 1
    assert placed["load_balancer"][0] == "lb-1"


def test_a_kind_is_added_from_the_keyboard(make_design, open_editor) -> None:
    """Tab to a palette entry and press Enter: the kind appears in the view and is selected."""
    editor = open_editor(make_design())
    item = editor.page.locator('.palette__item[data-kind="cache"]')
    item.focus()
    editor.page.keyboard.press("Enter")
    editor.page.keyboard.press("Enter")
    editor.page.wait_for_function("() => window.sandboxEditor.doc.components.length === 2")
    ids = editor.component_ids()
    assert ids == ["cache-1", "cache-2"]
    a, b = (editor.component(i) for i in ids)
    assert (a["x"], a["y"]) != (b["x"], b["y"]), "the second one must not hide the first"
    assert editor.selected() == ["cache-2"]
    expect(editor.page.locator(".palette__help")).to_contain_text("hit ratio")
