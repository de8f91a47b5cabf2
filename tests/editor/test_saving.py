"""Saving: explicit and automatic saves, conflicts between two browsers, unsaved work kept."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sandbox.live.models import Run
from sandbox.models import Design
from tests.editor.driver import EditorDriver

pytestmark = pytest.mark.django_db(transaction=True)

START = {
    "format": 1,
    "components": [
        {"id": "users", "kind": "client", "label": "Users", "x": 100, "y": 200},
        {"id": "web", "kind": "web_server", "x": 300, "y": 200},
    ],
    "links": [{"from": "users", "to": "web"}],
}


def test_ctrl_s_saves_with_a_message_and_a_reload_shows_the_same_diagram(
    make_design, open_editor
) -> None:
    design = make_design(START)
    editor = open_editor(design)
    cache = editor.drag_kind("cache", 520, 200)
    editor.link("web", cache)
    editor.page.wait_for_function("() => window.sandboxEditor.doc.links.length === 2")
    editor.page.locator("[data-editor-message]").fill("Add a cache")
    editor.page.keyboard.press("Control+s")
    expect(editor.page.locator("[data-editor-status]")).to_have_text("Saved · revision 2")
    latest = Design.objects.get(pk=design.pk).latest_revision()
    assert latest.number == 2
    assert latest.message == "Add a cache"
    saved = editor.doc()

    editor.page.reload()
    editor = EditorDriver(editor.page).wait_ready()
    again = editor.doc()
    assert [(c["id"], c["kind"], c["x"], c["y"]) for c in again["components"]] == [
        (c["id"], c["kind"], c["x"], c["y"]) for c in saved["components"]
    ]
    assert editor.links() == [("users", "web"), ("web", "cache-1")]
    assert editor.page.evaluate("() => window.sandboxEditor.editor.cy.nodes().length") == 3
    expect(editor.page.locator("[data-editor-banner]")).to_be_hidden()
    editor.shot("saved-and-reloaded")


def test_a_change_autosaves_after_a_short_idle(make_design, open_editor) -> None:
    design = make_design(START)
    editor = open_editor(design)
    editor.drag_kind("database", 500, 200)
    expect(editor.page.locator("[data-editor-status]")).to_have_text("Unsaved changes")
    expect(editor.page.locator("[data-editor-status]")).to_have_text(
        "Saved · revision 2", timeout=10_000
    )
    latest = Design.objects.get(pk=design.pk).latest_revision()
    assert "database" in [c["kind"] for c in latest.document["components"]]


def make_a_conflict(design, open_editor, second_browser) -> EditorDriver:
    """Two browsers edit revision 1: theirs saves a cache first, mine then saves a database
    and is refused. Returns my editor, showing the conflict banner."""
    mine = open_editor(design)
    theirs = EditorDriver(second_browser.new_page())
    theirs.page.goto(mine.page.url)
    theirs.wait_ready()
    theirs.drag_kind("cache", 520, 100)
    theirs.page.keyboard.press("Control+s")
    expect(theirs.page.locator("[data-editor-status]")).to_have_text("Saved · revision 2")
    mine.drag_kind("database", 520, 300)
    mine.page.keyboard.press("Control+s")
    return mine


def test_a_conflict_is_shown_and_mine_can_go_on_top(
    make_design, open_editor, second_browser
) -> None:
    """Two browsers edit revision 1; the second save is refused and the user chooses."""
    design = make_design(START)
    mine = make_a_conflict(design, open_editor, second_browser)
    banner = mine.page.locator("[data-editor-banner]")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Someone saved revision 2")
    mine.shot("conflict")
    assert Design.objects.get(pk=design.pk).head == 2
    # Autosave must not sneak past the conflict.
    mine.page.wait_for_timeout(3000)
    assert Design.objects.get(pk=design.pk).head == 2

    banner.get_by_role("button", name="Save mine on top").click()
    expect(mine.page.locator("[data-editor-status]")).to_have_text("Saved · revision 3")
    latest = Design.objects.get(pk=design.pk).latest_revision()
    kinds = [c["kind"] for c in latest.document["components"]]
    assert kinds == ["client", "web_server", "database"]
    # Theirs is still in the history: nothing was lost.
    theirs_saved = Design.objects.get(pk=design.pk).revisions.get(number=2).document
    assert theirs_saved["components"][-1]["kind"] == "cache"


def test_load_theirs_replaces_mine_and_undo_brings_mine_back(
    make_design, open_editor, second_browser
) -> None:
    design = make_design(START)
    mine = make_a_conflict(design, open_editor, second_browser)
    banner = mine.page.locator("[data-editor-banner]")
    banner.get_by_role("button", name="Load theirs").click()
    expect(banner).to_be_hidden()
    expect(mine.page.locator("[data-editor-status]")).to_have_text("Saved · revision 2")
    assert [c["kind"] for c in mine.doc()["components"]][-1] == "cache"
    mine.press("Control+z")
    assert [c["kind"] for c in mine.doc()["components"]][-1] == "database"
    expect(mine.page.locator("[data-editor-status]")).to_have_text("Unsaved changes")


def test_unsaved_work_survives_a_crash_and_is_offered_back(make_design, open_editor) -> None:
    """Close the tab before the autosave (a crash): the next visit offers the work back."""
    design = make_design(START)
    editor = open_editor(design)
    url = editor.page.url
    context = editor.page.context
    editor.drag_kind("message_queue", 520, 200)
    editor.page.wait_for_timeout(400)  # the local copy is written within 200 ms
    editor.page.close(run_before_unload=False)
    assert Design.objects.get(pk=design.pk).head == 1

    page = context.new_page()
    page.goto(url)
    editor = EditorDriver(page).wait_ready()
    banner = page.locator("[data-editor-banner]")
    expect(banner).to_contain_text("kept changes you had not saved")
    editor.shot("recovery-offered")
    assert "queue-1" not in editor.component_ids()
    banner.get_by_role("button", name="Restore them").click()
    assert "queue-1" in editor.component_ids()
    expect(page.locator("[data-editor-status]")).to_have_text("Saved · revision 2", timeout=10_000)


def test_a_save_in_one_tab_keeps_the_unsaved_copies_of_other_tabs(make_design, open_editor) -> None:
    """Tabs B and C of one browser crash with unsaved work, then tab A saves: a new tab
    offers both copies (a save removes only its own tab's copy), newest first."""
    design = make_design(START)
    tab_a = open_editor(design)
    url = tab_a.page.url
    context = tab_a.page.context
    crashed = []
    for kind, x in (("message_queue", 520), ("worker", 620)):
        page = context.new_page()
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(url)
        tab = EditorDriver(page).wait_ready()
        crashed.append(tab.drag_kind(kind, x, 200))
        page.wait_for_timeout(400)  # the local copy is written within 200 ms
        page.close(run_before_unload=False)
    older, newer = crashed

    cache = tab_a.drag_kind("cache", 520, 320)
    tab_a.press("Control+s")
    expect(tab_a.page.locator("[data-editor-status]")).to_have_text("Saved · revision 2")

    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(url)
    tab_d = EditorDriver(page).wait_ready()
    banner = page.locator("[data-editor-banner]")
    expect(banner).to_contain_text("kept 2 sets of changes you had not saved")
    restore = banner.get_by_role("button", name=re.compile(r"^Restore .* \(on revision 1\)$"))
    expect(restore).to_have_count(2)
    tab_d.shot("crash-copies-offered")
    restore.first.click()
    ids = tab_d.component_ids()
    assert newer in ids
    assert older not in ids
    assert cache not in ids
    # Restored work on top of revision 1 meets revision 2: a conflict, never an overwrite.
    expect(banner).to_contain_text("Someone saved revision 2", timeout=10_000)
    # The other crashed tab's copy is still kept, to be offered next time.
    kept = page.evaluate(
        f"""() => Object.keys(localStorage)
            .filter((k) => k.startsWith("crash:{design.pk}:"))
            .map((k) => JSON.parse(localStorage.getItem(k)).document.components.map((c) => c.id))"""
    )
    assert any(older in ids and newer not in ids for ids in kept)


def test_leaving_with_unsaved_changes_asks_first(make_design, open_editor) -> None:
    """A reload with unsaved changes raises the browser's 'leave the page?' question."""
    editor = open_editor(make_design(START))
    editor.drag_kind("worker", 520, 200)
    dialogs: list[str] = []

    def accept(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.accept()

    editor.page.on("dialog", accept)
    editor.page.reload()
    EditorDriver(editor.page).wait_ready()
    assert dialogs == ["beforeunload"]
    # The reload kept the work in this browser and offers it back.
    expect(editor.page.locator("[data-editor-banner]")).to_contain_text("Restore", ignore_case=True)


def test_the_run_button_saves_the_diagram_before_the_run_starts(make_design, open_editor) -> None:
    """A run acts on the saved design: unsaved edits are saved before the run form submits."""
    design = make_design(START)
    editor = open_editor(design)
    editor.drag_kind("cdn", 520, 100)
    with editor.page.expect_navigation(url=re.compile(r"/runs/")):
        editor.page.get_by_test_id("run-button").click()
    latest = Design.objects.get(pk=design.pk).latest_revision()
    assert latest.number == 2
    assert latest.document["components"][-1]["kind"] == "cdn"
    assert Run.objects.get(revision__design=design).revision == latest
