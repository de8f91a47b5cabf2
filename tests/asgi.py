"""ASGI entry point of the test server (browser tests, the editor bench): the site plus
Django's static file handler, which bare Daphne lacks."""

from __future__ import annotations

from channels.routing import ProtocolTypeRouter
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from sandbox.asgi import application as _application
from sandbox.asgi import django_asgi_app

application = ProtocolTypeRouter(
    {
        "http": ASGIStaticFilesHandler(django_asgi_app),
        "websocket": _application.application_mapping["websocket"],
    }
)
