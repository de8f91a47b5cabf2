"""`manage.py runworker <channel>`: channels' command with a worker that survives a Redis
outage and ends its runs on SIGTERM (sandbox/live/worker.py)."""

from __future__ import annotations

from channels.management.commands import runworker

from sandbox.live.worker import ReconnectingWorker


class Command(runworker.Command):
    worker_class = ReconnectingWorker
