"""My designs: the list (search, sort, rename inline, duplicate, delete), new, settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sandbox.access import get_owned_design
from sandbox.documents import InputError, blank_document, check_document
from sandbox.forms import DesignSettingsForm, NewDesignForm, RenameForm
from sandbox.http import HtmxHttpRequest
from sandbox.models import Design, DesignLimitError
from sandbox.ratelimit import WRITES, rate_limit

SORTS = {
    "updated": ("-updated_at", "-pk"),
    "name": ("name", "pk"),
    "created": ("-created_at", "-pk"),
}


def _save_touching(form: RenameForm | DesignSettingsForm) -> Design:
    """Save a settings form; a rename or a description counts as a change in the list."""
    design = form.save(commit=False)
    design.updated_at = timezone.now()
    design.save()
    return design


@login_required
@require_GET
def design_list(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    if "\x00" in query:
        # No name or description holds one (forms refuse it), and PostgreSQL cannot search
        # for one.
        return HttpResponseBadRequest("q: a search cannot contain a NUL character (\\u0000).")
    sort = request.GET.get("sort", "updated")
    if sort not in SORTS:
        sort = "updated"
    designs = Design.objects.owned_by(request.user)
    if query:
        designs = designs.filter(Q(name__icontains=query) | Q(description__icontains=query))
    context = {
        "designs": designs.order_by(*SORTS[sort]),
        "query": query,
        "sort": sort,
        "sorts": list(SORTS),
        "new_form": NewDesignForm(),
    }
    template = "sandbox/design_list.html"
    if request.htmx and request.htmx.target == "design-table":
        template += "#design-table"
    return render(request, template, context)


@login_required
@require_POST
@rate_limit(WRITES)
def design_create(request: HtmxHttpRequest) -> HttpResponse:
    form = NewDesignForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A new design needs a name of at most 120 characters.")
        return redirect("design_list")
    name = form.cleaned_data["name"]
    try:
        design = Design.create_with_document(
            owner=request.user,
            name=name,
            document=check_document(blank_document(name)),
            message="Created",
        )
    except DesignLimitError as error:
        messages.error(request, str(error).capitalize() + ".")
        return redirect("design_list")
    return redirect(design)


@login_required
@require_GET
def design_row(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    design = get_owned_design(request, pk)
    return render(request, "sandbox/design_list.html#design-row", {"design": design})


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit(WRITES)
def design_rename(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    design = get_owned_design(request, pk)
    if not request.htmx:
        if request.method == "GET":
            return redirect("design_settings", pk=design.pk)
    form = RenameForm(request.POST if request.method == "POST" else None, instance=design)
    if request.method == "POST" and form.is_valid():
        _save_touching(form)
        if request.htmx:
            return render(request, "sandbox/design_list.html#design-row", {"design": design})
        messages.success(request, f"Renamed to “{design.name}”.")
        return redirect("design_list")
    if request.method == "POST":
        design.refresh_from_db()
    if not request.htmx:
        messages.error(request, "; ".join(form.errors.get("name", ["invalid name"])))
        return redirect("design_settings", pk=design.pk)
    return render(request, "sandbox/design_list.html#rename-row", {"design": design, "form": form})


@login_required
@require_POST
@rate_limit(WRITES)
def design_duplicate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    design = get_owned_design(request, pk)
    latest = design.latest_revision()
    name = f"Copy of {design.name}"[:120]
    try:
        document = check_document(latest.document)
        copy = Design.create_with_document(
            owner=request.user,
            name=name,
            description=design.description,
            document=document,
            message=f"Duplicated from “{design.name}” revision {latest.number}",
        )
    except DesignLimitError as error:
        messages.error(request, str(error).capitalize() + ".")
        return redirect("design_list")
    except InputError as error:
        messages.error(request, f"“{design.name}” cannot be copied: {error}")
        return redirect("design_list")
    messages.success(request, f"Made “{copy.name}”.")
    return redirect(reverse("design_list") + "?sort=updated")


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit(WRITES)
def design_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    design = get_owned_design(request, pk)
    if request.method == "GET":
        if request.htmx:
            return render(request, "sandbox/design_list.html#delete-row", {"design": design})
        return render(request, "sandbox/design_delete.html", {"design": design})
    name = design.name
    design.delete()
    if request.htmx:
        # The row disappears; the list stays where it was.
        return HttpResponse("")
    messages.success(request, f"Deleted “{name}” and its history.")
    return redirect("design_list")


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit(WRITES)
def design_settings(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    design = get_owned_design(request, pk)
    form = DesignSettingsForm(request.POST if request.method == "POST" else None, instance=design)
    if request.method == "POST":
        if form.is_valid():
            _save_touching(form)
            messages.success(request, "Saved the design's settings.")
            return redirect(design)
        design.refresh_from_db()
    status = 400 if form.errors else 200
    return render(
        request, "sandbox/design_settings.html", {"design": design, "form": form}, status=status
    )
