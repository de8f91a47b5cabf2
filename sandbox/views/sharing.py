"""Share links (create, revoke) and forks."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from sandbox.access import (
    get_owned_design,
    get_readable_design,
    get_share_link,
    readable_revision,
)
from sandbox.documents import InputError, check_document
from sandbox.http import HtmxHttpRequest
from sandbox.models import Design, DesignLimitError, ShareLink
from sandbox.ratelimit import WRITES, rate_limit


@login_required
@require_POST
@rate_limit(WRITES)
def share_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    design = get_owned_design(request, pk)
    if design.active_share_link() is None:
        ShareLink.objects.create(design=design)
        messages.success(request, "Anyone with the link can now open this design read-only.")
    return _back_to_share_box(design)


@login_required
@require_POST
@rate_limit(WRITES)
def share_revoke(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    design = get_owned_design(request, pk)
    revoked = 0
    for link in design.share_links.filter(revoked_at__isnull=True):
        link.revoke()
        revoked += 1
    if revoked:
        messages.success(request, "The share link is revoked: it no longer opens the design.")
    return _back_to_share_box(design)


def _back_to_share_box(design: Design) -> HttpResponse:
    # The share box is a closed dropdown on the design page; open it to show what changed.
    return redirect(f"{design.get_absolute_url()}?share=open")


def _fork(request: HtmxHttpRequest, design: Design, back: str) -> HttpResponse:
    shown = readable_revision(request.user, design)
    try:
        fork = Design.create_with_document(
            owner=request.user,
            name=f"{design.name} (fork)"[:120],
            description=design.description,
            document=check_document(shown.document),
            message=f"Forked from “{design.name}” revision {shown.number} "
            f"by {design.owner.get_username()}",
            forked_from=design,
        )
    except DesignLimitError as error:
        messages.error(request, str(error).capitalize() + ".")
        return redirect(back)
    except InputError as error:
        messages.error(request, f"This design cannot be forked: {error}")
        return redirect(back)
    messages.success(request, f"Forked into your designs as “{fork.name}”.")
    return redirect(fork)


@login_required
@require_POST
@rate_limit(WRITES)
def design_fork(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    design = get_readable_design(request, pk)
    return _fork(request, design, design.get_absolute_url())


@login_required
@require_POST
@rate_limit(WRITES)
def shared_fork(request: HtmxHttpRequest, token: str) -> HttpResponse:
    link = get_share_link(token)
    return _fork(request, link.design, link.get_absolute_url())
