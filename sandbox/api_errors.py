"""JSON errors for the JSON API: nothing under /api/ ever answers an HTML page.

The API's views answer their own errors as JSON (`sandbox.http.json_error`). What
happens outside them, Django answers with a page: a URL that matches nothing (404), a
wrong method (405), a failed CSRF check (403), a body it cannot read (400), and any
exception escaping a view (500, logged by Django with its traceback). The middleware
rewrites those answers into the API's envelope, keeping their status and headers
(`Allow`, `Retry-After`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.csrf import csrf_failure as page_for_csrf_failure

from sandbox.http import json_error

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _message(request: HttpRequest, response: HttpResponse) -> str:
    status = response.status_code
    if status == 400:
        return _("the server could not read this request; nothing was changed")
    if status == 403:
        return _("you may not do this; nothing was changed")
    if status == 404:
        return _("there is no API at %(path)s; docs/api.md lists the API's URLs") % {
            "path": request.path_info
        }
    if status == 405:
        return _("%(method)s is not allowed here; use %(allowed)s") % {
            "method": request.method,
            "allowed": response.get("Allow", "another method"),
        }
    if status >= 500:
        return _(
            "the server failed while answering this request; try again, and if it keeps "
            "failing, report it (the server's log has the details)"
        )
    return _("the request was refused (HTTP %(status)d)") % {"status": status}


class JsonErrorsForTheApi:
    """Rewrites every non-JSON error answer under /api/ into `{"error", "errors"}`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not is_api(request)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        message = _message(request, response)
        answer = json_error(response.status_code, [{"path": "", "message": message}], error=message)
        for header in ("Allow", "Retry-After"):
            if header in response:
                answer[header] = response[header]
        return answer


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: JSON naming the fix under /api/, the usual page elsewhere."""
    if not is_api(request):
        return page_for_csrf_failure(request, reason=reason)
    message = _(
        "the CSRF check failed (%(reason)s); send the X-CSRFToken header with the value "
        "of the csrftoken cookie, or reload the page and try again; nothing was changed"
    ) % {"reason": reason}
    return json_error(403, [{"path": "", "message": message}], error=message)
