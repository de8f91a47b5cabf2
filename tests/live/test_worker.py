"""The runworker process and its runs while the channel layer (Redis) is down."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer
from django.utils import timezone

from sandbox.live.models import Run
from sandbox.live.runner import Runner, RunnerSettings
from sandbox.live.worker import ReconnectingWorker

pytestmark = pytest.mark.django_db(transaction=True)


class RedisGone(ConnectionError):
    """What redis-py raises when Redis is not there."""


class FlakyLayer(InMemoryChannelLayer):
    """An in-memory layer whose receive fails `failures` times, then works."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def receive(self, channel: str) -> dict[str, Any]:
        if self.failures:
            self.failures -= 1
            raise RedisGone("Error 111 connecting to 127.0.0.1:6399. Connection refused.")
        return await super().receive(channel)


class DownLayer(InMemoryChannelLayer):
    """An in-memory layer whose sends all fail, as while Redis is down."""

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        raise RedisGone("Connection refused")

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        raise RedisGone("Connection refused")


@pytest.mark.asyncio
async def test_the_worker_listens_again_with_backoff_while_the_layer_is_down(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    layer = FlakyLayer(failures=5)
    worker = ReconnectingWorker(application=None, channels=["live-runner"], channel_layer=layer)
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(delay: float) -> None:
        waits.append(delay)
        await real_sleep(0)

    monkeypatch.setattr("sandbox.live.worker.asyncio.sleep", sleep)
    handed: list[dict[str, Any]] = []

    async def dispatch(channel: str, message: dict[str, Any]) -> None:
        handed.append(message)

    monkeypatch.setattr(worker, "dispatch", dispatch)
    await layer.send("live-runner", {"type": "run.start", "run_id": "r1"})
    listening = asyncio.create_task(worker.listener("live-runner"))
    async with asyncio.timeout(5):
        while not handed:
            await real_sleep(0.01)
    listening.cancel()
    assert handed == [{"type": "run.start", "run_id": "r1"}]
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0]


@pytest.mark.asyncio
async def test_a_run_goes_on_and_keeps_its_lease_while_the_layer_is_down(
    make_run: Any, settings: Any
) -> None:
    settings.LIVE_HEARTBEAT_S = 0.1
    run = await database_sync_to_async(make_run)(speed=0.0)
    config = RunnerSettings(idle_pause_s=60, idle_stop_s=120, flush_ticks=10, flush_s=60)
    runner = Runner(run.pk, layer=DownLayer(), config=config)
    await runner.open()
    before = timezone.now()
    await runner.handle(
        {"type": "runner.control", "control": {"action": "start"}, "reply_to": "x", "by": "alice"}
    )
    for _ in range(30):
        await runner.tick()
    await asyncio.sleep(0.3)  # a few heartbeats
    stored = await database_sync_to_async(Run.objects.get)(pk=run.pk)
    assert stored.status == "running"
    assert stored.heartbeat_at > before
    assert stored.ticks >= 20  # saved every 10 frames, publishing or not
    await runner.close()


@pytest.mark.asyncio
async def test_a_runner_logs_a_receive_outage_once_not_every_second(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    layer = FlakyLayer(failures=4)
    runner = Runner("r-1", layer=layer)
    runner.channel = "runner-channel"
    real_sleep = asyncio.sleep
    monkeypatch.setattr(asyncio, "sleep", lambda _delay: real_sleep(0))
    reader = asyncio.create_task(runner._read_inbox())
    await layer.send("runner-channel", {"type": "runner.sync"})
    message = await asyncio.wait_for(runner._inbox.get(), 5)
    reader.cancel()
    assert message["type"] == "runner.sync"
    texts = [r.getMessage() for r in caplog.records if r.name == "sandbox.live.runner"]
    assert len([t for t in texts if "receiving from the channel layer failed" in t]) == 1
    again = [t for t in texts if "answers again" in t]
    assert again == ["run r-1: the channel layer answers again"]
