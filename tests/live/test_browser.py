"""The live run in a real browser: colours, failing a server from the UI, a second viewer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, WebSocket, expect

from sandbox.live.models import Run
from sandbox.models import Design, ShareLink
from simulation.examples import get_example
from tests.live.conftest import two_web_servers

SHOTS = Path("/tmp/shots")
OK, DOWN, STARTING = "#2f9e44", "#e03131", "#4dabf7"

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(context: BrowserContext, base: str, user: Any) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])


def start_run(page: Page, base: str, user: Any, design: Design, size: tuple[int, int],
              speed: str | None = None) -> None:  # fmt: skip
    """Sign `user` in at a `size` window, open `design` and run it (at `speed`)."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    sign_in(page.context, base, user)
    page.goto(f"{base}{design.get_absolute_url()}")
    if speed is not None:
        page.select_option("#run-speed", speed)
    page.get_by_test_id("run-button").click()
    page.wait_for_url("**/runs/*/")


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"live-{name}.png"), full_page=True)


def node(page: Page, node_id: str, key: str) -> Any:
    return page.evaluate(
        "([id, key]) => document.querySelector('[data-live-run]').liveRun"
        ".diagram.cy.getElementById(id).data(key)",
        [node_id, key],
    )


def latest(page: Page, node_id: str, key: str) -> Any:
    return page.evaluate(
        "([id, key]) => document.querySelector('[data-live-run]').liveRun"
        ".recording.frames.at(-1)?.nodes?.[id]?.[key]",
        [node_id, key],
    )


def latest_nodes(page: Page) -> list[str]:
    return page.evaluate(
        "Object.keys(document.querySelector('[data-live-run]').liveRun"
        ".recording.frames.at(-1)?.nodes ?? {})"
    )


def watch_hellos(page: Page) -> list[tuple[str, dict[str, Any]]]:
    """The `hello` messages the page's run sockets receive, with each socket's URL."""
    hellos: list[tuple[str, dict[str, Any]]] = []

    def on_socket(ws: WebSocket) -> None:
        def on_frame(payload: str | bytes) -> None:
            if isinstance(payload, str) and payload.startswith('{"type":"hello"'):
                hellos.append((ws.url, json.loads(payload)))

        ws.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    return hellos


def wait_frames(page: Page, count: int) -> None:
    page.wait_for_function(
        f"document.querySelector('[data-live-run]')?.liveRun?.recording.frames.length >= {count}",
        timeout=30_000,
    )


@pytest.fixture
def design(alice: Any) -> Design:
    return Design.create_with_document(
        owner=alice, name="Two web servers", document=two_web_servers(), message="first"
    )


@pytest.fixture
def watcher(browser: Browser) -> Iterator[BrowserContext]:
    # Like the suite's pages, it ignores the CSP (string predicates are eval'd; conftest.py).
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, bypass_csp=True)
    yield context
    context.close()


def test_a_run_comes_alive_and_a_failed_server_shifts_the_load(
    page: Page, daphne_server: str, alice: Any, bob: Any, design: Design, watcher: BrowserContext
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    hellos = watch_hellos(page)
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page.context, daphne_server, alice)
    page.goto(f"{daphne_server}{design.get_absolute_url()}")
    page.select_option("#run-speed", "20")
    page.get_by_test_id("run-button").click()
    page.wait_for_url("**/runs/*/")
    run = Run.objects.get()

    # Colours change from "starting" to the health of the first frames.
    wait_frames(page, 3)
    assert node(page, "web-1", "fill") == OK
    assert node(page, "web-2", "fill") == OK
    assert node(page, "lb", "fill") != STARTING
    expect(page.get_by_test_id("run-status")).to_have_text("running")
    shot(page, "browser-running")

    # A classmate with the share link watches the same run in their own browser.
    link = ShareLink.objects.create(design=design)
    sign_in(watcher, daphne_server, bob)
    other = watcher.new_page()
    other.goto(f"{daphne_server}{link.get_absolute_url()}")  # now holding the token
    other.goto(f"{daphne_server}{run.get_absolute_url()}")
    wait_frames(other, 3)
    expect(other.locator("[data-action=pause]")).to_have_count(0)

    web2_before = latest(page, "web-2", "offered")
    box = page.get_by_test_id("live-diagram").bounding_box()
    pos = page.evaluate(
        "() => { const p = document.querySelector('[data-live-run]').liveRun.diagram.cy"
        ".getElementById('web-1').renderedPosition(); return {x: p.x, y: p.y}; }"
    )
    page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])
    page.locator("[data-role=node-menu] [data-action=fail]").click()

    for viewer in (page, other):
        expect(viewer.get_by_test_id("event-log")).to_contain_text("Web 1", timeout=30_000)
        viewer.wait_for_function(
            "document.querySelector('[data-live-run]').liveRun.diagram.cy"
            f".getElementById('web-1').data('fill') === '{DOWN}'",
            timeout=30_000,
        )
    # Once the balancer notices, the other server takes the whole load.
    page.wait_for_function(
        "document.querySelector('[data-live-run]').liveRun.recording.frames.at(-1)"
        f".nodes['web-2'].offered > {web2_before * 1.5}",
        timeout=30_000,
    )
    assert latest(other, "web-1", "served") == 0
    other.wait_for_function(
        "document.querySelector('[data-live-run]').liveRun.diagram.cy"
        f".getElementById('web-2').data('fill') !== '{OK}'",
        timeout=30_000,
    )
    # A dropped socket reconnects by itself and resumes after the last tick it had.
    before = page.evaluate("document.querySelector('[data-live-run]').liveRun.recording.lastTick")
    page.evaluate("document.querySelector('[data-live-run]').liveRun.socket.ws.close(4000)")
    expect(page.locator("[data-role=connection]")).to_have_text("live", timeout=30_000)
    page.wait_for_function(
        f"document.querySelector('[data-live-run]').liveRun.recording.lastTick > {before + 3}",
        timeout=30_000,
    )
    ticks = page.evaluate(
        "document.querySelector('[data-live-run]').liveRun.recording.frames.map(f => f.tick)"
    )
    assert ticks == sorted(set(ticks))
    # No hello has the design (the page read it from design.json); frames after the
    # reconnect still decode with it.
    assert [("?since=" in url, "design" in hello, "catalog" in hello) for url, hello in hellos] == [
        (False, False, False),
        (True, False, False),
    ]
    assert sorted(latest_nodes(page)) == ["db", "lb", "users", "web-1", "web-2"]
    assert latest(page, "web-1", "served") == 0
    assert node(page, "web-1", "fill") == DOWN
    shot(page, "browser-failed")
    shot(other, "browser-watcher")
    assert errors == []


def test_while_paused_a_node_still_opens_its_menu_and_its_failure_shows_at_once(
    page: Page, daphne_server: str, alice: Any, design: Design
) -> None:
    """The page reflows above the diagram (a longer status wraps the header, a message
    appears) without a resize or scroll: clicks must still land on the nodes. A control's
    event shows while the run is paused, before any new frame."""
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page.context, daphne_server, alice)
    page.goto(f"{daphne_server}{design.get_absolute_url()}")
    page.get_by_test_id("run-button").click()
    page.wait_for_url("**/runs/*/")
    wait_frames(page, 2)
    page.locator("[data-action=pause]").click()
    expect(page.get_by_test_id("run-status")).to_contain_text("paused")
    diagram = page.get_by_test_id("live-diagram")
    top = diagram.bounding_box()["y"]
    page.evaluate(
        "() => { const note = document.createElement('p'); note.style.height = '120px';"
        " document.querySelector('[data-role=controls]').before(note); }"
    )
    box = diagram.bounding_box()
    assert box["y"] >= top + 100  # the diagram moved down
    ticks = page.evaluate("document.querySelector('[data-live-run]').liveRun.recording.lastTick")
    pos = page.evaluate(
        "() => { const p = document.querySelector('[data-live-run]').liveRun.diagram.cy"
        ".getElementById('web-1').renderedPosition(); return {x: p.x, y: p.y}; }"
    )
    page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])
    menu = page.locator("[data-role=node-menu]")
    expect(menu).to_be_visible()
    expect(menu.locator("[data-role=menu-title]")).to_have_text("Web 1")
    menu.locator("[data-action=fail]").click()
    expect(page.get_by_test_id("event-log")).to_contain_text("Web 1", timeout=10_000)
    expect(page.get_by_test_id("run-status")).to_contain_text("paused")
    assert (
        page.evaluate("document.querySelector('[data-live-run]').liveRun.recording.lastTick")
        == ticks
    )
    # Stop the run: its runner saves its last frames before the page says so, and so
    # before the test's database is reset (which a save in flight would deadlock).
    page.locator("[data-action=stop]").click()
    expect(page.get_by_test_id("run-status")).to_have_text("stopped by alice", timeout=10_000)


def count_sockets(page: Page) -> list[str]:
    """The URL of every run socket the page opens, in order."""
    opened: list[str] = []
    page.on("websocket", lambda ws: opened.append(ws.url))
    return opened


def test_a_viewer_whose_link_is_revoked_is_told_so_and_stops_reconnecting(
    page: Page, daphne_server: str, alice: Any, bob: Any, design: Design, watcher: BrowserContext
) -> None:
    link = ShareLink.objects.create(design=design)
    sign_in(watcher, daphne_server, bob)
    viewer = watcher.new_page()
    sockets = count_sockets(viewer)
    viewer.goto(f"{daphne_server}{link.get_absolute_url()}")
    viewer.get_by_test_id("run-button").click()  # bob's own run, through the link
    viewer.wait_for_url("**/runs/*/")
    wait_frames(viewer, 2)

    sign_in(page.context, daphne_server, alice)
    page.goto(f"{daphne_server}{design.get_absolute_url()}?share=open")
    page.get_by_role("button", name="Revoke link").click()

    refused = viewer.get_by_test_id("run-refused")
    expect(refused).to_be_visible(timeout=30_000)
    expect(refused.locator("p:visible")).to_have_text(["You no longer have access to this run."])
    expect(viewer.get_by_test_id("run-status")).to_have_text("status unknown")
    viewer.wait_for_timeout(4_000)  # a reconnect loop would have tried 3 times by now
    assert len(sockets) == 1, sockets
    expect(viewer.locator("[data-role=controls]")).to_be_hidden()
    run = Run.objects.get()
    assert (run.status, run.failure_reason) == ("stopped", "stopped: the share link was revoked")
    shot(viewer, "refused-revoked")


def test_a_signed_out_viewer_is_asked_to_sign_in_and_stops_reconnecting(
    page: Page, daphne_server: str, alice: Any, design: Design
) -> None:
    sockets = count_sockets(page)
    sign_in(page.context, daphne_server, alice)
    page.goto(f"{daphne_server}{design.get_absolute_url()}")
    page.get_by_test_id("run-button").click()
    page.wait_for_url("**/runs/*/")
    wait_frames(page, 2)
    run_path = page.evaluate("location.pathname")

    page.context.clear_cookies()  # signed out in another tab
    page.evaluate("document.querySelector('[data-live-run]').liveRun.socket.ws.close(4000)")

    refused = page.get_by_test_id("run-refused")
    expect(refused).to_be_visible(timeout=30_000)
    expect(refused.locator("p:visible")).to_have_text(["Sign in to watch this run. Sign in"])
    link = refused.get_by_role("link", name="Sign in")
    assert link.get_attribute("href") == f"/accounts/login/?next={run_path}"
    page.wait_for_timeout(4_000)
    assert len(sockets) == 2, sockets  # the first, and the one refused after the drop


def test_the_largest_design_allowed_builds_and_runs_in_the_page(
    page: Page, daphne_server: str, alice: Any
) -> None:
    """Its design (about 1 MB) comes over HTTP; every socket message stays small; the
    diagram gets every component and the frames colour it."""
    from tests.live.test_message_size import largest_design

    design = Design.create_with_document(
        owner=alice, name="Largest", document=largest_design(), message="m"
    )
    sizes: list[int] = []
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda payload: sizes.append(len(payload))),
    )
    sign_in(page.context, daphne_server, alice)
    page.goto(f"{daphne_server}{design.get_absolute_url()}")
    page.get_by_test_id("run-button").click()
    page.wait_for_url("**/runs/*/")
    wait_frames(page, 2)
    count = page.evaluate(
        "document.querySelector('[data-live-run]').liveRun.diagram.cy.nodes().length"
    )
    assert count >= settings.SANDBOX_MAX_COMPONENTS
    expect(page.locator("[data-role=connection]")).to_have_text("live")
    assert node(page, "web-7", "fill") in (OK, STARTING)
    assert 0 < max(sizes) <= settings.LIVE_MAX_MESSAGE_BYTES
    page.locator("[data-action=stop]").click()
    expect(page.get_by_test_id("run-status")).to_contain_text("stopped", timeout=30_000)


def test_the_run_page_fits_a_phone_without_scrolling_sideways(
    page: Page, daphne_server: str, alice: Any, design: Design
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page.context, daphne_server, alice)
    page.goto(f"{daphne_server}{design.get_absolute_url()}")
    page.get_by_test_id("run-button").click()
    page.wait_for_url("**/runs/*/")
    wait_frames(page, 2)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.locator("[data-role=go-live]").bounding_box()
    assert box is not None
    assert 0 <= box["x"] <= box["x"] + box["width"] <= 390
    shot(page, "phone-running")
    page.locator("[data-action=stop]").click()
    expect(page.get_by_test_id("run-status")).to_have_text("stopped by alice", timeout=10_000)


def test_a_retry_storm_shows_late_answers_apart_from_goodput(
    page: Page, daphne_server: str, alice: Any
) -> None:
    """Lesson 15 run to its end: the throughput chart gains the within-deadline and late
    lines once answers come late, and the summary lists both and counts late as errors."""
    lesson = get_example("retry-storm")
    design = Design.create_with_document(
        owner=alice, name="Storm", document=lesson.document, message="m"
    )
    sign_in(page.context, daphne_server, alice)
    page.goto(f"{daphne_server}{design.get_absolute_url()}")
    page.select_option("#run-scenario", "retry-storm")
    page.select_option("#run-speed", "max")
    page.get_by_test_id("run-button").click()
    page.wait_for_url("**/runs/*/")
    throughput = page.locator('[data-chart="throughput"]')
    expect(throughput).to_contain_text("within deadline", timeout=60_000)
    expect(throughput).to_contain_text("late")
    expect(page.get_by_test_id("run-status")).to_contain_text("finished", timeout=120_000)
    summary = page.locator("[data-role=summary-numbers]")
    expect(summary).to_contain_text("served late (user gave up)")
    expect(summary).to_contain_text("served within deadline")
    rows = dict(
        zip(
            summary.locator("dt").all_inner_texts(),
            summary.locator("dd").all_inner_texts(),
            strict=True,
        )
    )
    assert float(rows["error rate"].rstrip("%")) > 80  # late answers are errors
    shot(page, "retry-storm-ended")


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)])
def test_an_overloaded_tier_is_explained_with_its_capacity_and_fixes(
    page: Page, daphne_server: str, alice: Any, width: int, height: int
) -> None:
    """1,000 req/s on two web servers of 1 x 8 x 1000 / 20 ms = 400 req/s each: "What is
    wrong" names each by the label it was given, writes the arithmetic out, and proposes
    fixes; the text stays inside its box at desktop and phone size."""
    overloaded = Design.create_with_document(
        owner=alice, name="Too busy", document=two_web_servers(rps=1000), message="first"
    )
    start_run(page, daphne_server, alice, overloaded, (width, height), speed="20")
    why = page.get_by_test_id("run-why")
    expect(why).to_be_visible(timeout=30_000)
    expect(why).to_contain_text("Web 1 is offered 500 req/s but can serve 400 req/s")
    expect(why).to_contain_text("400 req/s an instance (8 at once × 1000 / 20 ms) × 1 ready")
    expect(why).to_contain_text("2 instances instead of 1 would bring utilisation to 62%")
    expect(why).not_to_contain_text("web-1")
    # Every node's name and numbers stay inside the diagram (the DB at the right edge
    # once had its "primary · 720 rps · 45%" cut off).
    outside = page.evaluate(
        "() => { const cy = document.querySelector('[data-live-run]').liveRun.diagram.cy;"
        " const w = cy.width(), h = cy.height();"
        " return cy.nodes().filter((n) => { const b = n.renderedBoundingBox();"
        " return b.x1 < 0 || b.y1 < 0 || b.x2 > w || b.y2 > h; }).map((n) => n.id()); }"
    )
    assert outside == []
    # Stopped, the summary lists what limited the run, in order, by name.
    page.locator("[data-action=stop]").click()
    bottlenecks = page.get_by_test_id("run-bottlenecks")
    expect(bottlenecks).to_be_visible(timeout=30_000)
    expect(bottlenecks).to_contain_text("Web 1 saturated at 1 s: offered 500 req/s")
    box = why.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"why-{width}")


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)])
def test_a_data_centre_fails_by_clicking_its_box(
    page: Page, daphne_server: str, alice: Any, width: int, height: int
) -> None:
    """The owner clicks a data centre's box (not a member), picks Fail: the box says
    it is down, its members are explained by it, and the menu stayed on screen."""
    example = get_example("multi-dc")
    design = Design.create_with_document(
        owner=alice, name="Two data centres", document=example.document, message="first"
    )
    start_run(page, daphne_server, alice, design, (width, height), speed="1")
    wait_frames(page, 2)
    diagram = page.get_by_test_id("live-diagram")
    diagram.scroll_into_view_if_needed()
    box = diagram.bounding_box()
    corner = page.evaluate(
        "() => { const b = document.querySelector('[data-live-run]').liveRun.diagram.cy"
        ".getElementById('dc-east').renderedBoundingBox({includeLabels: false});"
        " return {x: b.x1 + 10, y: b.y1 + 10}; }"
    )
    page.mouse.click(box["x"] + corner["x"], box["y"] + corner["y"])
    menu = page.locator("[data-role=node-menu]")
    expect(menu).to_be_visible()
    expect(menu.locator("[data-role=scale-row]")).to_be_hidden()
    menu_box = menu.bounding_box()
    assert menu_box is not None
    assert menu_box["x"] >= 0
    assert menu_box["x"] + menu_box["width"] <= width
    menu.locator("[data-action=fail]").click()
    page.wait_for_function(
        "document.querySelector('[data-live-run]').liveRun.recording.frames.at(-1)"
        "?.nodes?.['dc-east']?.health === 'down'",
        timeout=30_000,
    )
    expect(page.get_by_test_id("run-why")).to_contain_text(
        "Web east is down because its data centre Data centre east is down.", timeout=30_000
    )
    expect(page.get_by_test_id("run-why")).to_contain_text(
        "Data centre east is down, and the 3 components in it with it"
    )
    assert node(page, "dc-east", "text") == "Data centre east · down"
    assert page.locator(".live-reason[data-node=dc-east]:visible").count() == 0
    shot(page, f"dc-failed-{width}")


def open_menu(page: Page, component: str) -> None:
    diagram = page.get_by_test_id("live-diagram")
    diagram.scroll_into_view_if_needed()
    box = diagram.bounding_box()
    pos = page.evaluate(
        "(id) => { const p = document.querySelector('[data-live-run]').liveRun.diagram.cy"
        ".getElementById(id).renderedPosition(); return {x: p.x, y: p.y}; }",
        component,
    )
    page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])
    expect(page.locator("[data-role=node-menu]")).to_be_visible()


def test_one_instance_fails_and_a_cache_flushes_from_the_menu(
    page: Page, daphne_server: str, alice: Any
) -> None:
    """The cache lesson's web tier of 8: "Fail one instance" leaves 7 ready; the cache's
    menu offers "Flush the cache" (the web tier's does not), and flushing is logged; a
    traffic spike from the controls bar is logged and raises the offered load."""
    design = Design.create_with_document(
        owner=alice, name="Cache", document=get_example("cache").document, message="first"
    )
    start_run(page, daphne_server, alice, design, (1440, 900))
    wait_frames(page, 2)
    menu = page.locator("[data-role=node-menu]")
    open_menu(page, "web")
    expect(menu.locator("[data-action=flush]")).to_be_hidden()
    menu.locator("[data-action=fail-one]").click()
    page.wait_for_function(
        "document.querySelector('[data-live-run]').liveRun.recording.frames.at(-1)"
        "?.nodes?.web?.ready === 7",
        timeout=30_000,
    )
    open_menu(page, "cache")
    menu.locator("[data-action=flush]").click()
    expect(page.get_by_test_id("event-log")).to_contain_text("flush", timeout=30_000)

    # A spike of 1,000 req/s more for 5 s from the users: logged, and the offered load
    # rises by that much while it lasts.
    before = page.evaluate(
        "document.querySelector('[data-live-run]').liveRun.recording.frames.at(-1)"
        ".global.offered_rps"
    )
    page.locator("[data-role=spike-rps]").fill("1000")
    page.locator("[data-role=spike-s]").fill("5")
    page.locator("[data-action=spike]").click()
    expect(page.get_by_test_id("event-log")).to_contain_text(
        "a spike of 1000 req/s more for 5 s", timeout=30_000
    )
    page.wait_for_function(
        f"document.querySelector('[data-live-run]').liveRun.recording.frames.at(-1)"
        f".global.offered_rps >= {before} + 999",
        timeout=30_000,
    )

    # A setting changes from the menu: the web tier's service time, logged by name.
    open_menu(page, "web")
    menu.locator("[data-role=param-name]").select_option("service_ms")
    menu.locator("[data-role=param-value]").fill("5")
    menu.locator("[data-action=set-param]").click()
    expect(page.get_by_test_id("event-log")).to_contain_text("service_ms set to 5", timeout=30_000)
    open_menu(page, "web")
    menu.locator("[data-role=param-name]").select_option("service_ms")
    expect(menu.locator("[data-role=param-value]")).to_have_value("5")  # as last set
