"""The consumer `manage.py runworker live-runner` runs: it starts runs sent to it."""

from __future__ import annotations

from typing import Any

from channels.consumer import AsyncConsumer

from sandbox.live.runner import runner_tasks


class RunnerWorker(AsyncConsumer):
    """Starts each run it is sent as a task of this worker process."""

    async def run_start(self, message: dict[str, Any]) -> None:
        runner_tasks.launch(message["run_id"])
