"""Drive the diagram editor in a real browser the way a person does: mouse, keyboard, touch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

SHOTS = Path("/tmp/shots")


class EditorDriver:
    """A page with the editor loaded; reads state through `window.sandboxEditor`."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def wait_ready(self) -> EditorDriver:
        self.page.wait_for_selector("#editor[data-ready=true]", timeout=15_000)
        return self

    # State ------------------------------------------------------------------------------

    def doc(self) -> dict[str, Any]:
        return self.page.evaluate("() => window.sandboxEditor.doc")

    def component_ids(self) -> list[str]:
        return [c["id"] for c in self.doc()["components"]]

    def component(self, cid: str) -> dict[str, Any]:
        return next(c for c in self.doc()["components"] if c["id"] == cid)

    def links(self) -> list[tuple[str, str]]:
        return [(link["from"], link["to"]) for link in self.doc()["links"]]

    def selected(self) -> list[str]:
        return self.page.evaluate(
            "() => window.sandboxEditor.editor.cy.$(':selected').map(e => e.id())"
        )

    def status(self) -> str:
        return self.page.locator("[data-editor-status]").inner_text()

    # Geometry ---------------------------------------------------------------------------

    def canvas_box(self) -> dict[str, float]:
        box = self.page.locator("[data-editor-canvas]").bounding_box()
        assert box is not None
        return box

    def node_point(self, cid: str) -> tuple[float, float]:
        """Where component `cid` is on the screen (page pixels), once the view is still."""
        self.page.wait_for_function("() => !window.sandboxEditor.editor.cy.animated()")
        rendered = self.page.evaluate(
            "id => { const p = window.sandboxEditor.editor.cy.getElementById(id)"
            ".renderedPosition(); return {x: p.x, y: p.y}; }",
            cid,
        )
        box = self.canvas_box()
        return box["x"] + rendered["x"], box["y"] + rendered["y"]

    # Actions ----------------------------------------------------------------------------

    def drag_kind(self, kind: str, x: float, y: float) -> str:
        """Drag `kind` from the palette to canvas point (x, y); returns the new id."""
        before = set(self.component_ids())
        item = self.page.locator(f'.palette__item[data-kind="{kind}"]')
        item.scroll_into_view_if_needed()
        box = item.bounding_box()
        assert box is not None
        canvas = self.canvas_box()
        self.page.mouse.move(box["x"] + 15, box["y"] + box["height"] / 2)
        self.page.mouse.down()
        self.page.mouse.move(canvas["x"] + x, canvas["y"] + y, steps=8)
        self.page.mouse.up()
        self.page.wait_for_function(
            "n => window.sandboxEditor.doc.components.length === n", arg=len(before) + 1
        )
        (new,) = set(self.component_ids()) - before
        return new

    def click_node(self, cid: str, *, shift: bool = False) -> None:
        x, y = self.node_point(cid)
        if shift:
            self.page.keyboard.down("Shift")
        self.page.mouse.click(x, y)
        if shift:
            self.page.keyboard.up("Shift")

    def drag_node(self, cid: str, dx: float, dy: float) -> None:
        x, y = self.node_point(cid)
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        self.page.mouse.move(x + dx, y + dy, steps=10)
        self.page.mouse.up()
        self.page.wait_for_timeout(100)

    def link(self, source: str, target: str) -> None:
        """Hover `source`, then drag its link handle onto `target`."""
        x, y = self.node_point(source)
        self.page.mouse.move(x, y)
        handle = self.page.locator("[data-editor-handle]")
        expect(handle).to_be_visible()
        expect(handle).to_have_attribute("data-node", source)
        hb = handle.bounding_box()
        assert hb is not None
        tx, ty = self.node_point(target)
        self.page.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2)
        self.page.mouse.down()
        self.page.mouse.move(tx, ty, steps=12)
        self.page.mouse.up()
        self.page.wait_for_timeout(100)

    def select_only(self, cid: str) -> None:
        self.page.locator("[data-editor-canvas]").focus()
        self.page.keyboard.press("Escape")
        self.click_node(cid)
        self.page.wait_for_function(
            "id => window.sandboxEditor.editor.cy.$(':selected').map(e => e.id()).join() === id",
            arg=cid,
        )

    def properties_loaded_for(self, cid: str) -> None:
        self.page.wait_for_selector(f'form[data-target-id="{cid}"]')

    def press(self, keys: str) -> None:
        self.page.locator("[data-editor-canvas]").focus()
        self.page.keyboard.press(keys)

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"editor-{name}.png"))
