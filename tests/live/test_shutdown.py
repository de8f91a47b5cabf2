"""Stopping a process that runs simulations: each run records its end and tells its viewers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async

from sandbox.live.models import Run
from sandbox.live.runner import runner_tasks
from sandbox.live.shutdown import finish_runners
from tests.live.conftest import connect, frames, next_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.asyncio
async def test_a_shutdown_records_the_runs_and_tells_their_viewers(
    make_run: Any, alice: Any, settings: Any
) -> None:
    settings.LIVE_FLUSH_S = 60  # nothing saved on schedule: the shutdown must save it all
    run = await database_sync_to_async(make_run)(speed=20.0)
    task = runner_tasks.launch(run.pk)
    comm = await connect(run, alice)
    await next_of(comm, "hello")
    await comm.send_json_to({"action": "start"})
    seen = [f["tick"] for f in await frames(comm, 5)]

    assert await finish_runners() == 1

    assert task.cancelled()
    ended = await next_of(comm, "ended", timeout=2)
    assert (ended["status"], ended["reason"]) == ("stopped", "the server shut down")
    stored = await database_sync_to_async(Run.objects.get)(pk=run.pk)
    assert (stored.status, stored.failure_reason) == ("stopped", "the server shut down")
    assert stored.ticks >= max(seen)
    recorded = await database_sync_to_async(stored.recorded_frames)()
    assert [f["tick"] for f in recorded] == list(range(1, stored.ticks + 1))
    await comm.disconnect()


@pytest.mark.asyncio
async def test_a_shutdown_without_runs_returns_at_once() -> None:
    started = asyncio.get_running_loop().time()
    assert await finish_runners() == 0
    assert asyncio.get_running_loop().time() - started < 0.1
