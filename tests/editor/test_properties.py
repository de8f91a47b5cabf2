"""The properties panel in the browser: inline errors, nothing saved, good values applied."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sandbox.models import Design

pytestmark = pytest.mark.django_db(transaction=True)

ONE_WEB = {
    "format": 1,
    "components": [
        {
            "id": "web",
            "kind": "web_server",
            "label": "Web",
            "x": 200,
            "y": 200,
            "params": {"instances": 2},
        },
    ],
    "links": [],
}


def test_a_bad_value_shows_an_inline_error_and_is_never_saved(make_design, open_editor) -> None:
    """Instances 5000 is out of range: error beside the field, diagram and server unchanged."""
    design = make_design(ONE_WEB)
    editor = open_editor(design)
    editor.select_only("web")
    editor.properties_loaded_for("web")
    field = editor.page.locator("#prop-instances")
    expect(field).to_have_value("2")
    field.fill("5000")
    error = editor.page.locator("#prop-instances-error")
    expect(error).to_have_text("must be an integer from 1 to 1000")
    expect(field).to_have_attribute("aria-invalid", "true")
    editor.shot("properties-bad-value")
    # Longer than the autosave delay: still nothing to save, nothing saved.
    editor.page.wait_for_timeout(3500)
    assert editor.component("web")["params"]["instances"] == 2
    design.refresh_from_db()
    assert design.head == 1
    assert editor.status().endswith("revision 1")

    field.fill("4")
    expect(error).to_be_empty()
    editor.page.wait_for_function(
        "() => window.sandboxEditor.doc.components[0].params.instances === 4"
    )
    expect(field).not_to_have_attribute("aria-invalid", "true")
    # The good value autosaves.
    editor.page.wait_for_function(
        "() => document.querySelector('[data-editor-status]').dataset.state === 'saved'"
        " && window.sandboxEditor.saver.revision === 2",
        timeout=10_000,
    )
    latest = Design.objects.get(pk=design.pk).latest_revision()
    assert latest.document["components"][0]["params"]["instances"] == 4


def test_rename_from_the_panel_and_inline(make_design, open_editor) -> None:
    """The name field and a double-click on the node both rename; the label is plain text."""
    editor = open_editor(make_design(ONE_WEB))
    editor.select_only("web")
    editor.properties_loaded_for("web")
    name = editor.page.locator("#prop-label")
    name.fill("<b>Front</b> web")
    name.press("Enter")
    editor.page.wait_for_function(
        "() => window.sandboxEditor.doc.components[0].label === '<b>Front</b> web'"
    )
    x, y = editor.node_point("web")
    editor.page.mouse.dblclick(x, y)
    rename = editor.page.locator("[data-editor-rename]")
    expect(rename).to_be_visible()
    rename.fill("Web tier")
    rename.press("Enter")
    editor.page.wait_for_function(
        "() => window.sandboxEditor.doc.components[0].label === 'Web tier'"
    )
    assert editor.component("web")["id"] == "web"
