"""What a WebSocket handshake must pass before it reaches a consumer: a page of this site
as its origin, and a path that exists.

The origin rule is Django's CSRF rule for HTTP: the `Origin` header must be the
request's own scheme, host and port, or one of `CSRF_TRUSTED_ORIGINS` (behind a proxy
that ends TLS, the socket arrives as `ws` while the page was `https`: list the public
origin there). The `Host` must be one of `ALLOWED_HOSTS`, as for any request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return ""


def _allowed_hosts() -> list[str]:
    # What Django's HttpRequest.get_host() accepts.
    if settings.DEBUG and not settings.ALLOWED_HOSTS:
        return [".localhost", "127.0.0.1", "[::1]"]
    return list(settings.ALLOWED_HOSTS)


def _trusted(origin: str) -> bool:
    """`origin` is in CSRF_TRUSTED_ORIGINS (exactly, or under a `*.` wildcard)."""
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        if "*" not in trusted:
            if origin == trusted:
                return True
            continue
        pattern = urlsplit(trusted)
        if parsed.scheme == pattern.scheme and is_same_domain(
            parsed.netloc, pattern.netloc.lstrip("*")
        ):
            return True
    return False


def origin_allowed(scope: dict[str, Any]) -> bool:
    """The handshake comes from a page of this site (see the module's docstring)."""
    origin = _header(scope, b"origin")
    host = _header(scope, b"host")
    if not origin or not host:
        return False
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, _allowed_hosts()):
        return False
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    return origin == f"{scheme}://{host}" or _trusted(origin)


class SameOriginValidator:
    """Refuse (HTTP 403 on the handshake) a socket opened from another origin."""

    def __init__(self, application: App) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if origin_allowed(scope):
            await self.application(scope, receive, send)
        else:
            await WebsocketDenier()(scope, receive, send)


class KnownPathsOnly:
    """Answer a socket to a path no route matches with HTTP 404, where the server lets
    the application choose the status (ASGI's WebSocket denial response); Daphne
    does not, and refuses the handshake with 403. Unrouted, channels' URLRouter would
    raise and the server answer 500."""

    def __init__(self, application: App, routes: list[Any]) -> None:
        self.application = application
        self.routes = routes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "").lstrip("/")
        if any(route.pattern.match(path) for route in self.routes):
            await self.application(scope, receive, send)
            return
        await receive()  # websocket.connect
        if "websocket.http.response" in scope.get("extensions", {}):
            body = b"There is no WebSocket at this address.\n"
            headers = [(b"content-type", b"text/plain; charset=utf-8")]
            await send({"type": "websocket.http.response.start", "status": 404, "headers": headers})
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close"})
