"""WebSocket routes; each app that speaks WebSocket adds its paths here."""

from __future__ import annotations

from sandbox.live.routing import channel_routes as live_channel_routes
from sandbox.live.routing import websocket_urlpatterns as live_websocket_urlpatterns

websocket_urlpatterns: list = [*live_websocket_urlpatterns]

# Named channels served by `manage.py runworker <channel>` processes.
channel_routes: dict = {**live_channel_routes}
