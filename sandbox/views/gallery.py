"""The built-in template gallery and the public design gallery."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from sandbox.documents import InputError, check_document
from sandbox.http import HtmxHttpRequest
from sandbox.models import Design, DesignLimitError, Template
from sandbox.ratelimit import WRITES, rate_limit


@require_GET
def template_list(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, "sandbox/template_list.html", {"templates": Template.objects.all()})


@login_required
@require_POST
@rate_limit(WRITES)
def template_use(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    template = get_object_or_404(Template, slug=slug)
    try:
        design = Design.create_with_document(
            owner=request.user,
            name=template.title[:120],
            description=template.lesson[:2000],
            document=check_document(template.document),
            message=f"Created from the template “{template.title}”",
            template_slug=template.slug,
        )
    except DesignLimitError as error:
        messages.error(request, str(error).capitalize() + ".")
        return redirect("template_list")
    except InputError as error:
        messages.error(request, f"The template “{template.title}” is broken: {error}")
        return redirect("template_list")
    messages.success(request, f"“{design.name}” is now one of your designs.")
    return redirect(design)


@require_GET
def gallery(request: HtmxHttpRequest) -> HttpResponse:
    designs = Design.objects.public().select_related("owner")[:200]
    return render(request, "sandbox/gallery.html", {"designs": designs})
