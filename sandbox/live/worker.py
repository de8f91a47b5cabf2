"""`manage.py runworker live-runner`: the process that starts runs sent to it.

`RunnerWorker` is the consumer that starts each run; `ReconnectingWorker` is the
worker loop around it (channels' own, which exits when Redis goes away) that
waits for the channel layer with backoff, and ends its runs honestly on SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.consumer import AsyncConsumer
from channels.worker import Worker

from sandbox.live.runner import runner_tasks
from sandbox.live.shutdown import serve_until_terminated

log = logging.getLogger(__name__)


class RunnerWorker(AsyncConsumer):
    """Starts each run it is sent as a task of this worker process."""

    async def run_start(self, message: dict[str, Any]) -> None:
        runner_tasks.launch(message["run_id"])


class ReconnectingWorker(Worker):
    """Channels' worker that outlives a channel-layer outage and stops gracefully.

    While the layer is unreachable it listens again after 0.5 s, doubling to 10 s;
    the runs already going keep ticking and renewing their leases meanwhile.
    """

    first_retry_s = 0.5
    max_retry_s = 10.0

    def run(self) -> None:
        try:
            asyncio.run(serve_until_terminated(self.arun()))
        except KeyboardInterrupt:
            log.info("Exiting due to Ctrl-C/interrupt")

    async def listener(self, channel: str) -> None:
        delay = self.first_retry_s
        while True:
            try:
                message = await self.channel_layer.receive(channel)
            except Exception as exc:
                log.warning(
                    "channel layer unreachable (%s); listening on %s again in %.1f s",
                    exc,
                    channel,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(2 * delay, self.max_retry_s)
                continue
            if delay > self.first_retry_s:
                log.warning("channel layer reachable again; listening on %s", channel)
                delay = self.first_retry_s
            await self.dispatch(channel, message)

    async def dispatch(self, channel: str, message: dict[str, Any]) -> None:
        """Hand one message to the channel's application instance (as channels does)."""
        if not message.get("type"):
            log.warning("ignored a message without a type on %s", channel)
            return
        scope = {"type": "channel", "channel": channel}
        queue = self.get_or_create_application_instance(channel, scope)
        await queue.put(message)
