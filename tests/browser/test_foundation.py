"""The product's main path in a real browser, against a live Daphne server."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

SHOTS = Path("/tmp/shots")

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_home_page_loads_with_styles_and_scripts(page: Page, daphne_server: str) -> None:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(daphne_server + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Learn how systems scale")
    # The bundled stylesheet applies: the header is sticky.
    assert page.eval_on_selector(".site-header", "el => getComputedStyle(el).position") == "sticky"
    page.wait_for_function("() => window.htmx !== undefined")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "home.png"), full_page=True)
    assert errors == []
