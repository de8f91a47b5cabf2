"""A design's revisions: the list, a diff summary between two of them, restore."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from sandbox.access import get_owned_design
from sandbox.diff import diff_documents
from sandbox.documents import InputError, check_document
from sandbox.forms import CompareForm
from sandbox.http import HtmxHttpRequest
from sandbox.models import Revision, StaleRevisionError
from sandbox.ratelimit import WRITES, rate_limit


@login_required
@require_GET
def design_history(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    design = get_owned_design(request, pk)
    revisions = list(design.revisions.select_related("author"))
    by_number = {r.number: r for r in revisions}
    compare_error = ""
    if "a" in request.GET or "b" in request.GET:
        form = CompareForm(request.GET)
        if form.is_valid():
            a, b = form.cleaned_data["a"], form.cleaned_data["b"]
            missing = [n for n in (a, b) if n not in by_number]
            if missing:
                compare_error = (
                    f"There is no revision {missing[0]}; this design has revisions "
                    f"1 to {design.head}."
                )
        else:
            compare_error = "Pick two revision numbers to compare."
            a = b = None
    else:
        b = design.head
        a = max(b - 1, 1)
        form = CompareForm(initial={"a": a, "b": b})
    diff = None
    if not compare_error and a in by_number and b in by_number:
        diff = diff_documents(by_number[a].document, by_number[b].document)
    context = {
        "design": design,
        "revisions": revisions,
        "compare_form": form,
        "a": a,
        "b": b,
        "diff": diff,
        "compare_error": compare_error,
    }
    template = "sandbox/design_history.html"
    if request.htmx and request.htmx.target == "diff":
        template += "#diff"
    # htmx swaps only 2xx answers, so the inline error comes back as 200.
    status = 400 if compare_error and not request.htmx else 200
    return render(request, template, context, status=status)


@login_required
@require_POST
@rate_limit(WRITES)
def revision_restore(request: HtmxHttpRequest, pk: int, number: int) -> HttpResponse:
    design = get_owned_design(request, pk)
    old = get_object_or_404(Revision, design=design, number=number)
    try:
        document = check_document(old.document)
    except InputError as error:
        messages.error(
            request, f"Revision {number} no longer passes validation, nothing restored: {error}"
        )
        return redirect("design_history", pk=design.pk)
    try:
        new = design.add_revision(
            document, author=request.user, message=f"Restored revision {number}"
        )
    except StaleRevisionError:
        messages.error(request, "Someone saved this design at the same moment; try again.")
        return redirect("design_history", pk=design.pk)
    messages.success(
        request, f"Restored revision {number} as the new revision {new.number}; nothing was lost."
    )
    return redirect(reverse("design_history", args=[design.pk]))
