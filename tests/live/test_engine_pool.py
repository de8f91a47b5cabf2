"""Engines in a pool of processes: the same frames as in process, fair to every user."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer

from sandbox.live.enginehost import ControlRefused, EngineHostError, EnginePool
from sandbox.live.models import Run
from sandbox.live.runner import Runner, RunnerSettings, viewers_group
from sandbox.live.ticks import advance
from sandbox.live.wire import FrameCodec
from simulation import Engine, validate_scenario
from tests.live.conftest import two_web_servers

pytestmark = pytest.mark.django_db(transaction=True)

SCENARIO = {"duration_s": 30, "faults": [{"at": 5, "target": "web-2", "action": "fail"}]}


@pytest_asyncio.fixture
async def pool() -> AsyncIterator[EnginePool]:
    pool = EnginePool(1, cpu_share=0.5)
    yield pool
    pool.close()


@pytest.mark.asyncio
async def test_a_pooled_engine_gives_the_same_ticks_as_one_in_process(pool: EnginePool) -> None:
    """Byte for byte: the socket text, the numbers and the events, controls included."""
    document = two_web_servers()
    scenario = validate_scenario(SCENARIO, document)
    local, codec = Engine(document, scenario, seed=7), FrameCodec(document)
    remote = await pool.open("run-1", "alice", document, scenario, 7)
    for tick in range(12):
        if tick == 8:
            control = {"action": "scale", "target": "web-1", "instances": 3}
            assert await remote.apply(control) == local.apply(control)
        here, there = advance(local, codec), await remote.step()
        assert (there.tick, there.wire, there.numbers, there.events, there.finished) == (
            here.tick, here.wire, here.numbers, here.events, here.finished
        )  # fmt: skip
    assert await remote.report() == local.report()
    await remote.close()


@pytest.mark.asyncio
async def test_a_control_the_engine_refuses_says_why(pool: EnginePool) -> None:
    document = two_web_servers()
    remote = await pool.open("run-1", "alice", document, None, 1)
    with pytest.raises(ControlRefused, match="no-such-node"):
        await remote.apply({"action": "fail", "target": "no-such-node"})
    assert (await remote.step()).tick == 1, "the engine goes on"


@pytest.mark.asyncio
async def test_a_user_over_budget_waits_and_the_others_go_first(pool: EnginePool) -> None:
    document = two_web_servers()
    greedy = await pool.open("run-a", "alice", document, None, 1)
    modest = await pool.open("run-b", "bob", document, None, 1)
    pool.budget("alice").spend(1.0)  # 0.5 s of CPU over: a second at 0.5 CPU s/s
    done: list[str] = []

    async def step(name: str, engine: Any) -> None:
        await engine.step()
        done.append(name)

    await asyncio.gather(step("alice", greedy), step("bob", modest), step("bob", modest))
    assert done == ["bob", "bob", "alice"]
    assert greedy.slowed
    assert not modest.slowed


@pytest.mark.asyncio
async def test_the_least_busy_user_is_served_first() -> None:
    """Within budget, a user who used less CPU lately goes before one who used more."""
    pool = EnginePool(1, cpu_share=100.0, burst_s=100.0)
    try:
        document = two_web_servers()
        busy = await pool.open("run-a", "alice", document, None, 1)
        quiet = await pool.open("run-b", "bob", document, None, 1)
        pool.budget("alice").recent = 10.0
        order: list[str] = []

        async def step(name: str, engine: Any) -> None:
            await engine.step()
            order.append(name)

        # Queued together while the process is busy opening a third engine.
        opening = asyncio.ensure_future(pool.open("run-c", "carol", document, None, 1))
        await asyncio.sleep(0)
        await asyncio.gather(step("alice", busy), step("bob", quiet), opening)
        assert order == ["bob", "alice"]
    finally:
        pool.close()


@pytest.mark.asyncio
async def test_each_user_gets_a_process_of_their_own_while_there_is_room() -> None:
    """Then one user's big ticks never stand in front of another user's small one."""
    pool = EnginePool(2, cpu_share=0.5)
    try:
        document = two_web_servers()
        a1 = await pool.open("a1", "alice", document, None, 1)
        a2 = await pool.open("a2", "alice", document, None, 1)
        b1 = await pool.open("b1", "bob", document, None, 1)
        assert a1.process is a2.process
        assert b1.process is not a1.process
        c1 = await pool.open("c1", "carol", document, None, 1)
        assert c1.process is b1.process, "no room: with the fewest other users' runs"
        assert len(pool.processes) == 2
    finally:
        pool.close()


@pytest.mark.asyncio
async def test_engine_processes_run_below_the_servers_priority() -> None:
    pool = EnginePool(1, cpu_share=0.5, niceness=7)
    try:
        remote = await pool.open("a1", "alice", two_web_servers(), None, 1)
        await remote.step()
        pid = remote.process.process.pid
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        assert int(stat[16]) == os.nice(0) + 7
    finally:
        pool.close()


@pytest.mark.asyncio
async def test_a_dead_engine_process_fails_its_runs_with_a_reason(pool: EnginePool) -> None:
    remote = await pool.open("run-1", "alice", two_web_servers(), None, 1)
    os.kill(remote.process.process.pid, signal.SIGKILL)  # a process this test started
    with pytest.raises(EngineHostError, match="the engine process running it stopped"):
        await remote.step()
    again = await pool.open("run-2", "alice", two_web_servers(), None, 1)
    assert (await again.step()).tick == 1, "a new run gets a new process"


POOLED = RunnerSettings(
    idle_pause_s=60, idle_stop_s=120, flush_ticks=10, flush_s=60, engine_processes=1
)


async def control(runner: Runner, **control: Any) -> None:
    await runner.handle(
        {"type": "runner.control", "control": control, "reply_to": "viewer", "by": "alice"}
    )


@pytest.mark.asyncio
async def test_a_run_on_the_pool_is_recorded_as_one_in_process(make_run: Any) -> None:
    run = await database_sync_to_async(make_run)(scenario=SCENARIO, speed=0.0)
    layer = InMemoryChannelLayer()
    await layer.group_add(viewers_group(run.pk), "viewer")
    runner = Runner(run.pk, layer=layer, config=POOLED)
    await runner.open()
    assert runner.session.engine is None
    assert runner.remote is not None
    await control(runner, action="start")
    await control(runner, action="fail", target="no-such-node")
    await asyncio.wait_for(runner.loop(), 30)
    await runner.finish(runner.session.status, runner.session.reason)
    document = run.revision.document
    local = Engine(document, run.scenario, seed=run.seed)
    expected = [json.loads(advance(local, FrameCodec(document)).wire) for _ in range(30)]
    recorded = await database_sync_to_async(run.recorded_frames_between)(0, 100)
    assert recorded == expected
    messages = []
    while layer.channels.get("viewer") is not None and not layer.channels["viewer"].empty():
        messages.append(await layer.receive("viewer"))
    errors = [m["error"] for m in messages if m["type"] == "run.error"]
    assert errors
    assert errors[0].startswith("fail: ")
    ended = [m for m in messages if m["type"] == "run.ended"]
    assert ended[0]["summary"] == local.report()["summary"]


@pytest.mark.asyncio
async def test_a_run_over_its_users_budget_says_it_is_slowed(make_run: Any) -> None:
    run = await database_sync_to_async(make_run)(speed=0.0)
    layer = InMemoryChannelLayer()
    await layer.group_add(viewers_group(run.pk), "viewer")
    runner = Runner(run.pk, layer=layer, config=POOLED)
    await runner.open()
    await control(runner, action="start")
    runner.remote.process.pool.budget(str(run.owner_id)).spend(0.6)
    await runner.tick()
    # Two messages besides the lease's `run.alive`: the start's status and the slowed one.
    states = []
    while len(states) < 2:
        message = await asyncio.wait_for(layer.receive("viewer"), 5)
        if message["type"] != "run.alive":
            states.append(message)
    slowed = [m for m in states if m["type"] == "run.status" and m["reason"]]
    assert slowed[0]["reason"].startswith("slowed: your runs need more than your share")
    assert slowed[0]["status"] == "running"
    await runner.close()


@pytest.mark.asyncio
async def test_a_run_whose_engine_process_dies_fails_with_the_reason(make_run: Any) -> None:
    run = await database_sync_to_async(make_run)(speed=0.0)
    layer = InMemoryChannelLayer()
    await layer.group_add(viewers_group(run.pk), "viewer")
    runner = Runner(run.pk, layer=layer, config=POOLED)
    task = asyncio.create_task(runner.run())
    while runner.remote is None:
        await asyncio.sleep(0.01)
    await layer.send(runner.channel, {"type": "runner.control", "control": {"action": "start"},
                                      "reply_to": "viewer", "by": "alice"})  # fmt: skip
    while runner.session.ticks < 3:
        await asyncio.sleep(0.01)
    os.kill(runner.remote.process.process.pid, signal.SIGKILL)  # a process this test started
    await asyncio.wait_for(task, 10)
    run = await database_sync_to_async(Run.objects.get)(pk=run.pk)
    assert run.status == "failed"
    assert run.failure_reason == (
        "the simulation crashed: EngineHostError: the engine process running it stopped"
    )


@pytest.mark.asyncio
async def test_a_run_stopped_at_shutdown_stays_stopped_if_its_engine_is_gone(
    make_run: Any,
) -> None:
    run = await database_sync_to_async(make_run)(speed=0.0)
    runner = Runner(run.pk, layer=InMemoryChannelLayer(), config=POOLED)
    await runner.open()
    await control(runner, action="start")
    await runner.tick()
    os.kill(runner.remote.process.process.pid, signal.SIGKILL)  # a process this test started
    await runner.finish("stopped", "the server shut down")
    run = await database_sync_to_async(Run.objects.get)(pk=run.pk)
    assert (run.status, run.failure_reason) == ("stopped", "the server shut down")
