"""The problems panel, export (PNG, SVG, JSON) and import of a JSON document."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

DOC = {
    "format": 1,
    "components": [
        {"id": "users", "kind": "client", "label": "Users", "x": 100, "y": 200},
        {"id": "web", "kind": "web_server", "x": 300, "y": 200},
        {"id": "db", "kind": "database", "x": 500, "y": 200},
    ],
    "links": [{"from": "users", "to": "web"}, {"from": "web", "to": "db"}],
}


def test_problems_are_listed_outlined_and_select_their_culprit(make_design, open_editor) -> None:
    """A replica without a primary is a problem: listed, outlined, one click selects it."""
    editor = open_editor(make_design(DOC))
    expect(editor.page.locator("[data-editor-problems]")).to_contain_text("No problems found.")
    replica = editor.drag_kind("database", 500, 60)
    editor.properties_loaded_for(replica)
    editor.page.locator("#prop-role").select_option("replica")
    problem = editor.page.locator("[data-culprit]")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("needs exactly one primary linking to it")
    expect(editor.page.locator("[data-editor-problem-count]")).to_have_text("1")
    outlined = editor.page.evaluate(
        "() => window.sandboxEditor.editor.cy.$('.has-problem').map(e => e.id())"
    )
    assert outlined == [replica]
    editor.press("Escape")
    problem.click()
    assert editor.selected() == [replica]
    editor.shot("problems")
    # Fixing it (link the primary to the replica) clears the list.
    editor.link("db", replica)
    expect(editor.page.locator("[data-editor-problems]")).to_contain_text("No problems found.")


def test_a_warning_is_listed_apart_from_errors_and_blocks_no_save(make_design, open_editor) -> None:
    """Writes past a cache reach no database: a warning in Problems, amber and labelled,
    the web tier outlined dashed; the design still saves."""
    doc = {
        "format": 1,
        "components": [
            {"id": "users", "kind": "client", "label": "Users", "x": 100, "y": 200},
            {"id": "web", "kind": "web_server", "label": "Web", "x": 300, "y": 200},
            {"id": "cache", "kind": "cache", "x": 500, "y": 200},
            {"id": "db", "kind": "database", "x": 700, "y": 200},
        ],
        "links": [
            {"from": "users", "to": "web"},
            {"from": "web", "to": "cache"},
            {"from": "cache", "to": "db"},
        ],
    }
    editor = open_editor(make_design(doc))
    warning = editor.page.locator(".problem--warning [data-culprit]")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("Warning")
    expect(warning).to_contain_text("Writes from 'Users' (id users) never reach a component")
    expect(warning).to_contain_text("link Web to a database")
    count = editor.page.locator("[data-editor-problem-count]")
    expect(count).to_have_text("1")
    expect(count).to_have_class(re.compile("problem-count--warning"))
    warned = editor.page.evaluate(
        "() => window.sandboxEditor.editor.cy.$('.has-warning').map(e => e.id())"
    )
    assert warned == ["web"]
    warning.click()
    assert editor.selected() == ["web"]
    editor.shot("warning")
    # A change to save (a new label, named in the warning); the warning stays.
    editor.properties_loaded_for("web")
    editor.page.locator("#prop-label").fill("Web tier")
    editor.page.locator("#prop-label").press("Enter")
    expect(warning).to_contain_text("they end at 'Web tier' (id web)")
    editor.press("Control+s")
    expect(editor.page.locator("[data-editor-status]")).to_have_text("Saved · revision 2")
    expect(warning).to_have_count(1)
    # Linking the web tier to the database clears it.
    editor.link("web", "db")
    expect(editor.page.locator("[data-editor-problems]")).to_contain_text("No problems found.")


def test_export_png_svg_and_json(make_design, open_editor, tmp_path: Path) -> None:
    editor = open_editor(make_design(DOC, name="Export me"))
    menu = editor.page.locator(".toolbar-menu > summary", has_text="Export")
    files = {}
    for label, suffix in (("Image (PNG)", ".png"), ("Drawing (SVG)", ".svg"),
                          ("Document (JSON)", ".json")):  # fmt: skip
        menu.click()
        with editor.page.expect_download() as info:
            editor.page.get_by_role("button", name=label).click()
        download = info.value
        assert download.suggested_filename == f"export-me{suffix}"
        path = tmp_path / download.suggested_filename
        download.save_as(path)
        files[suffix] = path.read_bytes()
    assert files[".png"].startswith(b"\x89PNG")
    assert len(files[".png"]) > 2000
    svg = files[".svg"].decode()
    assert "<svg" in svg
    assert "Users" in svg
    exported = json.loads(files[".json"])
    assert [c["id"] for c in exported["components"]] == ["users", "web", "db"]
    assert exported["links"] == editor.doc()["links"]


def test_import_replaces_the_diagram_and_refuses_bad_files(
    make_design, open_editor, tmp_path: Path
) -> None:
    editor = open_editor(make_design(DOC))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    editor.page.locator("[data-editor-import]").set_input_files(bad)
    toast = editor.page.locator("[data-editor-toast]")
    expect(toast).to_contain_text("Import refused: the file is not valid JSON")
    assert editor.component_ids() == ["users", "web", "db"]

    good = tmp_path / "good.json"
    good.write_text(
        json.dumps(
            {
                "format": 1,
                "name": "Imported",
                "components": [
                    {"id": "a", "kind": "client"},
                    {"id": "b", "kind": "cdn"},
                ],
                "links": [{"from": "a", "to": "b"}],
            }
        )
    )
    editor.page.locator("[data-editor-import]").set_input_files(good)
    expect(toast).to_contain_text("Imported good.json")
    assert editor.component_ids() == ["a", "b"]
    # Components without positions are laid out by request flow.
    a, b = editor.component("a"), editor.component("b")
    assert a["x"] < b["x"]
    editor.press("Control+z")
    assert editor.component_ids() == ["users", "web", "db"]
