"""The JSON API for the editor and for scripts (see docs/api.md)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import simulation
from sandbox.access import get_readable_design, get_share_link, is_owner, readable_revision
from sandbox.documents import (
    InputError,
    InputProblem,
    check_document,
    limits,
    parse_json,
    unstorable_text,
)
from sandbox.http import HtmxHttpRequest, json_error, json_not_found
from sandbox.models import StaleRevisionError
from sandbox.ratelimit import READS, WRITES, rate_limit

_SAVE_KEYS = {"base_revision", "base_saves", "document", "message", "autosave"}
_SAVE_KEYS_TEXT = "base_revision, base_saves, document, message, autosave"


@require_GET
@rate_limit(READS, methods=("GET",))
def catalog(request: HtmxHttpRequest) -> JsonResponse:
    return JsonResponse(simulation.catalog())


def _body(request: HtmxHttpRequest) -> Any:
    try:
        raw = request.body
    except RequestDataTooBig:
        raise InputError(
            [InputProblem("", "the request body is too large for a design document")]
        ) from None
    return parse_json(raw)


@require_POST
@rate_limit(READS)  # stores nothing; the editor checks after every change
def validate(request: HtmxHttpRequest) -> JsonResponse:
    """Every problem of the posted document (an empty list means it is valid) and, for a
    valid one, the engine's warnings: likely mistakes that block neither a save nor a run."""
    try:
        document = _body(request)
    except InputError as error:
        return json_error(400, error.to_json(), problems=error.to_json())
    try:
        check_document(document)
    except InputError as error:
        return JsonResponse({"problems": error.to_json(), "warnings": []})
    warnings = simulation.design_warnings(document, limits())
    return JsonResponse({"problems": [], "warnings": [w.to_json() for w in warnings]})


@require_http_methods(["GET", "POST"])
@rate_limit(READS, methods=("GET",))
@rate_limit(WRITES)
def document(request: HtmxHttpRequest, pk: int) -> JsonResponse:
    try:
        design = get_readable_design(request, pk)
    except Http404:
        return json_not_found()
    if request.method == "GET":
        shown = readable_revision(request.user, design)
        return JsonResponse(
            {"revision": shown.number, "saves": shown.saves, "document": shown.document}
        )
    if not is_owner(request.user, design):
        return json_error(
            403, [{"path": "", "message": "this design is read-only for you; fork it to edit"}]
        )
    try:
        payload = _body(request)
    except InputError as error:
        return json_error(400, error.to_json(), error="bad request")
    try:
        save = _parse_save(payload)
    except InputError as error:
        return json_error(422, error.to_json())
    try:
        outcome = design.save_document(author=request.user, **save)
    except StaleRevisionError as error:
        conflict: dict[str, Any] = {"error": "conflict", "current_revision": error.current_revision}
        if error.current_saves is not None:
            conflict["current_saves"] = error.current_saves
        return JsonResponse(conflict, status=409)
    revision = outcome.revision
    answer: dict[str, Any] = {
        "revision": revision.number,
        "saves": revision.saves,
        "changed": outcome.changed,
    }
    if not outcome.changed:
        answer["detail"] = _("Nothing changed since revision %(number)d.") % {
            "number": revision.number
        }
    return JsonResponse(answer)


def _parse_save(payload: Any) -> dict[str, Any]:
    """Check a save request; collect every problem of the envelope and the document.
    Answers the keyword arguments of `Design.save_document`."""
    if not isinstance(payload, dict):
        raise InputError([InputProblem("", f"expected a JSON object with {_SAVE_KEYS_TEXT}")])
    problems: list[Any] = [
        InputProblem(str(key), f"unknown field; use {_SAVE_KEYS_TEXT}")
        for key in payload
        if key not in _SAVE_KEYS
    ]
    base = payload.get("base_revision")
    if "base_revision" not in payload:
        problems.append(InputProblem("base_revision", "required: the revision you edited"))
    elif not _is_count(base):
        problems.append(InputProblem("base_revision", "must be a whole number of at least 0"))
    base_saves = payload.get("base_saves")
    if base_saves is not None and not _is_count(base_saves):
        problems.append(InputProblem("base_saves", "must be a whole number of at least 0"))
    autosave = payload.get("autosave", False)
    if not isinstance(autosave, bool):
        problems.append(InputProblem("autosave", _("must be true or false")))
    message = payload.get("message", "")
    if not isinstance(message, str):
        problems.append(InputProblem("message", "must be a string"))
    elif len(message) > 200:
        problems.append(InputProblem("message", f"{len(message)} characters; at most 200"))
    else:
        problems += unstorable_text(message, "message")
    if "document" not in payload:
        problems.append(InputProblem("document", "required: the design document"))
    else:
        try:
            check_document(payload["document"], prefix="document")
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError(problems)
    return {
        "base_revision": base,
        "base_saves": base_saves,
        "document": payload["document"],
        "message": message,
        "autosave": autosave,
    }


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@require_GET
@rate_limit(READS, methods=("GET",))
def shared_document(request: HtmxHttpRequest, token: str) -> JsonResponse:
    try:
        link = get_share_link(token)
    except Http404:
        return json_not_found()
    shown = readable_revision(request.user, link.design)
    return JsonResponse({"revision": shown.number, "document": shown.document})
