from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sandbox.models import Design, Template


@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    return render(request, "sandbox/template_list.html", {"templates": Template.objects.all()})


@require_GET
def gallery(request: HttpRequest) -> HttpResponse:
    designs = Design.objects.public().select_related("owner")[:100]
    return render(request, "sandbox/gallery.html", {"designs": designs})
