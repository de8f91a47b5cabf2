"""The design page: the editor for the owner, read-only for public and shared viewers."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.http import HttpResponse
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.views.decorators.http import require_GET

from sandbox.access import (
    get_readable_design,
    get_share_link,
    is_owner,
    readable_revision,
    remember_share_link,
)
from sandbox.http import HtmxHttpRequest
from sandbox.models import Design, ShareLink

RUN_PANEL_TEMPLATE = "live/_run_panel.html"


def run_panel_enabled() -> bool:
    """The live-run panel shows once the live app is installed and ships its panel."""
    if not apps.is_installed("sandbox.live"):
        return False
    try:
        get_template(RUN_PANEL_TEMPLATE)
    except TemplateDoesNotExist:
        return False
    return True


def workspace_context(
    request: HtmxHttpRequest, design: Design, share_link: ShareLink | None = None
) -> dict[str, Any]:
    """Everything the design page, the editor include and the run panel need."""
    revision = readable_revision(request.user, design)
    owner = share_link is None and is_owner(request.user, design)
    token = share_link.token if share_link else None
    if token:
        document_url = reverse("api_shared_document", args=[token])
        fork_url = reverse("shared_fork", args=[token])
        export_url = reverse("shared_export", args=[token])
    else:
        document_url = reverse("api_document", args=[design.pk])
        fork_url = reverse("design_fork", args=[design.pk])
        export_url = reverse("design_export", args=[design.pk])
    return {
        "design": design,
        "revision": revision.number,
        "revision_obj": revision,
        "document": revision.document,
        "read_only": not owner,
        "is_owner": owner,
        "share_token": token,
        "share_link": design.active_share_link() if owner else None,
        "urls": {
            "document": document_url,
            "save": reverse("api_document", args=[design.pk]) if owner else "",
            "validate": reverse("api_validate"),
            "catalog": reverse("api_catalog"),
            "fork": fork_url,
            "export": export_url,
        },
        "run_panel_enabled": run_panel_enabled(),
    }


@require_GET
def design_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    design = get_readable_design(request, pk)
    return render(request, "sandbox/design_detail.html", workspace_context(request, design))


@require_GET
def shared_design(request: HtmxHttpRequest, token: str) -> HttpResponse:
    link = get_share_link(token)
    remember_share_link(request, link)
    context = workspace_context(request, link.design, share_link=link)
    return render(request, "sandbox/design_detail.html", context)
