"""The product's main path in a real browser, against a live Daphne server.

Sign up, create a design from a template, find it in the list, view its history, share it,
open the link as an anonymous visitor (read-only), fork it as a third user.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from sandbox.models import Design

SHOTS = Path("/tmp/shots")
PASSWORD = "a-long-browser-password-7"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _patient_expectations(page: Page) -> Iterator[None]:
    """The machines running CI are shared and slow at times: wait up to 15 s, not 5."""
    expect.set_options(timeout=15_000)
    page.set_default_timeout(15_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def templates_loaded(transactional_db: None) -> None:
    call_command("load_templates", stdout=io.StringIO())


@pytest.fixture
def errors(page: Page) -> list[str]:
    """Uncaught script errors and console errors of the main page."""
    found: list[str] = []
    page.on("pageerror", lambda exc: found.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: found.append(msg.text) if msg.type == "error" else None)
    return found


@pytest.fixture
def other_contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    contexts: list[BrowserContext] = []
    yield contexts
    for context in contexts:
        context.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_up(page: Page, base: str, username: str) -> None:
    page.goto(base + "/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_test_id("account-menu")).to_have_text(username)


def test_the_home_page_loads_with_styles_and_scripts(
    page: Page, daphne_server: str, errors: list[str], templates_loaded: None
) -> None:
    page.goto(daphne_server + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Learn how systems scale")
    # The bundled stylesheet applies: the header is sticky.
    assert page.eval_on_selector(".site-header", "el => getComputedStyle(el).position") == "sticky"
    page.wait_for_function("() => window.htmx !== undefined")
    expect(page.get_by_test_id("template-card").first).to_be_visible()
    shot(page, "home")
    assert errors == []


def test_it_follows_the_dark_colour_scheme(
    page: Page, daphne_server: str, templates_loaded: None
) -> None:
    background = "() => getComputedStyle(document.body).backgroundColor"
    page.emulate_media(color_scheme="light")
    page.goto(daphne_server + "/templates/")
    assert page.evaluate(background) == "rgb(246, 247, 251)"
    page.emulate_media(color_scheme="dark")
    assert page.evaluate(background) == "rgb(17, 21, 28)"
    shot(page, "templates-dark")


def test_sign_up_use_a_template_share_and_fork(
    page: Page,
    browser: Browser,
    daphne_server: str,
    errors: list[str],
    templates_loaded: None,
    other_contexts: list[BrowserContext],
) -> None:
    base = daphne_server
    sign_up(page, base, "erin")

    # Create a design from a template.
    page.get_by_role("link", name="Templates").click()
    card = page.locator("#template-scale-out")
    expect(card).to_contain_text("Scale out")
    shot(page, "templates")
    card.get_by_role("button", name="Use this template").click()
    expect(page.get_by_test_id("design-name")).to_contain_text("Scale out")
    expect(page.get_by_test_id("revision-info")).to_have_text("Revision 1")
    expect(page.locator("#design-workspace")).to_have_attribute("data-read-only", "false")
    design = Design.objects.get(owner__username="erin")
    shot(page, "design-owner")

    # Save a second revision through the JSON API, as the editor does.
    document = design.latest_revision().document
    document["name"] = "Scale out, renamed"
    token = page.evaluate(
        "() => JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']"
    )
    saved = page.request.post(
        f"{base}/api/designs/{design.pk}/document",
        data=json.dumps({"base_revision": 1, "document": document, "message": "rename"}),
        headers={"Content-Type": "application/json", "X-CSRFToken": token},
    )
    assert saved.status == 200, saved.text()
    assert saved.json() == {"revision": 2, "saves": 1, "changed": True}

    # Find it in the list with the live search.
    page.get_by_role("link", name="My designs").click()
    page.get_by_label("Search my designs").fill("scale")
    expect(page.get_by_test_id("design-row")).to_have_count(1)
    page.get_by_label("Search my designs").fill("zebra")
    expect(page.locator("#design-table")).to_contain_text("No design matches")
    expect(page).to_have_url(re.compile(r"q=zebra"))
    page.get_by_label("Search my designs").fill("")
    expect(page.get_by_test_id("design-row")).to_have_count(1)
    shot(page, "my-designs")

    # Its history, with the diff summary of the last change.
    page.get_by_test_id("design-row").get_by_role("link", name="History").click()
    expect(page.get_by_test_id("revision")).to_have_count(2)
    expect(page.get_by_test_id("diff")).to_contain_text("Renamed")
    shot(page, "history")
    # Comparing a revision with itself swaps in the diff without leaving the page.
    history_url = page.url
    page.get_by_label("From").select_option("2")
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_test_id("diff")).to_contain_text("No differences.")
    expect(page).to_have_url(re.compile(r"a=2&b=2"))
    assert page.url.startswith(history_url)

    # Share it.
    page.goto(f"{base}/designs/{design.pk}/")
    page.get_by_test_id("share-box").locator("summary").click()
    page.get_by_role("button", name="Create share link").click()
    share_url = page.get_by_test_id("share-url").input_value()
    assert re.fullmatch(re.escape(base) + r"/s/[\w-]{32,}/", share_url)
    shot(page, "design-shared")

    # An anonymous visitor opens the link: read-only.
    anonymous = browser.new_context()
    other_contexts.append(anonymous)
    visitor = anonymous.new_page()
    visitor.goto(share_url)
    expect(visitor.get_by_test_id("design-name")).to_contain_text("Scale out")
    expect(visitor.get_by_test_id("read-only-badge")).to_be_visible()
    expect(visitor.locator("#design-workspace")).to_have_attribute("data-read-only", "true")
    expect(
        visitor.locator(".design-head").get_by_role("link", name="Log in to fork")
    ).to_be_visible()
    expect(visitor.get_by_role("button", name="Create share link")).to_have_count(0)
    shot(visitor, "shared-anonymous")
    # The private page itself stays closed to the visitor.
    assert visitor.goto(f"{base}/designs/{design.pk}/").status == 404

    # A third user forks it.
    third = browser.new_context()
    other_contexts.append(third)
    forker = third.new_page()
    sign_up(forker, base, "frank")
    forker.goto(share_url)
    forker.get_by_test_id("fork-button").click()
    expect(forker.get_by_test_id("design-name")).to_contain_text("(fork)")
    expect(forker.locator("#design-workspace")).to_have_attribute("data-read-only", "false")
    fork = Design.objects.get(owner__username="frank")
    assert fork.forked_from_id == design.pk
    assert fork.latest_revision().document["name"] == "Scale out, renamed"
    shot(forker, "forked")

    # The owner revokes the link: it answers 404 from then on.
    page.get_by_role("button", name="Revoke link").click()
    expect(page.get_by_role("button", name="Create share link")).to_be_visible()
    assert visitor.goto(share_url).status == 404

    assert [e for e in errors if "pageerror" in e] == []


def test_my_designs_rename_inline_and_delete_with_confirmation(
    page: Page, daphne_server: str, errors: list[str]
) -> None:
    sign_up(page, daphne_server, "gina")
    page.goto(daphne_server + "/designs/")
    for name in ("Payments", "Chat"):
        page.get_by_label("Name of the new design").fill(name)
        page.get_by_role("button", name="New design").click()
        expect(page.get_by_test_id("design-name")).to_have_text(name)
        page.goto(daphne_server + "/designs/")
    rows = page.get_by_test_id("design-row")
    expect(rows).to_have_count(2)

    payments = rows.filter(has_text="Payments")
    payments.get_by_role("link", name="Rename").click()
    field = page.get_by_label("New name for Payments")
    field.fill("Payments v2")
    field.press("Enter")
    expect(rows.filter(has_text="Payments v2")).to_have_count(1)
    assert page.url.endswith("/designs/")  # swapped in place, no navigation

    page.get_by_label("Sort by").select_option("name")
    expect(rows.first).to_contain_text("Chat")
    expect(page).to_have_url(re.compile(r"sort=name"))
    page.get_by_label("Sort by").select_option("updated")
    expect(rows.first).to_contain_text("Payments v2")

    chat = rows.filter(has_text="Chat")
    chat.get_by_role("link", name="Delete").click()
    expect(page.get_by_text("Delete “Chat” and its only revision?")).to_be_visible()
    shot(page, "delete-confirm")
    page.get_by_role("button", name="Delete for good").click()
    expect(page.locator(".row-danger")).to_have_count(0)
    expect(rows).to_have_count(1)
    assert list(Design.objects.values_list("name", flat=True)) == ["Payments v2"]

    # On a phone the list fits the screen: nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(rows).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "my-designs-phone")
    assert [e for e in errors if "pageerror" in e] == []


def test_a_refused_inline_action_says_why_and_changes_nothing(
    page: Page, daphne_server: str, errors: list[str]
) -> None:
    """htmx swaps only successful answers: a rename that is rate-limited, refused or never
    reaches the server must still say so (in DEBUG, django-htmx shows 400/403/404/500 pages)."""
    sign_up(page, daphne_server, "hana")
    page.goto(daphne_server + "/designs/")
    page.get_by_label("Name of the new design").fill("Ledger")
    page.get_by_role("button", name="New design").click()
    page.goto(daphne_server + "/designs/")
    limited = {"error": "too many writes: at most 60 a minute; try again in 12 s"}
    answers = iter([
        {"status": 429, "json": limited},
        {"status": 503, "json": {"error": "the database is restarting; try again"}},
        None,  # the connection fails
    ])  # fmt: skip

    def refuse_the_save(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
        elif (answer := next(answers)) is None:
            route.abort("connectionfailed")
        else:
            route.fulfill(**answer)

    page.route("**/designs/*/rename/", refuse_the_save)
    row = page.get_by_test_id("design-row").filter(has_text="Ledger")
    for expected in ("try again in 12 s", "the database is restarting", "could not be reached"):
        # The form must be htmx's before Enter (a person is never that quick; a loaded CI
        # machine's page may be): htmx:load fires once it has processed the new row.
        page.evaluate(
            "() => { window.rowLoaded = new Promise((done) =>"
            " document.body.addEventListener('htmx:load', done, {once: true})); }"
        )
        row.get_by_role("link", name="Rename").click()
        page.evaluate("window.rowLoaded.then(() => true)")
        field = page.get_by_label("New name for Ledger")
        field.fill("Ledger v2")
        field.press("Enter")
        expect(page.get_by_role("alert").filter(has_text=expected)).to_be_visible()
        page.goto(daphne_server + "/designs/")
    assert list(Design.objects.values_list("name", flat=True)) == ["Ledger"]
