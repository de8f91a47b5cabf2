from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from sandbox.http import HtmxHttpRequest
from sandbox.models import Design, Template


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    """The landing page for visitors; signed-in users go straight to their designs."""
    if request.user.is_authenticated:
        return redirect("design_list")
    context = {
        "templates": Template.objects.all()[:6],
        "designs": Design.objects.public().select_related("owner")[:6],
    }
    return render(request, "sandbox/home.html", context)
