"""Touch, tablet sizes and the dark colour scheme."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.editor.conftest import login_context
from tests.editor.driver import EditorDriver

pytestmark = pytest.mark.django_db(transaction=True)

DOC = {
    "format": 1,
    "components": [
        {"id": "users", "kind": "client", "label": "Users", "x": 100, "y": 200},
        {"id": "lb", "kind": "load_balancer", "label": "Front door", "x": 300, "y": 200},
    ],
    "links": [],
}


def open_on(browser: Browser, base: str, user: Any, design, **context_args: Any) -> Page:
    context = browser.new_context(**context_args)
    login_context(context, base, user)
    page = context.new_page()
    page.goto(f"{base}/designs/{design.pk}/")
    EditorDriver(page).wait_ready()
    return page


class Finger:
    """One finger on a touch screen (Chromium's DevTools protocol)."""

    def __init__(self, page: Page) -> None:
        self.cdp = page.context.new_cdp_session(page)

    def _send(self, kind: str, x: float | None = None, y: float | None = None) -> None:
        points = [] if x is None else [{"x": x, "y": y}]
        self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    def drag(self, x0: float, y0: float, x1: float, y1: float, steps: int = 12) -> None:
        self._send("touchStart", x0, y0)
        for i in range(1, steps + 1):
            self._send("touchMove", x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
        self._send("touchEnd")


def test_a_tablet_adds_moves_and_links_by_touch(
    make_design, browser: Browser, daphne_server: str, alice
) -> None:
    design = make_design(DOC)
    page = open_on(
        browser, daphne_server, alice, design,
        viewport={"width": 1024, "height": 768}, has_touch=True, is_mobile=False,
    )  # fmt: skip
    editor = EditorDriver(page)
    # The run panel and the lesson sit above the editor: scroll to it, as a person would.
    page.locator("#design-workspace").scroll_into_view_if_needed()
    # A tap on a palette entry adds the kind in the middle of the view.
    page.locator('.palette__item[data-kind="web_server"]').tap()
    page.wait_for_function("() => window.sandboxEditor.doc.components.length === 3")
    # A finger drags a kind from the palette onto the canvas.
    item = page.locator('.palette__item[data-kind="cache"]').bounding_box()
    canvas = editor.canvas_box()
    finger = Finger(page)
    finger.drag(item["x"] + 20, item["y"] + 12, canvas["x"] + 150, canvas["y"] + 120)
    page.wait_for_function("() => window.sandboxEditor.doc.components.length === 4")
    assert editor.component_ids()[-1] == "cache-1"
    # A finger drags a node.
    before = editor.component("users")
    x, y = editor.node_point("users")
    finger.drag(x, y, x, y + 90)
    page.wait_for_timeout(200)
    after = editor.component("users")
    assert after["y"] > before["y"] + 40
    assert after["x"] == before["x"]
    # A tap selects; the link handle appears and a finger drags it onto the target.
    x, y = editor.node_point("users")
    page.touchscreen.tap(x, y)
    handle = page.locator("[data-editor-handle]")
    expect(handle).to_be_visible()
    hb = handle.bounding_box()
    tx, ty = editor.node_point("lb")
    finger.drag(hb["x"] + 10, hb["y"] + 10, tx, ty)
    page.wait_for_function("() => window.sandboxEditor.doc.links.length === 1")
    assert editor.links() == [("users", "lb")]
    editor.shot("tablet-landscape")
    page.context.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1024, 768), (768, 1024)])
def test_the_editor_fits_the_screen(
    make_design, browser: Browser, daphne_server: str, alice, width: int, height: int
) -> None:
    """No sideways scrolling, the canvas is big enough to work in, panels are reachable."""
    design = make_design(DOC)
    page = open_on(
        browser, daphne_server, alice, design, viewport={"width": width, "height": height}
    )
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    canvas = page.locator("[data-editor-canvas]").bounding_box()
    assert canvas["width"] >= 420
    assert canvas["height"] >= 400
    for selector in (".editor__palette", ".editor__properties", ".editor__problems"):
        box = page.locator(selector).bounding_box()
        assert box["width"] >= 120, selector
        assert box["x"] + box["width"] <= width, selector
    page.locator("[data-editor-canvas]").scroll_into_view_if_needed()
    EditorDriver(page).shot(f"size-{width}x{height}")
    page.context.close()


def test_dark_mode_is_legible(make_design, browser: Browser, daphne_server: str, alice) -> None:
    design = make_design(DOC)
    page = open_on(
        browser, daphne_server, alice, design,
        viewport={"width": 1280, "height": 800}, color_scheme="dark",
    )  # fmt: skip
    editor = EditorDriver(page)
    editor.select_only("lb")
    editor.properties_loaded_for("lb")
    label_color = page.evaluate(
        "() => window.sandboxEditor.editor.cy.getElementById('users').style('color')"
    )
    assert label_color == "rgb(226,232,240)"
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 21, 28)"
    editor.shot("dark")
    page.context.close()
