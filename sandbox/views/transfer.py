"""Export a design as a JSON file; import one from an upload."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from sandbox.access import get_readable_design, get_share_link, readable_revision
from sandbox.documents import InputError, check_document, document_name, parse_json
from sandbox.forms import ImportForm
from sandbox.http import HtmxHttpRequest
from sandbox.models import Design, DesignLimitError, Revision
from sandbox.ratelimit import READS, WRITES, rate_limit


def _download(design: Design, revision: Revision) -> HttpResponse:
    body = json.dumps(revision.document, indent=2, ensure_ascii=False) + "\n"
    filename = f"{slugify(design.name) or 'design'}-r{revision.number}.json"
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _revision(request: HtmxHttpRequest, design: Design, raw: str | None) -> Revision:
    try:
        number = None if raw is None else int(raw)
    except ValueError:
        raise Http404(f"no revision {raw!r}") from None
    return readable_revision(request.user, design, number)


@require_GET
@rate_limit(READS, methods=("GET",))
def design_export(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    design = get_readable_design(request, pk)
    return _download(design, _revision(request, design, request.GET.get("revision")))


@require_GET
@rate_limit(READS, methods=("GET",))
def shared_export(request: HtmxHttpRequest, token: str) -> HttpResponse:
    design = get_share_link(token).design
    return _download(design, readable_revision(request.user, design))


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit(WRITES)
def design_import(request: HtmxHttpRequest) -> HttpResponse:
    form = ImportForm(*((request.POST, request.FILES) if request.method == "POST" else ()))
    problems: list[dict[str, str]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            document = check_document(parse_json(upload.read(), what=f"“{upload.name}”"))
            name = form.cleaned_data["name"] or document_name(document)
            design = Design.create_with_document(
                owner=request.user,
                name=name,
                description=str(document.get("description", ""))[:2000],
                document=document,
                message=f"Imported from {upload.name}"[:200],
            )
        except InputError as error:
            problems = error.to_json()
        except DesignLimitError as error:
            problems = [{"path": "", "message": str(error)}]
        else:
            messages.success(request, f"Imported “{design.name}”.")
            return redirect(design)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "sandbox/design_import.html", {"form": form, "problems": problems}, status=status
    )
