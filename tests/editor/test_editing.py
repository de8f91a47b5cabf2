"""Editing on the canvas: delete, undo/redo, copy/paste, multi-select, data centres."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

TIER = {
    "format": 1,
    "components": [
        {"id": "lb", "kind": "load_balancer", "x": 100, "y": 200},
        {"id": "web-1", "kind": "web_server", "x": 300, "y": 120},
        {"id": "web-2", "kind": "web_server", "x": 300, "y": 280},
    ],
    "links": [{"from": "lb", "to": "web-1"}, {"from": "lb", "to": "web-2"}],
}


def test_delete_undo_redo_with_the_keyboard(make_design, open_editor) -> None:
    """Delete removes a component and its links; Ctrl+Z brings both back, Ctrl+Shift+Z again."""
    editor = open_editor(make_design(TIER))
    editor.select_only("web-1")
    editor.press("Delete")
    assert editor.component_ids() == ["lb", "web-2"]
    assert editor.links() == [("lb", "web-2")]
    editor.press("Control+z")
    assert editor.component_ids() == ["lb", "web-1", "web-2"]
    assert editor.links() == [("lb", "web-1"), ("lb", "web-2")]
    count = editor.page.evaluate("() => window.sandboxEditor.editor.cy.elements().length")
    assert count == 5
    editor.press("Control+Shift+z")
    assert editor.component_ids() == ["lb", "web-2"]
    # The toolbar buttons do the same.
    editor.page.get_by_role("button", name="Undo").click()
    assert "web-1" in editor.component_ids()
    editor.page.get_by_role("button", name="Redo").click()
    assert "web-1" not in editor.component_ids()


def test_undo_walks_back_every_step(make_design, open_editor) -> None:
    """Many changes in a row are undone one by one back to the start (no cap)."""
    editor = open_editor(make_design(TIER))
    start = editor.doc()
    editor.select_only("web-2")
    for _ in range(25):
        editor.page.keyboard.press("ArrowRight")
    assert editor.component("web-2")["x"] == 300 + 25 * 20
    for _ in range(25):
        editor.page.keyboard.press("Control+z")
    assert editor.doc() == start
    expect(editor.page.get_by_role("button", name="Undo")).to_be_disabled()


def test_box_and_shift_click_select_many_then_copy_paste(make_design, open_editor) -> None:
    """Shift-click adds to the selection; a shift-drag box selects; paste gives fresh ids."""
    editor = open_editor(make_design(TIER))
    editor.select_only("web-1")
    editor.click_node("web-2", shift=True)
    assert sorted(editor.selected()) == ["web-1", "web-2"]
    expect(editor.page.locator(".selection-summary__count")).to_have_text("2 components selected")
    editor.press("Escape")
    # A box around both web servers (shift + drag on the background).
    x1, y1 = editor.node_point("web-1")
    x2, y2 = editor.node_point("web-2")
    editor.page.keyboard.down("Shift")
    editor.page.mouse.move(x1 - 60, y1 - 60)
    editor.page.mouse.down()
    editor.page.mouse.move(x2 + 60, y2 + 60, steps=8)
    editor.page.mouse.up()
    editor.page.keyboard.up("Shift")
    assert sorted(n for n in editor.selected() if "->" not in n) == ["web-1", "web-2"]
    editor.page.keyboard.press("Control+c")
    editor.page.keyboard.press("Control+v")
    assert editor.component_ids() == ["lb", "web-1", "web-2", "web-3", "web-4"]
    assert sorted(editor.selected()) == ["web-3", "web-4"]
    assert editor.component("web-3")["x"] == editor.component("web-1")["x"] + 40


def test_moving_a_node_moves_nothing_else(make_design, open_editor) -> None:
    """Dragging one node changes its own position (snapped) and no other."""
    editor = open_editor(make_design(TIER))
    before = {c["id"]: (c["x"], c["y"]) for c in editor.doc()["components"]}
    editor.drag_node("web-1", 90, 37)
    after = {c["id"]: (c["x"], c["y"]) for c in editor.doc()["components"]}
    assert after["lb"] == before["lb"]
    assert after["web-2"] == before["web-2"]
    assert after["web-1"] != before["web-1"]
    assert after["web-1"][0] % 20 == 0
    assert after["web-1"][1] % 20 == 0


def test_components_group_into_a_data_centre_and_move_with_it(make_design, open_editor) -> None:
    """Group puts the selection in a new data centre; dragging it moves the members;
    dragging a member out takes it out; dragging it back in puts it back."""
    editor = open_editor(make_design(TIER))
    editor.select_only("web-1")
    editor.click_node("web-2", shift=True)
    editor.page.get_by_role("button", name="Group", exact=True).click()
    editor.page.wait_for_function(
        "() => window.sandboxEditor.doc.components.some(c => c.kind === 'datacenter')"
    )
    assert editor.component("web-1")["parent"] == "dc-1"
    assert editor.component("web-2")["parent"] == "dc-1"
    editor.shot("group-made")

    # Move the data centre by its border area: members follow.
    before = editor.component("web-1")["x"], editor.component("web-2")["x"]
    box = editor.page.evaluate(
        "() => { const b = window.sandboxEditor.editor.cy.getElementById('dc-1')"
        ".renderedBoundingBox({includeLabels: false}); return {x1: b.x1, y1: b.y1}; }"
    )
    canvas = editor.canvas_box()
    gx, gy = canvas["x"] + box["x1"] + 10, canvas["y"] + box["y1"] + 10
    editor.page.mouse.move(gx, gy)
    editor.page.mouse.down()
    editor.page.mouse.move(gx + 100, gy, steps=10)
    editor.page.mouse.up()
    editor.page.wait_for_timeout(200)
    after = editor.component("web-1")["x"], editor.component("web-2")["x"]
    assert after[0] - before[0] == pytest.approx(100, abs=20)
    assert after[1] - before[1] == pytest.approx(100, abs=20)

    # Drag web-2 far out of the data centre: it leaves.
    editor.drag_node("web-2", 0, 170)
    assert "parent" not in editor.component("web-2")
    editor.shot("group-member-out")
    # And back in.
    x1, y1 = editor.node_point("web-1")
    x2, y2 = editor.node_point("web-2")
    editor.drag_node("web-2", x1 - x2 + 5, y1 - y2 + 50)
    assert editor.component("web-2")["parent"] == "dc-1"
    # Undo takes it out again.
    editor.press("Control+z")
    assert "parent" not in editor.component("web-2")


def test_a_kind_dropped_on_a_data_centre_joins_it(make_design, open_editor) -> None:
    doc = {
        "format": 1,
        "components": [
            {"id": "dc-east", "kind": "datacenter", "x": 300, "y": 200},
            {"id": "web-1", "kind": "web_server", "parent": "dc-east", "x": 300, "y": 200},
        ],
        "links": [],
    }
    editor = open_editor(make_design(doc))
    canvas = editor.canvas_box()
    x, y = editor.node_point("web-1")
    cid = editor.drag_kind("cache", x - canvas["x"] + 10, y - canvas["y"] + 15)
    assert editor.component(cid)["parent"] == "dc-east"
    # Ungroup takes the selection out again.
    editor.page.get_by_role("button", name="Ungroup").click()
    assert "parent" not in editor.component(cid)


def test_link_and_delete_without_a_mouse_drag(make_design, open_editor) -> None:
    """Select sender then receiver, Ctrl+L links them; the Delete button removes a link."""
    editor = open_editor(make_design(TIER))
    editor.select_only("web-1")
    editor.click_node("web-2", shift=True)
    editor.page.keyboard.press("Control+l")
    assert ("web-1", "web-2") not in editor.links()  # a web server may not call another
    expect(editor.page.locator("[data-editor-toast]")).to_contain_text("cannot send requests")
    editor.press("Escape")
    editor.page.evaluate(
        # Braces: returning the collection would make Playwright serialise the whole graph.
        "() => { window.sandboxEditor.editor.cy.getElementById('lb->web-1').select(); }"
    )
    toolbar = editor.page.locator(".editor__toolbar")
    toolbar.get_by_role("button", name="Delete", exact=True).click()
    assert editor.links() == [("lb", "web-2")]
    editor.select_only("lb")
    editor.click_node("web-1", shift=True)
    editor.page.keyboard.press("Control+l")
    assert ("lb", "web-1") in editor.links()


def test_a_keyboard_alone_builds_and_links(make_design, open_editor) -> None:
    """Enter adds from the palette, N/Shift+N select on the canvas, Ctrl+L links, F2 renames."""
    editor = open_editor(make_design())
    page = editor.page
    page.locator('.palette__item[data-kind="load_balancer"]').focus()
    page.keyboard.press("Enter")
    page.locator('.palette__item[data-kind="web_server"]').focus()
    page.keyboard.press("Enter")
    assert editor.component_ids() == ["lb-1", "web-1"]
    page.locator("[data-editor-canvas]").focus()
    page.keyboard.press("n")
    assert editor.selected() == ["lb-1"]
    page.keyboard.press("Shift+n")
    assert sorted(editor.selected()) == ["lb-1", "web-1"]
    page.keyboard.press("Control+l")
    assert editor.links() == [("lb-1", "web-1")]
    page.keyboard.press("Escape")
    page.keyboard.press("p")
    assert editor.selected() == ["web-1"]
    page.keyboard.press("F2")
    rename = page.locator("[data-editor-rename]")
    expect(rename).to_be_focused()
    page.keyboard.type("Web tier")
    page.keyboard.press("Enter")
    assert editor.component("web-1")["label"] == "Web tier"
    before = editor.component("web-1")["y"]
    page.keyboard.press("ArrowDown")
    assert editor.component("web-1")["y"] == before + 20
