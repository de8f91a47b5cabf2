"""Popovers stay on screen: the design page's Share panel at desktop, laptop, narrow
and phone widths (it once opened 160 px past the right edge at 1440 px)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from sandbox.models import Design
from tests.editor.conftest import login_context
from tests.live.conftest import two_web_servers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1920, 1440, 1280, 820, 390])
def test_the_share_panel_opens_inside_the_screen(
    page: Page, daphne_server: str, alice: Any, width: int
) -> None:
    design = Design.create_with_document(
        owner=alice, name="Two web servers", document=two_web_servers(), message="first"
    )
    page.set_viewport_size({"width": width, "height": 900})
    login_context(page.context, daphne_server, alice)
    page.goto(f"{daphne_server}{design.get_absolute_url()}")
    page.get_by_test_id("share-box").locator("summary").click()
    panel = page.locator(".share-box__panel")
    panel.wait_for()
    box = panel.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
