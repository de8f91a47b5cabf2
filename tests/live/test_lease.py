"""A run's lease: a runner that dies without a word leaves an honest status within seconds."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sandbox.live.lease import sweep_stale_runs
from sandbox.live.models import Run, RunStatus
from sandbox.live.runner import Runner, viewers_group
from tests.live.conftest import connect, next_of
from tests.sandbox.test_settings import _load_settings

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def short_lease(settings: Any) -> None:
    """Heartbeats every 0.2 s, stale after 1 s: the rules of the defaults, 10 times faster."""
    settings.LIVE_HEARTBEAT_S = 0.2
    settings.LIVE_STALE_S = 1.0
    settings.LIVE_SYNC_TIMEOUT_S = 1


@contextlib.asynccontextmanager
async def runner_of(run: Run) -> AsyncIterator[tuple[Runner, asyncio.Task[None]]]:
    runner = Runner(run.pk)
    task = asyncio.create_task(runner.run())
    async with asyncio.timeout(10):
        while not runner.channel:
            await asyncio.sleep(0.01)
    try:
        yield runner, task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def kill(runner: Runner, task: asyncio.Task[None]) -> None:
    """What kill -9 leaves of a runner: no end recorded, no heartbeat, no answer."""

    async def nothing(*_args: Any) -> None:
        return None

    runner.finish = nothing  # type: ignore[method-assign]
    await runner.lease.stop()
    runner._reader.cancel()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def refreshed(run: Run) -> Run:
    return await database_sync_to_async(Run.objects.get)(pk=run.pk)


@pytest.mark.asyncio
@pytest.mark.usefixtures("short_lease")
async def test_a_viewer_hears_within_seconds_that_the_runner_died(
    make_run: Any, alice: Any
) -> None:
    run = await database_sync_to_async(make_run)(speed=10.0)
    async with runner_of(run) as (runner, task):
        comm = await connect(run, alice)
        await next_of(comm, "hello")
        await comm.send_json_to({"action": "start"})
        await next_of(comm, "frame")
        await kill(runner, task)
        started = asyncio.get_running_loop().time()
        ended = await next_of(comm, "ended", timeout=5)
        waited = asyncio.get_running_loop().time() - started
    assert (ended["status"], ended["reason"]) == ("failed", "its runner stopped")
    assert waited < 3  # stale after 1 s, looked at every 0.2 s
    stored = await refreshed(run)
    assert (stored.status, stored.failure_reason) == ("failed", "its runner stopped")
    assert stored.ended_at is not None
    await comm.disconnect()


@pytest.mark.asyncio
@pytest.mark.usefixtures("short_lease")
async def test_a_control_to_a_dead_runner_gets_an_error_not_silence(
    make_run: Any, alice: Any
) -> None:
    run = await database_sync_to_async(make_run)(speed=10.0)
    async with runner_of(run) as (runner, task):
        comm = await connect(run, alice)
        await next_of(comm, "hello")
        await kill(runner, task)
        await comm.send_json_to({"action": "start"})
        error = await next_of(comm, "error", timeout=3)
        ended = await next_of(comm, "ended", timeout=1)
    assert error == {"type": "error", "action": "start", "error": "start: the run's runner stopped"}
    assert ended["status"] == "failed"
    await comm.disconnect()


@pytest.mark.asyncio
@pytest.mark.usefixtures("short_lease")
async def test_a_paused_run_keeps_its_lease(make_run: Any, alice: Any) -> None:
    """Paused, a run publishes no frames, yet its runner is alive: it is never swept."""
    run = await database_sync_to_async(make_run)(speed=10.0)
    async with runner_of(run):
        comm = await connect(run, alice)
        await next_of(comm, "hello")
        await comm.send_json_to({"action": "start"})
        await next_of(comm, "frame")
        await comm.send_json_to({"action": "pause"})
        assert (await next_of(comm, "status"))["status"] == "paused"
        await asyncio.sleep(2.5)  # 2.5 leases
        assert await database_sync_to_async(sweep_stale_runs)() == []
        stored = await refreshed(run)
        assert stored.status == RunStatus.PAUSED
        assert timezone.now() - stored.heartbeat_at < timedelta(seconds=1)
        await comm.send_json_to({"action": "resume"})
        assert (await next_of(comm, "status"))["status"] == "running"
        await comm.disconnect()


@pytest.mark.asyncio
@pytest.mark.usefixtures("short_lease")
async def test_a_runner_whose_lease_was_taken_ends_the_way_viewers_were_told(
    make_run: Any, alice: Any
) -> None:
    """A runner that stalled past its lease finds its run failed, and keeps it so."""
    run = await database_sync_to_async(make_run)(speed=10.0)
    async with runner_of(run) as (_runner, task):
        comm = await connect(run, alice)
        await next_of(comm, "hello")
        await comm.send_json_to({"action": "start"})
        await next_of(comm, "frame")

        def stall_then_sweep() -> list[str]:
            # One call: the runner's renewals share this database thread, so none
            # comes in between.
            long_ago = timezone.now() - timedelta(minutes=1)
            Run.objects.filter(pk=run.pk).update(heartbeat_at=long_ago)
            return sweep_stale_runs()

        assert await database_sync_to_async(stall_then_sweep)() == [str(run.pk)]
        async with asyncio.timeout(3):
            await task
    stored = await refreshed(run)
    assert (stored.status, stored.failure_reason) == ("failed", "its runner stopped")
    await comm.disconnect()


def test_the_run_page_and_the_run_lists_say_failed_at_once(
    alice_client: Client, make_run: Any, design: Any
) -> None:
    long_ago = timezone.now() - timedelta(minutes=1)
    lost = make_run(status="running", heartbeat_at=long_ago)
    page = alice_client.get(reverse("live:run_detail", args=[lost.pk])).content.decode()
    assert 'data-testid="run-status">failed<' in page
    lost.refresh_from_db()
    assert (lost.status, lost.failure_reason) == ("failed", "its runner stopped")

    also_lost = make_run(status="paused", heartbeat_at=long_ago)
    listing = alice_client.get(design.get_absolute_url()).content.decode()
    assert "paused" not in listing
    also_lost.refresh_from_db()
    assert also_lost.status == RunStatus.FAILED


def test_exports_of_a_run_whose_runner_died_say_failed(alice_client: Client, make_run: Any) -> None:
    lost = make_run(status="running", heartbeat_at=timezone.now() - timedelta(minutes=1))
    response = alice_client.get(reverse("live:run_export_json", args=[lost.pk]))
    exported = json.loads(b"".join(response.streaming_content))
    assert (exported["run"]["status"], exported["run"]["failure_reason"]) == (
        "failed",
        "its runner stopped",
    )


def test_a_sweep_tells_the_viewers_and_leaves_live_runs_alone(make_run: Any) -> None:
    from asgiref.sync import async_to_sync

    layer = get_channel_layer()
    lost = make_run(status="running", heartbeat_at=timezone.now() - timedelta(minutes=1))
    live = make_run(status="running", heartbeat_at=timezone.now())
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(viewers_group(lost.pk), channel)

    assert sweep_stale_runs() == [str(lost.pk)]
    assert sweep_stale_runs() == []  # a second sweeper finds nothing to claim

    message = async_to_sync(layer.receive)(channel)
    assert message["type"] == "run.ended"
    assert (message["status"], message["reason"]) == ("failed", "its runner stopped")
    live.refresh_from_db()
    assert live.status == RunStatus.RUNNING


@pytest.mark.asyncio
@pytest.mark.usefixtures("short_lease")
async def test_a_viewer_whose_channel_layer_died_stops_watching(
    make_run: Any, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A consumer that dies without `disconnect` (Redis went away) leaves no watch behind."""
    run = await database_sync_to_async(make_run)(speed=10.0)
    layer = get_channel_layer()
    receive = layer.receive
    broken = asyncio.Event()

    async def breaks(channel: str) -> dict[str, Any]:
        message = await receive(channel)
        if broken.is_set() and channel != runner.channel:
            raise ConnectionError("Connection closed by server.")
        return message

    monkeypatch.setattr(layer, "receive", breaks)
    async with runner_of(run) as (runner, _task):
        comm = await connect(run, alice)
        await next_of(comm, "hello")
        broken.set()
        await layer.group_send(viewers_group(run.pk), {"type": "run.alive"})
        with pytest.raises(ConnectionError):
            await comm.wait(timeout=2)
        await asyncio.sleep(0)
        watches = [t for t in asyncio.all_tasks() if t.get_name() == f"watch {run.pk}"]
        assert watches == []


def test_a_lease_shorter_than_two_heartbeats_is_refused_at_start() -> None:
    result = _load_settings(LIVE_HEARTBEAT_S="5", LIVE_STALE_S="6")
    assert result.returncode != 0
    assert "LIVE_STALE_S=6: must be at least 2 x LIVE_HEARTBEAT_S + 1 (11)" in result.stderr
    assert _load_settings(LIVE_HEARTBEAT_S="5", LIVE_STALE_S="11").returncode == 0
