"""Who may do what: every view and API endpoint against every persona.

Personas: the owner (alice), another user (bob), an anonymous visitor, the holder of an
active share link, the holder of a revoked one, and a reader of a public design. Anything
a persona may not see answers 404 (like a design that does not exist); pages that need an
account send anonymous visitors to the login page.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.urls import reverse

from sandbox.asgi import application
from sandbox.live.models import Run, RunStatus
from sandbox.models import Design, ShareLink, Visibility
from simulation import validate_scenario

LOGIN = "/accounts/login/"

OWNER, OTHER, ANON = "alice_client", "bob_client", "anon_client"

# (name, method, url name, expected status per persona: owner, other user, anonymous)
DESIGN_ENDPOINTS = [
    ("design page", "get", "design_detail", (200, 404, 404)),
    ("list row", "get", "design_row", (200, 404, 302)),
    ("rename form", "get", "design_rename", (302, 404, 302)),
    ("rename", "post", "design_rename", (302, 404, 302)),
    ("settings page", "get", "design_settings", (200, 404, 302)),
    ("settings save", "post", "design_settings", (302, 404, 302)),
    ("duplicate", "post", "design_duplicate", (302, 404, 302)),
    ("delete confirmation", "get", "design_delete", (200, 404, 302)),
    ("delete", "post", "design_delete", (302, 404, 302)),
    ("export", "get", "design_export", (200, 404, 404)),
    ("fork", "post", "design_fork", (302, 404, 302)),
    ("share", "post", "share_create", (302, 404, 302)),
    ("revoke share", "post", "share_revoke", (302, 404, 302)),
    ("history", "get", "design_history", (200, 404, 302)),
    ("api get document", "get", "api_document", (200, 404, 404)),
    ("api save document", "post", "api_document", (200, 404, 404)),
]

POST_DATA = {
    "design_rename": {"name": "Renamed"},
    "design_settings": {"name": "Renamed", "description": "", "visibility": "private"},
}


def _call(client: Client, method: str, url: str, name: str, design: Design) -> Any:
    if name == "api_document" and method == "post":
        body = {"base_revision": design.head, "document": design.latest_revision().document}
        return client.post(url, json.dumps(body), content_type="application/json")
    if method == "post":
        return client.post(url, POST_DATA.get(name, {}))
    return client.get(url)


@pytest.mark.parametrize(("label", "method", "name", "expected"), DESIGN_ENDPOINTS)
@pytest.mark.parametrize("persona", [OWNER, OTHER, ANON])
def test_it_checks_ownership_of_private_designs(
    request: pytest.FixtureRequest,
    design: Design,
    persona: str,
    label: str,
    method: str,
    name: str,
    expected: tuple[int, int, int],
) -> None:
    client = request.getfixturevalue(persona)
    url = reverse(name, args=[design.pk])
    response = _call(client, method, url, name, design)
    want = expected[[OWNER, OTHER, ANON].index(persona)]
    assert response.status_code == want, f"{label} as {persona}"
    if want == 302 and persona == ANON:
        assert response.url.startswith(LOGIN), f"{label} sends anonymous visitors to log in"


def test_it_answers_404_for_the_history_restore_of_others(
    bob_client: Client, anon_client: Client, design: Design
) -> None:
    url = reverse("revision_restore", args=[design.pk, 1])
    assert bob_client.post(url).status_code == 404
    assert anon_client.post(url).url.startswith(LOGIN)
    assert design.revisions.count() == 1


# (name, method, url name, expected for the other user, for anonymous)
PUBLIC_ENDPOINTS = [
    ("design page", "get", "design_detail", 200, 200),
    ("export", "get", "design_export", 200, 200),
    ("api get document", "get", "api_document", 200, 200),
    ("api save document", "post", "api_document", 403, 403),
    ("fork", "post", "design_fork", 302, 302),
    ("history", "get", "design_history", 404, 302),
    ("rename", "post", "design_rename", 404, 302),
    ("delete", "post", "design_delete", 404, 302),
    ("share", "post", "share_create", 404, 302),
]


@pytest.mark.parametrize(("label", "method", "name", "other", "anon"), PUBLIC_ENDPOINTS)
def test_it_lets_everyone_read_a_public_design_but_only_the_owner_change_it(
    bob_client: Client,
    anon_client: Client,
    public_design: Design,
    label: str,
    method: str,
    name: str,
    other: int,
    anon: int,
) -> None:
    url = reverse(name, args=[public_design.pk])
    before = (public_design.head, public_design.name)
    assert _call(bob_client, method, url, name, public_design).status_code == other, label
    assert _call(anon_client, method, url, name, public_design).status_code == anon, label
    public_design.refresh_from_db()
    assert (public_design.head, public_design.name) == before


TOKEN_ENDPOINTS = [
    ("shared page", "get", "shared_design"),
    ("shared export", "get", "shared_export"),
    ("shared api document", "get", "api_shared_document"),
]


@pytest.mark.parametrize(("label", "method", "name"), TOKEN_ENDPOINTS)
@pytest.mark.parametrize("persona", [OWNER, OTHER, ANON])
def test_it_opens_an_active_share_link_for_anyone(
    request: pytest.FixtureRequest,
    share_link: ShareLink,
    persona: str,
    label: str,
    method: str,
    name: str,
) -> None:
    client = request.getfixturevalue(persona)
    response = getattr(client, method)(reverse(name, args=[share_link.token]))
    assert response.status_code == 200, f"{label} as {persona}"


@pytest.mark.parametrize(("label", "method", "name"), TOKEN_ENDPOINTS)
@pytest.mark.parametrize("persona", [OWNER, OTHER, ANON])
def test_it_answers_404_for_a_revoked_share_link(
    request: pytest.FixtureRequest,
    revoked_link: ShareLink,
    persona: str,
    label: str,
    method: str,
    name: str,
) -> None:
    client = request.getfixturevalue(persona)
    response = getattr(client, method)(reverse(name, args=[revoked_link.token]))
    assert response.status_code == 404, f"{label} as {persona}"


@pytest.mark.parametrize("name", ["shared_design", "shared_export", "api_shared_document"])
def test_it_answers_404_for_an_unknown_token(anon_client: Client, name: str) -> None:
    assert anon_client.get(reverse(name, args=["not-a-token"])).status_code == 404


def test_a_share_link_does_not_open_the_design_by_id(
    anon_client: Client, bob_client: Client, share_link: ShareLink
) -> None:
    """The token grants access through /s/<token>/ only; the private id stays closed."""
    anon_client.get(share_link.get_absolute_url())
    for client in (anon_client, bob_client):
        assert client.get(reverse("design_detail", args=[share_link.design.pk])).status_code == 404
        url = reverse("api_document", args=[share_link.design.pk])
        assert client.get(url).status_code == 404


def test_a_share_link_holder_can_fork_but_not_save(
    bob_client: Client, share_link: ShareLink
) -> None:
    design = share_link.design
    response = bob_client.post(reverse("shared_fork", args=[share_link.token]))
    assert response.status_code == 302
    body = {"base_revision": design.head, "document": design.latest_revision().document}
    saved = bob_client.post(
        reverse("api_document", args=[design.pk]), json.dumps(body), "application/json"
    )
    assert saved.status_code == 404
    design.refresh_from_db()
    assert design.head == 1


def test_a_revoked_link_cannot_be_forked(bob_client: Client, revoked_link: ShareLink) -> None:
    response = bob_client.post(reverse("shared_fork", args=[revoked_link.token]))
    assert response.status_code == 404
    assert not Design.objects.filter(owner__username="bob").exists()


def test_anonymous_visitors_must_log_in_to_fork(anon_client: Client, share_link: ShareLink) -> None:
    response = anon_client.post(reverse("shared_fork", args=[share_link.token]))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    assert Design.objects.count() == 1


@pytest.mark.parametrize("name", ["design_list", "design_import", "design_create"], ids=lambda n: n)
def test_pages_of_my_own_need_an_account(anon_client: Client, name: str) -> None:
    method = anon_client.post if name == "design_create" else anon_client.get
    response = method(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_the_list_shows_only_my_designs(
    bob_client: Client, design: Design, public_design: Design
) -> None:
    response = bob_client.get(reverse("design_list"))
    assert design.name not in response.text
    assert public_design.name not in response.text


# The matrix: every view that reads a design or a run, and the run socket, against every
# persona. The design is alice's, and (but for the public one) has an active share link:
# existing is not enough, only presenting its token opens it. Personas present a token
# on the token URLs: the owner and the holder the active one, the revoked holder theirs,
# the others one they guessed.

PERSONAS = ["owner", "other", "anonymous", "holder", "revoked", "public"]

# (label, method, url of (design pk, run id, token), data, expected status per persona)
MATRIX = [
    ("design page", "get", "/designs/{pk}/", None, (200, 404, 404, 404, 404, 200)),
    ("api document", "get", "/api/designs/{pk}/document", None, (200, 404, 404, 404, 404, 200)),
    ("design export", "get", "/designs/{pk}/export/", None, (200, 404, 404, 404, 404, 200)),
    ("history", "get", "/designs/{pk}/history/", None, (200, 404, 302, 404, 404, 404)),
    ("fork", "post", "/designs/{pk}/fork/", {}, (302, 404, 302, 404, 404, 302)),
    ("shared page", "get", "/s/{token}/", None, (200, 404, 404, 200, 404, 404)),
    ("shared api", "get", "/api/s/{token}/document", None, (200, 404, 404, 200, 404, 404)),
    ("shared export", "get", "/s/{token}/export/", None, (200, 404, 404, 200, 404, 404)),
    ("shared fork", "post", "/s/{token}/fork/", {}, (302, 404, 302, 302, 404, 404)),
    ("run form by id", "get", "/runs/new/?design={pk}", None, (200, 404, 302, 404, 404, 200)),
    ("start by id", "post", "/runs/new/", {"design": "{pk}"}, (302, 404, 302, 404, 404, 302)),
    ("run form by token", "get", "/runs/new/?token={token}", None, (200, 404, 302, 200, 404, 404)),
    ("start by token", "post", "/runs/new/", {"token": "{token}"}, (302, 404, 302, 302, 404, 404)),
    ("run page", "get", "/runs/{run}/", None, (200, 404, 302, 200, 404, 200)),
    ("frames.json", "get", "/runs/{run}/frames.json", None, (200, 404, 302, 200, 404, 200)),
    ("replay.json", "get", "/runs/{run}/replay.json?from=0&to=5", None,
     (200, 404, 302, 200, 404, 200)),
    ("export.csv", "get", "/runs/{run}/export.csv", None, (200, 404, 302, 200, 404, 200)),
    ("export.json", "get", "/runs/{run}/export.json", None, (200, 404, 302, 200, 404, 200)),
]  # fmt: skip


def a_finished_run(design: Design) -> Run:
    revision = design.latest_revision()
    scenario = validate_scenario({"duration_s": 60}, revision.document)
    return Run.objects.create(
        revision=revision,
        owner=design.owner,
        scenario_name="steady",
        scenario=scenario,
        status=RunStatus.FINISHED,
    )


def persona_setup(
    request: pytest.FixtureRequest, persona: str, design: Design
) -> tuple[Client, str]:
    """The persona's client and the token it presents; the design made as it sees it."""
    if persona == "public":
        design.visibility = Visibility.PUBLIC
        design.save(update_fields=["visibility"])
        return request.getfixturevalue("bob_client"), "guessed-token"
    link = ShareLink.objects.create(design=design)
    if persona == "owner":
        return request.getfixturevalue("alice_client"), link.token
    if persona == "anonymous":
        return request.getfixturevalue("anon_client"), "guessed-token"
    bob_client = request.getfixturevalue("bob_client")
    if persona == "other":
        return bob_client, "guessed-token"
    assert bob_client.get(link.get_absolute_url()).status_code == 200  # the session keeps it
    if persona == "revoked":
        link.revoke()
    return bob_client, link.token


@pytest.mark.parametrize(("label", "method", "url", "data", "expected"), MATRIX)
@pytest.mark.parametrize("persona", PERSONAS)
def test_every_view_of_a_design_or_run_answers_each_persona(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    design: Design,
    persona: str,
    label: str,
    method: str,
    url: str,
    data: dict[str, str] | None,
    expected: tuple[int, ...],
) -> None:
    monkeypatch.setattr("sandbox.live.views.launch_run", lambda run_id: None)
    client, token = persona_setup(request, persona, design)
    run = a_finished_run(design)
    fill = {"pk": design.pk, "run": run.pk, "token": token}
    if method == "post":
        body = {"scenario": "steady", "speed": "1"} | {
            k: v.format(**fill) for k, v in (data or {}).items()
        }
        response = client.post(url.format(**fill), body)
    else:
        response = client.get(url.format(**fill))
    want = expected[PERSONAS.index(persona)]
    assert response.status_code == want, f"{label} as {persona}"
    if want == 302 and persona == "anonymous":
        assert response.url.startswith(LOGIN), f"{label} sends anonymous visitors to log in"


# The run socket: a hello, or the close code of the refusal.
SOCKET = {
    "owner": "hello",
    "other": 4403,
    "anonymous": 4401,
    "holder": "hello",
    "revoked": 4403,
    "public": "hello",
}


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", PERSONAS)
async def test_the_run_socket_answers_each_persona(
    request: pytest.FixtureRequest, design: Design, persona: str
) -> None:
    client, _token = await database_sync_to_async(persona_setup)(request, persona, design)
    run = await database_sync_to_async(a_finished_run)(design)
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if settings.SESSION_COOKIE_NAME in client.cookies:
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        headers.append((b"cookie", cookie.encode()))
    comm = WebsocketCommunicator(application, f"/ws/runs/{run.pk}/", headers=headers)
    connected, _ = await comm.connect(timeout=5)
    assert connected
    first = await comm.receive_json_from(timeout=5)
    if SOCKET[persona] == "hello":
        assert first["type"] == "hello", persona
        assert first["run"]["is_owner"] is (persona == "owner")
    else:
        assert (first["type"], first["code"]) == ("error", SOCKET[persona]), persona
        closed = await comm.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": SOCKET[persona]}
    await comm.disconnect()
