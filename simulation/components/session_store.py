"""Session store: shared session state that lets a web tier be stateless."""

from __future__ import annotations

from .base import Kind
from .look import Look
from .params import serving_params


class SessionStore(Kind):
    kind = "session_store"
    label = "Session store"
    group = "data"
    look = Look("tag", "#db2777", "sessions")
    help = (
        "Shared store of user sessions (Redis-like). Each request of a web tier linked to "
        "it looks up its session here, so any instance can serve any user."
    )
    params = serving_params(concurrency=50, service_ms=0.5)
    side_store = True
    links_to = ()

    @classmethod
    def route(cls, request_class: str, targets: dict[str, list[str]], params: dict) -> list[str]:
        return []
