"""Garbage sent to any view gets a 4xx (or the form again) naming what is wrong, never a 500,
and a rejected write leaves everything stored as it was.

The test client re-raises a view's exception, so a crash fails the test with its traceback.
First the crashes found, then every view that takes input with garbage of every kind;
Hypothesis examples share one test's fixtures, so each runs in a transaction rolled back
after it (`rolled_back`) and starts from the same stored design.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.live.models import Run, RunChunk
from sandbox.models import Design, ShareLink
from simulation import validate_document, validate_scenario
from tests.garbage import FORM_GARBAGE, broken, form_text, json_values, replaced

# One or two requests an example: these keep the whole module to a few seconds.
FEW = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HTMX = {"HX-Request": "true"}


@contextlib.contextmanager
def rolled_back() -> Iterator[None]:
    """One Hypothesis example's writes, undone before the next example."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def stored(design: Design) -> tuple[Any, ...]:
    """Everything a request could change about a design."""
    design.refresh_from_db()
    latest = design.latest_revision()
    return (
        design.name,
        design.description,
        design.visibility,
        design.head,
        design.updated_at,
        design.revisions.count(),
        latest.document,
        latest.message,
        list(design.share_links.values_list("token", "revoked_at")),
    )


def flashed(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def about(path: str, fields: set[str]) -> bool:
    """Whether an error path is about one of ``fields`` (or something inside one)."""
    return any(path == f or path.startswith((f"{f}.", f"{f}[")) for f in fields)


def save(client: Client, design: Design, body: Any, *, raw: bool = False) -> Any:
    """POST the body to the document API as JSON (a string as it is, with ``raw``)."""
    return client.post(
        reverse("api_document", args=[design.pk]),
        body if raw else json.dumps(body),
        content_type="application/json",
    )


def validate(client: Client, body: Any, *, raw: bool = False) -> Any:
    return client.post(
        reverse("api_validate"), body if raw else json.dumps(body), content_type="application/json"
    )


def upload(client: Client, content: bytes, **fields: Any) -> Any:
    file = SimpleUploadedFile("design.json", content, content_type="application/json")
    return client.post(reverse("design_import"), {"file": file, **fields})


def start_run(client: Client, **fields: Any) -> Any:
    return client.post(reverse("live:run_new"), {"scenario": "steady", "speed": "1", **fields})


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Runs handed to the runner (recorded instead of started: these tests have no server)."""
    calls: list[Any] = []
    monkeypatch.setattr("sandbox.live.views.launch_run", calls.append)
    return calls


# -- JSON text that Python's json module cannot decode --------------------------------------

UNREADABLE_JSON = [
    pytest.param("[" * 100_000, "nested too deeply", id="nested-too-deeply"),
    pytest.param('{"n": ' + "1" * 5000 + "}", "more than 4300 digits", id="5000-digit-number"),
]


@pytest.mark.parametrize(("raw", "fragment"), UNREADABLE_JSON)
def test_the_document_api_names_json_it_cannot_read(
    alice_client: Client, design: Design, raw: str, fragment: str
) -> None:
    before = stored(design)
    response = save(alice_client, design, raw, raw=True)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["path"] == ""
    assert "not valid JSON" in error["message"]
    assert fragment in error["message"]
    assert stored(design) == before


@pytest.mark.parametrize(("raw", "fragment"), UNREADABLE_JSON)
def test_validate_names_json_it_cannot_read(anon_client: Client, raw: str, fragment: str) -> None:
    response = validate(anon_client, raw, raw=True)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert fragment in error["message"]


@pytest.mark.parametrize(("raw", "fragment"), UNREADABLE_JSON)
def test_import_names_json_it_cannot_read(
    alice_client: Client, alice: Any, raw: str, fragment: str
) -> None:
    response = upload(alice_client, raw.encode())
    assert response.status_code == 400
    assert fragment in response.text
    assert not Design.objects.filter(owner=alice).exists()


@pytest.mark.parametrize(("raw", "fragment"), UNREADABLE_JSON)
def test_a_custom_scenario_of_json_it_cannot_read_is_named(
    alice_client: Client, design: Design, launched: list[Any], raw: str, fragment: str
) -> None:
    response = start_run(alice_client, design=design.pk, scenario="custom", scenario_json=raw)
    assert response.status_code == 422
    assert "scenario_json" in response.context["form"].errors
    assert fragment in response.text
    assert not Run.objects.exists()
    assert launched == []


@pytest.mark.parametrize(("raw", "fragment"), UNREADABLE_JSON)
def test_the_properties_panel_names_params_it_cannot_read(
    anon_client: Client, raw: str, fragment: str
) -> None:
    response = anon_client.get(
        reverse("editor_properties"), {"kind": "cache", "id": "c", "params": raw}
    )
    assert response.status_code == 400
    assert "params is not valid JSON" in response.text
    assert fragment in response.text


# -- text the database cannot store: NUL, and a lone surrogate (JSON can escape one) ---------

UNSTORABLE_TEXT = [
    pytest.param("a\x00b", "a NUL character", id="nul"),
    pytest.param("a\ud800b", "a lone surrogate", id="lone-surrogate"),
]
PLACES = {
    "name": ("name",),
    "description": ("description",),
    "components[2].label": ("components", 2, "label"),
    "components[0].id": ("components", 0, "id"),
}


@pytest.mark.parametrize(("text", "what"), UNSTORABLE_TEXT)
@pytest.mark.parametrize("path", list(PLACES))
def test_text_the_database_cannot_store_is_named_at_its_path(
    alice_client: Client,
    alice: Any,
    design: Design,
    document: dict[str, Any],
    path: str,
    text: str,
    what: str,
) -> None:
    """The validator, a save and an import all refuse it, naming where it is."""
    bad = replaced(document, PLACES[path], text)
    before = stored(design)
    problems = validate(alice_client, bad).json()["problems"]
    assert any(p["path"] == path and what in p["message"] for p in problems), problems
    response = save(alice_client, design, {"base_revision": 1, "document": bad})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(e["path"] == f"document.{path}" and what in e["message"] for e in errors)
    assert stored(design) == before
    response = upload(alice_client, json.dumps(bad).encode())
    assert response.status_code == 400
    assert what in response.text
    assert Design.objects.filter(owner=alice).count() == 1


@pytest.mark.parametrize(("text", "what"), UNSTORABLE_TEXT)
def test_a_key_the_database_cannot_store_is_named_at_its_object(
    alice_client: Client, design: Design, document: dict[str, Any], text: str, what: str
) -> None:
    bad = replaced(document, ("components", 0, "params"), {text: 1})
    response = save(alice_client, design, {"base_revision": 1, "document": bad})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(
        e["path"] == "document.components[0].params" and what in e["message"] for e in errors
    ), errors


@pytest.mark.parametrize(("text", "what"), UNSTORABLE_TEXT)
def test_a_save_message_the_database_cannot_store_is_named(
    alice_client: Client, design: Design, document: dict[str, Any], text: str, what: str
) -> None:
    before = stored(design)
    response = save(
        alice_client, design, {"base_revision": 1, "document": document, "message": text}
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["path"] == "message"
    assert what in error["message"]
    assert stored(design) == before


@pytest.mark.parametrize(("text", "what"), UNSTORABLE_TEXT)
@pytest.mark.parametrize("field", ["name", "description"])
def test_a_custom_scenario_the_database_cannot_store_is_named(
    alice_client: Client, design: Design, launched: list[Any], field: str, text: str, what: str
) -> None:
    scenario = json.dumps({"duration_s": 60, field: text})
    response = start_run(alice_client, design=design.pk, scenario="custom", scenario_json=scenario)
    assert response.status_code == 422
    [error] = response.context["form"].errors["scenario_json"]
    assert error.startswith(f"{field}: contains {what}")
    assert not Run.objects.exists()


@pytest.mark.parametrize(
    "scenario",
    [
        {"\ud800": 1},
        {"faults": [{"at": 5, "target": "web", "action": "fail", "why\ud800": "x"}]},
        {"checks": [{"component": "web\ud800", "metric": "util", "value": 0.9}]},
    ],
    ids=["top-key", "key-in-a-fault", "value-in-a-check"],
)
def test_a_custom_scenario_with_a_lone_surrogate_anywhere_is_named(
    alice_client: Client, design: Design, launched: list[Any], scenario: dict[str, Any]
) -> None:
    """The page can show the problem: the engine would quote such a key in its path."""
    custom = json.dumps(scenario)
    response = start_run(alice_client, design=design.pk, scenario="custom", scenario_json=custom)
    assert response.status_code == 422
    errors = response.context["form"].errors["scenario_json"]
    assert all("a lone surrogate" in error for error in errors)
    assert not Run.objects.exists()


@pytest.mark.parametrize(
    ("kind", "params", "path"),
    [
        ("web_server", {"instances": "\ud800"}, "params.instances"),
        ("load_balancer", {"weights": {"web\ud800": 1}}, "params.weights"),
        ("web_server", {"service_ms": "a\x00b"}, "params.service_ms"),
    ],
)
def test_the_properties_panel_names_params_it_cannot_show(
    anon_client: Client, kind: str, params: dict[str, Any], path: str
) -> None:
    response = anon_client.get(
        reverse("editor_properties"), {"kind": kind, "id": "x", "params": json.dumps(params)}
    )
    assert response.status_code == 400
    assert f"{path}: " in response.text


# -- share tokens with a NUL (PostgreSQL cannot look one up) -----------------------------------


@pytest.mark.parametrize("token", ["\x00", "a\x00b"])
def test_a_share_token_with_a_nul_is_404(
    alice_client: Client, share_link: ShareLink, launched: list[Any], token: str
) -> None:
    quoted = token.replace("\x00", "%00")
    for path in ("/s/{}/", "/s/{}/export/", "/api/s/{}/document"):
        assert alice_client.get(path.format(quoted)).status_code == 404
    assert alice_client.post(f"/s/{quoted}/fork/").status_code == 404
    assert alice_client.get(reverse("live:run_new"), {"token": token}).status_code == 404
    assert start_run(alice_client, token=token).status_code == 404
    assert Design.objects.count() == 1
    assert not Run.objects.exists()


# -- a search with a NUL (PostgreSQL cannot search for one) ----------------------------------


@pytest.mark.parametrize("query", ["\x00", "pay\x00ments"])
def test_a_search_with_a_nul_is_400_naming_the_search(
    alice_client: Client, design: Design, query: str
) -> None:
    response = alice_client.get(reverse("design_list"), {"q": query})
    assert response.status_code == 400
    assert response.text.startswith("q: ")
    assert "NUL" in response.text
    table = alice_client.get(
        reverse("design_list"),
        {"q": query},
        headers={**HTMX, "HX-Target": "design-table"},
    )
    assert table.status_code == 400


# == every view that takes input, with garbage of every kind ================================


def form_data(valid: dict[str, str]) -> st.SearchStrategy[dict[str, str]]:
    """A form's fields, each valid, garbage or missing, sometimes with one it does not know."""
    optional = {name: st.just(value) | form_text for name, value in valid.items()}
    return st.fixed_dictionaries({}, optional={**optional, "unknown": form_text})


# -- the document API and the validator ----------------------------------------------------


@FEW
@given(data=st.data())
def test_any_save_envelope_is_saved_or_refused_naming_its_field(
    alice_client: Client, design: Design, data: st.DataObject
) -> None:
    """The envelope (base_revision, document, message) broken anywhere, the document's
    insides included: 200, 409 or 422 with every error at a path of the body, and nothing
    stored unless 200."""
    valid = {
        "base_revision": design.head,
        "document": design.latest_revision().document,
        "message": "edit",
    }
    body = data.draw(broken(valid))
    with rolled_back():
        before = stored(design)
        response = save(alice_client, design, body)
        assert response.status_code in (200, 409, 422)
        if response.status_code == 422:
            errors = response.json()["errors"]
            assert errors
            fields = {"base_revision", "document", *body} if isinstance(body, dict) else {""}
            for error in errors:
                assert about(error["path"], fields), error
                assert isinstance(error["message"], str)
                assert error["message"]
        if response.status_code != 200:
            assert stored(design) == before


@FEW
@given(data=st.data())
def test_a_document_the_validator_accepts_is_saved_and_one_it_refuses_is_not(
    alice_client: Client, design: Design, data: st.DataObject
) -> None:
    """The editor validates as the user edits and saves what passed: both must agree."""
    document = data.draw(broken(design.latest_revision().document))
    with rolled_back():
        before = stored(design)
        checked = validate(alice_client, document)
        assert checked.status_code == 200
        problems = checked.json()["problems"]
        response = save(alice_client, design, {"base_revision": design.head, "document": document})
        if not problems:
            assert response.status_code == 200, response.json()
            return
        assert response.status_code == 422
        paths = [e["path"] for e in response.json()["errors"]]
        assert all(about(p, {"document"}) for p in paths)
        inside = [p.removeprefix("document").removeprefix(".") for p in paths]
        assert inside == [p["path"] for p in problems]
        assert stored(design) == before


@FEW
@given(body=json_values)
def test_validate_answers_any_json_with_its_problems(anon_client: Client, body: Any) -> None:
    response = validate(anon_client, body)
    assert response.status_code == 200
    problems = response.json()["problems"]
    if not isinstance(body, dict):
        assert [p["path"] for p in problems] == [""]
    assert all(isinstance(p["path"], str) and p["message"] for p in problems)


# -- import ------------------------------------------------------------------------------------


@FEW
@given(data=st.data())
def test_an_import_of_any_json_creates_a_design_or_lists_its_problems(
    alice_client: Client, alice: Any, design: Design, data: st.DataObject
) -> None:
    document = data.draw(broken(design.latest_revision().document))
    fields = data.draw(st.fixed_dictionaries({}, optional={"name": form_text}))
    with rolled_back():
        count = Design.objects.filter(owner=alice).count()
        response = upload(alice_client, json.dumps(document).encode(), **fields)
        if response.status_code == 302:
            created = Design.objects.filter(owner=alice).latest("pk")
            assert created.latest_revision().document == document
            assert response["Location"] == created.get_absolute_url()
            return
        assert response.status_code == 400
        assert response.context["problems"] or response.context["form"].errors
        assert Design.objects.filter(owner=alice).count() == count


# -- forms: new design, rename, settings -------------------------------------------------------


@FEW
@given(fields=form_data({"name": "Payments"}))
def test_a_new_design_gets_its_name_or_a_message_saying_what_is_wrong(
    alice_client: Client, alice: Any, fields: dict[str, str]
) -> None:
    with rolled_back():
        response = alice_client.post(reverse("design_create"), fields)
        assert response.status_code == 302
        created = Design.objects.filter(owner=alice).first()
        if created is None:
            assert any("name" in m for m in flashed(response))
        else:
            assert created.name == fields["name"].strip()


@FEW
@given(fields=form_data({"name": "Renamed"}), htmx=st.booleans())
def test_a_rename_saves_the_name_or_keeps_the_stored_one(
    alice_client: Client, design: Design, fields: dict[str, str], htmx: bool
) -> None:
    url = reverse("design_rename", args=[design.pk])
    with rolled_back():
        before = stored(design)
        response = alice_client.post(url, fields, headers=HTMX if htmx else {})
        assert response.status_code == (200 if htmx else 302)
        design.refresh_from_db()
        if design.name != before[0]:
            assert design.name == fields["name"].strip()
            return
        assert stored(design) == before
        if htmx:
            assert "name" in response.context["form"].errors
        else:
            assert flashed(response)


@FEW
@given(fields=form_data({"name": "N", "description": "D", "visibility": "public"}))
def test_settings_are_saved_or_the_form_names_the_bad_field(
    alice_client: Client, design: Design, fields: dict[str, str]
) -> None:
    with rolled_back():
        before = stored(design)
        response = alice_client.post(reverse("design_settings", args=[design.pk]), fields)
        if response.status_code == 302:
            return
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert errors
        assert set(errors) <= {"name", "description", "visibility"}
        assert stored(design) == before


# -- query strings: the list, the history, exports ---------------------------------------------


def test_the_list_answers_any_search_sort_or_page(
    alice_client: Client, design: Design, subtests: Any
) -> None:
    for value in FORM_GARBAGE:
        for name in ("q", "sort", "page"):
            with subtests.test(name=name, value=value[:20]):
                response = alice_client.get(reverse("design_list"), {name: value})
                if response.status_code == 400:
                    assert response.text.startswith(f"{name}: ")
                else:
                    assert response.status_code == 200
                table = alice_client.get(
                    reverse("design_list"),
                    {name: value},
                    headers={**HTMX, "HX-Target": "design-table"},
                )
                assert table.status_code == response.status_code


def test_the_history_explains_any_comparison(
    alice_client: Client, design: Design, subtests: Any
) -> None:
    url = reverse("design_history", args=[design.pk])
    for value in FORM_GARBAGE:
        for query in ({"a": value, "b": "1"}, {"a": "1", "b": value}, {"a": value}):
            with subtests.test(query={k: v[:20] for k, v in query.items()}):
                response = alice_client.get(url, query)
                assert response.status_code in (200, 400)
                if response.status_code == 400:
                    assert response.context["compare_error"]
                # htmx swaps only 2xx answers: the inline error comes back as 200.
                diff = alice_client.get(url, query, headers={**HTMX, "HX-Target": "diff"})
                assert diff.status_code == 200


def test_an_export_of_any_revision_is_the_file_or_404(
    alice_client: Client, design: Design, subtests: Any
) -> None:
    url = reverse("design_export", args=[design.pk])
    for value in FORM_GARBAGE:
        with subtests.test(value=value[:20]):
            response = alice_client.get(url, {"revision": value})
            assert response.status_code in (200, 404)
            if response.status_code == 200:
                assert json.loads(response.content) == design.latest_revision().document


# -- posts that take no fields; ids and tokens in the URL -------------------------------------

NO_FIELDS = ["design_duplicate", "share_create", "share_revoke", "design_fork", "design_delete"]


def test_posts_without_fields_ignore_any_they_get(
    alice_client: Client, alice: Any, document: dict[str, Any], subtests: Any
) -> None:
    for value in ("\x00", "x" * 100_000, "9" * 5000):
        for name in NO_FIELDS:
            with subtests.test(name=name, value=value[:20]):
                design = Design.create_with_document(
                    owner=alice, name="Scratch", document=document, message="Created"
                )
                response = alice_client.post(reverse(name, args=[design.pk]), {"name": value})
                assert response.status_code == 302


def test_a_design_or_revision_that_cannot_exist_is_404(
    alice_client: Client, design: Design, subtests: Any
) -> None:
    for pk in ("0", "9" * 30):
        with subtests.test(pk=pk):
            for name in [*NO_FIELDS, "design_rename", "design_settings", "design_row"]:
                url = reverse(name, args=[design.pk]).replace(f"/{design.pk}/", f"/{pk}/")
                response = alice_client.get(url) if name == "design_row" else alice_client.post(url)
                assert response.status_code == 404
            for path in ("/designs/{}/", "/designs/{}/history/", "/api/designs/{}/document"):
                assert alice_client.get(path.format(pk)).status_code == 404
            restore = f"/designs/{design.pk}/history/{pk}/restore/"
            assert alice_client.post(restore).status_code == 404


def test_a_share_token_or_template_that_cannot_exist_is_404(
    alice_client: Client, share_link: ShareLink, subtests: Any
) -> None:
    for token in ("%00", "x" * 1000, "..", "%ED%A0%80", "%FF", "' OR 1=1 --", "-"):
        with subtests.test(token=token[:20]):
            for path in ("/s/{}/", "/s/{}/export/", "/api/s/{}/document"):
                assert alice_client.get(path.format(token)).status_code == 404
            assert alice_client.post(f"/s/{token}/fork/").status_code == 404
            assert alice_client.post(f"/templates/{token}/use/").status_code == 404


# -- the editor's properties panel --------------------------------------------------------------

PANEL_FIELDS = {
    "kind": "web_server",
    "id": "web",
    "params": '{"instances": 2}',
    "targets": "a,b",
    "names": '{"a": "Web A"}',
    "link": "0",
    "from": "lb",
    "to": "web",
    "label": "Web",
    "read_only": "0",
    "p.instances": "3",
    "p.size": "large",
    "p.service_ms": "20",
    "p.weights.a": "2",
}


@FEW
@given(fields=form_data(PANEL_FIELDS), post=st.booleans())
def test_the_properties_panel_shows_or_checks_any_fields(
    anon_client: Client, fields: dict[str, str], post: bool
) -> None:
    url = reverse("editor_properties")
    response = anon_client.post(url, fields) if post else anon_client.get(url, fields)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert any(name in response.text for name in ("kind", "id", "params"))
    elif post:
        trigger = json.loads(response["HX-Trigger"])["editor:params"]
        assert set(trigger) == {"id", "params", "errors"}


@FEW
@given(params=json_values)
def test_the_properties_panel_shows_any_json_params(anon_client: Client, params: Any) -> None:
    response = anon_client.get(
        reverse("editor_properties"),
        {"kind": "load_balancer", "id": "lb", "params": json.dumps(params), "targets": "a"},
    )
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.text.startswith("Cannot show the properties: params")


# -- accounts ---------------------------------------------------------------------------------


@FEW
@given(fields=form_data({"username": "alice", "password": "x"}))
def test_a_login_with_any_fields_shows_the_form_again(
    anon_client: Client, alice: Any, fields: dict[str, str]
) -> None:
    response = anon_client.post(reverse("login"), fields)
    assert response.status_code == 200
    assert response.context["form"].errors


@FEW
@given(fields=form_data({"username": "carol", "password1": "a-long-pass", "password2": "x"}))
def test_a_signup_with_any_fields_names_what_is_wrong(db: None, fields: dict[str, str]) -> None:
    with rolled_back():
        response = Client().post(reverse("signup"), fields)
        assert response.status_code in (302, 400)
        if response.status_code == 400:
            assert response.context["form"].errors


# -- live runs: the start form, frames, replay, exports -----------------------------------------


@pytest.fixture
def run(design: Design, alice: Any) -> Run:
    """A finished run of alice's design with ten recorded frames."""
    revision = design.latest_revision()
    scenario = validate_scenario({"duration_s": 10}, validate_document(revision.document))
    run = Run.objects.create(
        revision=revision, owner=alice, scenario_name="custom", scenario=scenario, status="finished"
    )
    RunChunk.objects.create(run=run, first_tick=0, frames=[{"tick": t} for t in range(10)])
    return run


RUN_FIELDS = {"scenario": "steady", "scenario_json": "{}", "seed": "7", "speed": "10"}


@FEW
@given(fields=form_data(RUN_FIELDS), which=st.sampled_from(["design", "token", "both"]))
def test_a_run_starts_or_the_form_names_the_bad_field(
    alice_client: Client,
    design: Design,
    share_link: ShareLink,
    launched: list[Any],
    fields: dict[str, str],
    which: str,
) -> None:
    """The start form's fields of every wrong kind, for a design named by pk or share link."""
    data = dict(fields)
    if which in ("design", "both"):
        data["design"] = str(design.pk)
    if which in ("token", "both"):
        data["token"] = share_link.token
    with rolled_back():
        response = alice_client.post(reverse("live:run_new"), data)
        if response.status_code == 302:
            assert Run.objects.count() == 1
            return
        assert response.status_code == 422
        assert response.context["form"].errors
        assert not Run.objects.exists()


@FEW
@given(data=st.data())
def test_any_custom_scenario_starts_a_run_or_is_named(
    alice_client: Client, design: Design, launched: list[Any], data: st.DataObject
) -> None:
    scenario = {
        "duration_s": 60,
        "seed": 3,
        "name": "Flash sale",
        "faults": [{"at": 5, "target": "web", "action": "fail"}],
    }
    custom = json.dumps(data.draw(broken(scenario)))
    with rolled_back():
        response = start_run(
            alice_client, design=design.pk, scenario="custom", scenario_json=custom
        )
        if response.status_code == 302:
            assert Run.objects.get().scenario_name == "custom"
            return
        assert response.status_code == 422
        assert "scenario_json" in response.context["form"].errors
        assert not Run.objects.exists()


def test_the_start_form_answers_404_for_any_design_or_token_that_cannot_exist(
    alice_client: Client, design: Design, launched: list[Any], subtests: Any
) -> None:
    for value in FORM_GARBAGE:
        for query in ({"design": value}, {"token": value}):
            with subtests.test(query={k: v[:20] for k, v in query.items()}):
                assert alice_client.get(reverse("live:run_new"), query).status_code == 404
                assert start_run(alice_client, **query).status_code == 404
    assert not Run.objects.exists()


def test_frames_and_replay_answer_any_tick_range(
    alice_client: Client, run: Run, subtests: Any
) -> None:
    frames = reverse("live:run_frames", args=[run.pk])
    replay = reverse("live:run_replay", args=[run.pk])
    for value in FORM_GARBAGE:
        with subtests.test(value=value[:20]):
            response = alice_client.get(frames, {"since": value})
            assert response.status_code in (200, 400)
            if response.status_code == 400:
                assert response.json()["error"].startswith("since: ")
            for query in ({"from": value, "to": "5"}, {"from": "0", "to": value}, {"from": value}):
                response = alice_client.get(replay, query)
                assert response.status_code in (200, 400)
                if response.status_code == 400:
                    assert response.json()["error"].startswith(("from: ", "to: "))


def test_run_pages_and_exports_ignore_any_query(alice_client: Client, run: Run) -> None:
    for value in ("\x00", "x" * 10_000, "9" * 5000):
        for name in ("live:run_detail", "live:run_export_csv", "live:run_export_json"):
            response = alice_client.get(reverse(name, args=[run.pk]), {"q": value, "since": value})
            assert response.status_code == 200


def test_a_run_that_cannot_exist_is_404(alice_client: Client) -> None:
    for run_id in ("0", "not-a-uuid", "%00", "x" * 1000, "00000000-0000-0000-0000-000000000000"):
        for path in ("/runs/{}/", "/runs/{}/frames.json", "/runs/{}/replay.json?from=0&to=1"):
            assert alice_client.get(path.format(run_id)).status_code == 404
