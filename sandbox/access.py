"""Who may read and run a design: the one home of these rules (runs: `sandbox/live/access.py`).

- Read a design: its owner; anyone while it is public; anyone presenting an active share
  link of it. Holding the token is what grants access, never the mere existence of a link.
- Run a design: a signed-in user who may read it.
- Others than the owner read one revision: the one the owner published, else the newest;
  the history stays the owner's.

Anything a user may not see answers 404, the same as a design that does not exist, so
that ids and tokens reveal nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from sandbox.models import Design, Revision, ShareLink

# The session key of the share tokens a browser opened through /s/<token>/.
SESSION_TOKENS = "share_tokens"
MAX_REMEMBERED_TOKENS = 20


def is_owner(user: Any, design: Design) -> bool:
    return bool(user.is_authenticated and design.owner_id == user.pk)


def may_read_design(user: Any, design: Design, link: ShareLink | None = None) -> bool:
    """The owner; anyone while the design is public; anyone presenting `link`, an active
    share link of this design."""
    if is_owner(user, design) or design.is_public:
        return True
    return link is not None and link.is_active and link.design_id == design.pk


def may_run_design(user: Any, design: Design, link: ShareLink | None = None) -> bool:
    """A signed-in user who may read the design (the run is theirs)."""
    return bool(user.is_authenticated) and may_read_design(user, design, link)


def readable_revision(user: Any, design: Design, number: int | None = None) -> Revision:
    """Revision `number` if `user` may see it, else 404; by default the one they see.

    The owner sees every revision, the newest by default. Others see one: the revision
    the owner published (design settings), else the newest.
    """
    if is_owner(user, design):
        if number is None:
            return design.latest_revision()
        return get_object_or_404(Revision, design=design, number=number)
    if number is not None and number != design.shared_number:
        raise Http404("no such revision")
    return get_object_or_404(Revision, design=design, number=design.shared_number)


def get_owned_design(request: HttpRequest, pk: int) -> Design:
    """The design if the requesting user owns it, else 404."""
    design = get_object_or_404(Design.objects.select_related("owner"), pk=pk)
    if not is_owner(request.user, design):
        raise Http404("no such design")
    return design


def get_readable_design(request: HttpRequest, pk: int) -> Design:
    """The design by its id, if the requesting user may read it without a token, else 404.

    A share link opens a design through its own URLs (/s/<token>/), never by id.
    """
    design = get_object_or_404(Design.objects.select_related("owner"), pk=pk)
    if not may_read_design(request.user, design):
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


def remember_share_link(request: HttpRequest, link: ShareLink) -> None:
    """Keep the token in the session, so that the runs of the design can be watched
    later; revoking the link ends that at once (every check looks the link up)."""
    tokens = [t for t in request.session.get(SESSION_TOKENS, []) if t != link.token]
    tokens.append(link.token)
    request.session[SESSION_TOKENS] = tokens[-MAX_REMEMBERED_TOKENS:]


def held_tokens(session: Any, presented: Iterable[str] = ()) -> list[str]:
    """The share tokens a request holds: those it presents and those its session kept."""
    kept = session.get(SESSION_TOKENS, []) if session is not None else []
    return [t for t in [*presented, *kept] if isinstance(t, str) and t and "\x00" not in t]


def request_tokens(request: HttpRequest) -> list[str]:
    """`held_tokens` of an HTTP request (`?token=` or a form's `token` field)."""
    presented = [request.GET.get("token", ""), request.POST.get("token", "")]
    return held_tokens(getattr(request, "session", None), presented)
