"""Read-only views: a shared link and someone else's design can be looked at, not edited."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from sandbox.models import Design, ShareLink
from tests.editor.conftest import login_context
from tests.editor.driver import EditorDriver

pytestmark = pytest.mark.django_db(transaction=True)

DOC = {
    "format": 1,
    "components": [
        {"id": "users", "kind": "client", "label": "Users", "x": 100, "y": 200},
        {"id": "web", "kind": "web_server", "label": "Web", "x": 300, "y": 200},
    ],
    "links": [{"from": "users", "to": "web", "params": {"latency_ms": 12}}],
}


def assert_read_only(editor: EditorDriver, design: Design) -> None:
    page = editor.page
    expect(page.locator(".palette__item")).to_have_count(0)
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    # Dragging a node moves nothing; the keyboard deletes nothing.
    before = editor.doc()
    editor.drag_node("web", 120, 80)
    editor.click_node("web")
    page.keyboard.press("Delete")
    page.keyboard.press("Control+z")
    assert editor.doc() == before
    expect(page.locator("[data-editor-handle]")).to_have_count(0)
    # The properties show, disabled.
    editor.properties_loaded_for("web")
    expect(page.locator("#prop-instances")).to_be_disabled()
    expect(page.locator("#prop-label")).to_be_disabled()
    assert Design.objects.get(pk=design.pk).head == 1


def test_a_shared_link_opens_read_only_for_anyone(
    make_design, browser: Browser, daphne_server: str
) -> None:
    design = make_design(DOC)
    link = ShareLink.objects.create(design=design)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{daphne_server}/s/{link.token}/")
    editor = EditorDriver(page).wait_ready()
    assert editor.component_ids() == ["users", "web"]
    assert (
        editor.page.evaluate(
            "() => window.sandboxEditor.editor.cy.getElementById('users->web').data('label')"
        )
        == "12 ms"
    )
    editor.shot("read-only-shared")
    assert_read_only(editor, design)
    # Anonymous viewers are sent to log in first, then come back here.
    login = page.locator(".editor__toolbar").get_by_role("link", name="Log in to fork")
    expect(login).to_have_attribute("href", f"/accounts/login/?next=/s/{link.token}/")
    context.close()


def test_someone_elses_public_design_is_read_only_and_forkable(
    make_design, browser: Browser, daphne_server: str, bob
) -> None:
    design = make_design(DOC)
    design.visibility = "public"
    design.save(update_fields=["visibility"])
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    login_context(context, daphne_server, bob)
    page = context.new_page()
    page.goto(f"{daphne_server}/designs/{design.pk}/")
    editor = EditorDriver(page).wait_ready()
    assert_read_only(editor, design)
    editor.shot("read-only-public")
    page.get_by_role("button", name="Fork to edit").click()
    page.wait_for_url(lambda url: f"/designs/{design.pk}/" not in url)
    fork = Design.objects.get(owner=bob)
    assert fork.forked_from_id == design.pk
    forked = EditorDriver(page).wait_ready()
    expect(page.locator(".palette__item").first).to_be_visible()
    assert forked.component_ids() == ["users", "web"]
    context.close()
