from __future__ import annotations

from django.urls import path

from sandbox.live.consumers import RunConsumer
from sandbox.live.runner import RUNNER_CHANNEL
from sandbox.live.worker import RunnerWorker

websocket_urlpatterns = [
    path("ws/runs/<uuid:run_id>/", RunConsumer.as_asgi()),
]

# Channels that `manage.py runworker` processes consume (SIMULATION_RUNNERS=workers).
channel_routes = {RUNNER_CHANNEL: RunnerWorker.as_asgi()}
