"""Request and response helpers shared by the views."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def json_error(status: int, errors: list[dict[str, str]], **extra: Any) -> JsonResponse:
    """A JSON error answer: `errors` lists every problem as {path, message}."""
    return JsonResponse({"errors": errors, **extra}, status=status)


def json_not_found() -> JsonResponse:
    return json_error(404, [{"path": "", "message": "no such design"}], error="not found")
