"""WebSocket routes; each app that speaks WebSocket adds its paths here."""

from __future__ import annotations

websocket_urlpatterns: list = []
