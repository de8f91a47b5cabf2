"""Request limits for the HTTP side, counted in Django's cache.

A fixed window: each user (or, signed out, each IP address) may make at most `N` requests
of one kind per minute or hour. The count lives under a key named after the window, so it
starts again from zero when the next window begins. With a shared cache (Redis, see
`CACHES` in settings) every web process counts against the same total.

When the shared cache cannot be reached, requests are still served: each process counts
in its own memory (a warning is logged once per outage) and tries the shared cache again
every `CACHE_RETRY_S` seconds.

A request over its limit answers 429 with `Retry-After` before the view runs, so it
changes nothing.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sandbox.http import json_error

try:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError:  # redis-py is only needed with REDIS_URL
    CACHE_DOWN: tuple[type[Exception], ...] = (OSError,)
else:
    CACHE_DOWN = (OSError, RedisConnectionError, RedisTimeoutError)

log = logging.getLogger(__name__)

# Wall-clock seconds (every process must agree on the window); tests replace it.
clock: Callable[[], float] = time.time

# While the shared cache is down, try it again at most this often, so that a cache that
# hangs instead of refusing does not slow every request down.
CACHE_RETRY_S = 5.0


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


class Fallback:
    """This process's own counts, used while the shared cache is down."""

    def __init__(self) -> None:
        # LocMemCache shares its storage by name: each Fallback gets its own.
        self.cache = LocMemCache(f"sandbox-ratelimit-fallback-{uuid.uuid4().hex}", {})
        self.down_since: float | None = None  # None: the shared cache answers
        self.last_try = 0.0

    def count(self, key: str, timeout: int, now: float) -> int:
        """Count in the shared cache when it answers, else here."""
        if self.down_since is None or now - self.last_try >= CACHE_RETRY_S:
            try:
                count = _count(cache, key, timeout)
            except CACHE_DOWN as error:
                self.last_try = now
                if self.down_since is None:
                    self.down_since = now
                    log.warning(
                        "Rate limits: the shared cache cannot be reached (%s: %s); each "
                        "process counts on its own until it answers again. Check Redis "
                        "(REDIS_URL).",
                        type(error).__name__,
                        error,
                    )
            else:
                if self.down_since is not None:
                    log.warning(
                        "Rate limits: the shared cache answers again after %d s; "
                        "counting there again.",
                        now - self.down_since,
                    )
                    self.down_since = None
                return count
        return _count(self.cache, key, timeout)


fallback = Fallback()


def _count(store: BaseCache, key: str, timeout: int) -> int:
    # add() does nothing when the key exists and incr() is atomic in Redis, so requests
    # racing in several processes are all counted.
    store.add(key, 0, timeout=timeout)
    try:
        return store.incr(key)
    except ValueError:  # the key expired between add() and incr()
        store.set(key, 1, timeout=timeout)
        return 1


def hit(limit: Limit, client: str, now: float) -> int:
    """Count one request; the seconds to wait when it is over the limit, else 0."""
    window = int(now // limit.window_s)
    key = f"ratelimit:{limit.setting}:{client}:{window}"
    count = fallback.count(key, limit.window_s, now)
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
