"""ASGI entry point: Django for HTTP, Channels for WebSockets."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")

# Django must be set up before anything imports models (the routing imports consumers).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter  # noqa: E402

from sandbox.routing import channel_routes, websocket_urlpatterns  # noqa: E402
from sandbox.socket_guard import KnownPathsOnly, SameOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(
            KnownPathsOnly(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns)), websocket_urlpatterns
            )
        ),
        # `manage.py runworker live-runner`: live runs on worker processes.
        "channel": ChannelNameRouter(channel_routes),
    }
)
