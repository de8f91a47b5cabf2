from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sandbox.models import Design


@login_required
@require_GET
def design_list(request: HttpRequest) -> HttpResponse:
    designs = Design.objects.owned_by(request.user)
    return render(request, "sandbox/design_list.html", {"designs": designs})
