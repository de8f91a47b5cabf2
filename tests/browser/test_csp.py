"""The Content-Security-Policy in a real browser: home, editor and a live run load and
work with no violation (no inline script, no eval; the run socket is allowed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from sandbox.live.models import Run
from sandbox.models import Design, ShareLink
from tests.editor.conftest import login_context
from tests.editor.driver import EditorDriver
from tests.live.conftest import two_web_servers

pytestmark = pytest.mark.django_db(transaction=True)

# Installed before any page script: every violation the browser reports on the page.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI} (${where})`);
});
"""


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page that enforces the policy (the suite's `page` bypasses it, tests/conftest.py)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


@pytest.fixture
def violations(page: Page) -> list[str]:
    """Violations seen on the console, and by the page's own listener (checked by `clean`)."""
    found: list[str] = []
    page.context.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.on("pageerror", lambda exc: found.append(f"pageerror: {exc}"))
    return found


def clean(page: Page, violations: list[str]) -> None:
    assert violations == []
    assert page.evaluate("window.cspViolations") == []


def test_home_editor_and_live_run_have_no_csp_violation(
    page: Page, daphne_server: str, alice: Any, violations: list[str]
) -> None:
    response = page.goto(daphne_server + "/")
    assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
    page.wait_for_function("() => window.htmx !== undefined")
    clean(page, violations)

    design = Design.create_with_document(
        owner=alice, name="Two web servers", document=two_web_servers(), message="first"
    )
    ShareLink.objects.create(design=design)
    login_context(page.context, daphne_server, alice)
    page.goto(f"{daphne_server}{design.get_absolute_url()}")
    EditorDriver(page).wait_ready()
    # The share link's field selects itself on focus (a bundle listener, no inline handler).
    page.locator(".share-box summary").click()
    page.get_by_test_id("share-url").focus()
    assert page.evaluate(
        "() => { const f = document.querySelector('#share-url');"
        " return f.selectionStart === 0 && f.selectionEnd === f.value.length; }"
    )
    page.locator(".share-box summary").click()  # closed again: it covers the Run button
    clean(page, violations)

    page.select_option("#run-speed", "20")
    page.get_by_test_id("run-button").click()
    page.wait_for_url("**/runs/*/")
    page.wait_for_function(
        "() => document.querySelector('[data-live-run]')?.liveRun?.recording.frames.length >= 3",
        timeout=30_000,
    )
    expect(page.get_by_test_id("run-status")).to_have_text("running")
    clean(page, violations)
    assert Run.objects.filter(revision__design=design).exists()
