"""A person's path: build the seeds' classic design from an empty canvas with the palette."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from sandbox.models import Design
from simulation import validate_document

pytestmark = pytest.mark.django_db(transaction=True)


def test_lb_two_web_servers_primary_replica_and_cache_from_the_palette(
    make_design, open_editor
) -> None:
    """Users -> LB -> two web servers -> cache -> DB primary -> replica, saved and valid."""
    design = make_design()
    errors: list[str] = []
    open_editor.page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_editor.page.on(
        "console", lambda msg: errors.append(msg.text) if msg.type in ("error", "warning") else None
    )
    editor = open_editor(design)
    started = time.monotonic()
    users = editor.drag_kind("client", 60, 260)
    lb = editor.drag_kind("load_balancer", 200, 260)
    web1 = editor.drag_kind("web_server", 340, 160)
    web2 = editor.drag_kind("web_server", 340, 360)
    cache = editor.drag_kind("cache", 480, 160)
    primary = editor.drag_kind("database", 480, 360)
    replica = editor.drag_kind("database", 620, 360)
    wanted = [
        (users, lb),
        (lb, web1),
        (lb, web2),
        (web1, cache),
        (web2, cache),
        (cache, primary),
        (web1, primary),
        (web2, primary),
        (primary, replica),
    ]
    for source, target in wanted:
        editor.link(source, target)
    assert sorted(editor.links()) == sorted(wanted)

    # The replica: pick the role in its properties.
    editor.select_only(replica)
    editor.properties_loaded_for(replica)
    editor.page.locator("#prop-role").select_option("replica")
    editor.page.wait_for_function(
        "id => window.sandboxEditor.doc.components.find(c => c.id === id)"
        ".params.role === 'replica'",
        arg=replica,
    )
    editor.page.locator("#prop-label").fill("DB replica")
    editor.page.locator("#prop-label").press("Enter")

    # The validator agrees: no problems listed.
    problems = editor.page.locator("[data-editor-problems]")
    expect(problems).to_contain_text("No problems found.")
    editor.page.get_by_role("button", name="Arrange").click()
    xs = {c["id"]: c["x"] for c in editor.doc()["components"]}
    assert xs[users] < xs[lb] < xs[web1] < xs[cache] < xs[primary] < xs[replica]
    assert xs[web1] == xs[web2]

    editor.page.keyboard.press("Control+s")
    expect(editor.page.locator("[data-editor-status]")).to_have_text("Saved · revision 2")
    elapsed = time.monotonic() - started
    editor.page.keyboard.press("Escape")
    editor.shot("person-path")
    stored = Design.objects.get(pk=design.pk).latest_revision().document
    validate_document(stored)
    kinds = sorted(c["kind"] for c in stored["components"])
    assert kinds == sorted(
        ["client", "load_balancer", "web_server", "web_server", "cache", "database", "database"]
    )
    roles = {c["id"]: c["params"]["role"] for c in stored["components"] if c["kind"] == "database"}
    assert roles == {primary: "primary", replica: "replica"}
    # A scripted person: far below the two minutes a first-time human gets.
    assert elapsed < 60
    assert errors == []
