"""Request limits for the HTTP side, counted in Django's cache.

A fixed window: each user (or, signed out, each IP address) may make at most `N` requests
of one kind per minute or hour. The count lives under a key named after the window, so it
starts again from zero when the next window begins. With a shared cache (Redis, see
`CACHES` in settings) every web process counts against the same total.

A request over its limit answers 429 with `Retry-After` before the view runs, so it
changes nothing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sandbox.http import json_error

# Wall-clock seconds (every process must agree on the window); tests replace it.
clock: Callable[[], float] = time.time


@dataclass(frozen=True)
class Limit:
    """One kind of request, counted together per user (or per IP address)."""

    name: str  # "writes", as messages call it
    setting: str  # the settings attribute that holds the allowed count (and the cache key)
    window_s: int
    per_ip: bool = False  # count by IP address even for a signed-in user

    @property
    def allowed(self) -> int:
        return getattr(settings, self.setting)

    @property
    def window_text(self) -> str:
        return "a minute" if self.window_s == 60 else "an hour"


WRITES = Limit("writes", "RATE_LIMIT_WRITES_PER_MINUTE", 60)
READS = Limit("reads", "RATE_LIMIT_READS_PER_MINUTE", 60)
LOGINS = Limit("login attempts", "RATE_LIMIT_LOGINS_PER_MINUTE", 60, per_ip=True)
SIGNUPS = Limit("sign-ups", "RATE_LIMIT_SIGNUPS_PER_HOUR", 3600, per_ip=True)


def client_of(request: HttpRequest, limit: Limit) -> str:
    """Whom a request counts against: the user, or the IP address when signed out."""
    if not limit.per_ip and request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


def hit(limit: Limit, client: str, now: float) -> int:
    """Count one request; the seconds to wait when it is over the limit, else 0."""
    window = int(now // limit.window_s)
    key = f"ratelimit:{limit.setting}:{client}:{window}"
    # add() does nothing when the key exists and incr() is atomic in Redis, so requests
    # racing in several processes are all counted.
    cache.add(key, 0, timeout=limit.window_s)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, 1, timeout=limit.window_s)
        count = 1
    if count <= limit.allowed:
        return 0
    return max(1, math.ceil((window + 1) * limit.window_s - now))


def too_many(request: HttpRequest, limit: Limit, retry_after: int) -> HttpResponse:
    """The 429 answer: JSON for the API and htmx, a page otherwise."""
    message = (
        f"too many {limit.name}: at most {limit.allowed} {limit.window_text}; "
        f"try again in {retry_after} s"
    )
    response: HttpResponse
    if getattr(request, "htmx", False) or request.path_info.startswith("/api/"):
        response = json_error(
            429,
            [{"path": "", "message": message}],
            error=message,
            limit=limit.setting,
            retry_after=retry_after,
        )
    else:
        response = render(request, "429.html", {"message": message}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


View = Callable[..., HttpResponse]


def rate_limit(limit: Limit, methods: Iterable[str] = ("POST",)) -> Callable[[View], View]:
    """Count the requests of `methods` to a view against `limit`; others pass uncounted.

    Put it below `@login_required` and `@require_POST` so that refused requests do not count.
    """
    counted = frozenset(methods)

    def decorate(view: View) -> View:
        @wraps(view)
        def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in counted:
                wait = hit(limit, client_of(request, limit), clock())
                if wait:
                    return too_many(request, limit, wait)
            return view(request, *args, **kwargs)

        return limited

    return decorate
