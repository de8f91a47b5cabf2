"""Who may see and change a design; every view fetches through these helpers.

Anything a user may not see answers 404, the same as a design that does not exist, so
that ids and tokens reveal nothing.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from sandbox.models import Design, ShareLink


def is_owner(user: Any, design: Design) -> bool:
    return bool(user.is_authenticated and design.owner_id == user.pk)


def get_owned_design(request: HttpRequest, pk: int) -> Design:
    """The design if the requesting user owns it, else 404."""
    design = get_object_or_404(Design.objects.select_related("owner"), pk=pk)
    if not is_owner(request.user, design):
        raise Http404("no such design")
    return design


def get_readable_design(request: HttpRequest, pk: int) -> Design:
    """The design if the requesting user owns it or it is public, else 404."""
    design = get_object_or_404(Design.objects.select_related("owner"), pk=pk)
    if not (is_owner(request.user, design) or design.is_public):
        raise Http404("no such design")
    return design


def get_share_link(token: str) -> ShareLink:
    """The active share link with this token, else 404 (revoked links included)."""
    if "\x00" in token:
        # No token holds a NUL, and PostgreSQL refuses to compare text with one.
        raise Http404("no such share link")
    return get_object_or_404(
        ShareLink.objects.select_related("design", "design__owner"),
        token=token,
        revoked_at__isnull=True,
    )
