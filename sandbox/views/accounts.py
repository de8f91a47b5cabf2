from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView, PasswordResetConfirmView, PasswordResetView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from sandbox.forms import SignupForm
from sandbox.ratelimit import LOGINS, SIGNUPS, rate_limit

# Django's own login views; every attempt counts, right or wrong. Password resets count
# as logins: each one sends a mail, and a reset link's form guesses at a password too.
login_view = rate_limit(LOGINS)(LoginView.as_view())
admin_login = rate_limit(LOGINS)(admin.site.login)
password_reset = rate_limit(LOGINS)(PasswordResetView.as_view())
password_reset_confirm = rate_limit(LOGINS)(PasswordResetConfirmView.as_view())


@require_http_methods(["GET", "POST"])
@rate_limit(SIGNUPS)
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, f"Welcome, {user.username}! Start from a template or a blank design."
        )
        return redirect("home")
    return render(
        request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200
    )
