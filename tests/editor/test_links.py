"""Links: drawn with the handle, refused on the spot when the catalog forbids them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from simulation import link_problem

pytestmark = pytest.mark.django_db(transaction=True)

THREE = {
    "format": 1,
    "components": [
        {"id": "users", "kind": "client", "label": "Users", "x": 100, "y": 200, "params": {}},
        {"id": "lb", "kind": "load_balancer", "x": 300, "y": 200, "params": {}},
        {"id": "db", "kind": "database", "x": 500, "y": 200, "params": {}},
    ],
    "links": [],
}


def test_a_valid_link_is_drawn_from_the_handle(make_design, open_editor) -> None:
    """Dragging the handle of the users onto the load balancer links them."""
    editor = open_editor(make_design(THREE))
    editor.link("users", "lb")
    editor.page.wait_for_function("() => window.sandboxEditor.doc.links.length === 1")
    assert editor.links() == [("users", "lb")]
    assert editor.doc()["links"][0]["params"] == {"latency_ms": 0}
    editor.shot("link-valid")


def test_a_forbidden_link_is_refused_with_the_reason(make_design, open_editor) -> None:
    """A load balancer cannot send requests to a database: no link, and a message says why."""
    assert link_problem("load_balancer", "database") is not None
    editor = open_editor(make_design(THREE))
    editor.link("lb", "db")
    toast = editor.page.locator("[data-editor-toast]")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("a load balancer cannot send requests to a database")
    expect(toast).to_have_attribute("data-refused", "db")
    editor.shot("link-refused")
    assert editor.links() == []
    # Back to a client: refused too, with the engine's reason.
    editor.link("lb", "users")
    expect(toast).to_contain_text("clients only send requests")
    assert editor.links() == []


def test_the_latency_of_a_link_is_edited_in_its_panel(make_design, open_editor) -> None:
    """Select a link, type a latency: the link carries it and shows it on the canvas."""
    doc = {**THREE, "links": [{"from": "users", "to": "lb"}]}
    editor = open_editor(make_design(doc))
    ux, uy = editor.node_point("users")
    lx, ly = editor.node_point("lb")
    editor.page.mouse.click((ux + lx) / 2, (uy + ly) / 2)
    editor.properties_loaded_for("users->lb")
    field = editor.page.locator("#prop-latency_ms")
    field.fill("-3")
    expect(editor.page.locator("#prop-latency_ms-error")).to_contain_text("must be a number")
    assert editor.doc()["links"][0].get("params", {}).get("latency_ms") in (None, 0)
    field.fill("25")
    editor.page.wait_for_function(
        "() => window.sandboxEditor.doc.links[0].params?.latency_ms === 25"
    )
    expect(editor.page.locator("#prop-latency_ms-error")).to_be_empty()
    label = editor.page.evaluate(
        "() => window.sandboxEditor.editor.cy.getElementById('users->lb').data('label')"
    )
    assert label == "25 ms"
    editor.shot("link-latency")
