"""Fixtures for the editor's browser tests: a logged-in page on a design of alice's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page

from sandbox.models import Design
from simulation import validate_document
from tests.editor.driver import EditorDriver

EMPTY = {"format": 1, "name": "Editor test", "components": [], "links": []}


@pytest.fixture
def make_design(alice: Any) -> Callable[..., Design]:
    def make(document: dict[str, Any] | None = None, name: str = "Editor test") -> Design:
        # Stored documents are always validated ones, with every default filled in.
        doc = validate_document({**(document or EMPTY), "name": name})
        return Design.create_with_document(owner=alice, name=name, document=doc, message="start")

    return make


def login_context(context: BrowserContext, base_url: str, user: Any) -> None:
    """Give the browser context a session of `user` (no login form round trip)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.fixture
def open_editor(page: Page, daphne_server: str, alice: Any) -> Callable[[Design], EditorDriver]:
    """Open a design's page as alice in the default page (1280x800)."""
    page.set_viewport_size({"width": 1280, "height": 800})
    login_context(page.context, daphne_server, alice)

    def open_(design: Design) -> EditorDriver:
        page.goto(f"{daphne_server}/designs/{design.pk}/")
        return EditorDriver(page).wait_ready()

    open_.page = page  # type: ignore[attr-defined]  # to listen before the page loads
    return open_


@pytest.fixture
def second_browser(browser: Browser, daphne_server: str, alice: Any) -> BrowserContext:
    """Another browser context (another tab, another machine) logged in as alice."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    login_context(context, daphne_server, alice)
    yield context
    context.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that open their own browser contexts run last too, like those using `page`
    (see tests/conftest.py: a started Playwright breaks later asyncio tests)."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)
