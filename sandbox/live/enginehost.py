"""Runs' engines in a bounded pool of processes, so no tick runs on the event loop.

One tick of a 2,000-component design takes about 70 ms of pure Python; on the
server's event loop, three such runs delayed every page and every other run's
frames by seconds, and a thread would not help (the engine holds the GIL). So
each run's `Engine` lives in one child process of the pool (the engine is pure
Python and never imports Django); the runner sends it commands and gets back a
`Tick` already encoded, so the event loop only moves bytes.

Fairness between users: each process serves one command at a time, and picks
the waiting command of the user who used the least CPU lately, so one user's
queue of big ticks never stands in front of another's small one. Each user
also has a CPU budget (`cpu_share` CPU seconds per real second, a token
bucket): a run over it waits, and its runner says it is slowed.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
import os
import signal
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from sandbox.live.ticks import Tick, advance

log = logging.getLogger(__name__)


class EngineHostError(RuntimeError):
    """The engine process could not do what it was asked; the text says why."""


class ControlRefused(ValueError):
    """The engine refused a control (`simulation.ControlError`); the text says why."""


# -- the child process -------------------------------------------------------------------


def serve(conn: Connection, niceness: int = 0) -> None:
    """The engine process: holds engines by run id and answers commands until closed.

    It runs `niceness` steps below the server, so the operating system gives the web
    server's event loop (pages, frames) the CPU first and engines what is left.
    """
    from sandbox.live.wire import FrameCodec
    from simulation import ControlError, Engine

    if niceness:
        os.nice(niceness)
    # Ctrl-C reaches the whole process group: it is the server's to handle, and the
    # server still needs this process for its runs' reports. (SIGTERM keeps its default:
    # the server's exit terminates its daemon processes with it.)
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    engines: dict[str, tuple[Engine, FrameCodec]] = {}
    while True:
        try:
            op, key, args = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        started = time.process_time()
        try:
            if op == "open":
                document, scenario, seed = args
                engines[key] = (Engine(document, scenario, seed=seed), FrameCodec(document))
                result: Any = None
            elif op == "step":
                result = advance(*engines[key])
            elif op == "apply":
                try:
                    result = engines[key][0].apply(args)
                except ControlError as exc:
                    conn.send(("refused", str(exc), time.process_time() - started))
                    continue
            elif op == "report":
                result = engines[key][0].report()
            elif op == "close":
                result = engines.pop(key, None) is not None
            else:
                raise ValueError(f"unknown command {op!r}")
        except Exception as exc:
            detail = "".join(traceback.format_exception_only(exc)).strip()
            conn.send(("error", detail, time.process_time() - started))
            continue
        conn.send(("ok", result, time.process_time() - started))


# -- the parent's side -------------------------------------------------------------------


@dataclass
class UserBudget:
    """A token bucket of CPU seconds: `rate` a second, at most `burst` saved up."""

    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    updated: float = field(init=False)
    # CPU seconds used, decayed by half every second (the scheduler's order).
    recent: float = 0.0

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self.updated = self.clock()

    def refill(self) -> None:
        now = self.clock()
        elapsed = now - self.updated
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.recent *= 0.5**elapsed
        self.updated = now

    def wait_s(self) -> float:
        """Seconds until this user may use the CPU again (0 if it may now)."""
        self.refill()
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def spend(self, cpu_s: float) -> None:
        self.refill()
        self.tokens -= cpu_s
        self.recent += cpu_s


@dataclass(order=True)
class _Command:
    priority: float
    seq: int
    user: str = field(compare=False)
    message: tuple[str, str, Any] = field(compare=False)
    future: asyncio.Future[Any] = field(compare=False)


class EngineProcess:
    """One child process and the commands waiting for it, served one at a time."""

    def __init__(self, pool: EnginePool, index: int) -> None:
        self.pool = pool
        self.index = index
        # Run id -> its user.
        self.runs: dict[str, str] = {}
        self.waiting: list[_Command] = []
        self.wake = asyncio.Event()
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=serve, args=(child, pool.niceness), name=f"engine-{index}", daemon=True
        )
        self.process.start()
        child.close()
        # Blocking pipe reads happen here, off the event loop.
        self.io = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"engine-{index}")
        self.server = asyncio.get_running_loop().create_task(self._serve())

    @property
    def alive(self) -> bool:
        return self.process.is_alive() and not self.server.done()

    def submit(self, user: str, message: tuple[str, str, Any]) -> asyncio.Future[Any]:
        future = asyncio.get_running_loop().create_future()
        self.waiting.append(_Command(0.0, next(self.pool.seq), user, message, future))
        self.wake.set()
        return future

    def _next(self) -> tuple[_Command | None, float]:
        """The waiting command to serve now (least recent CPU first, users within budget
        only), else how long until one may go."""
        best, soonest = None, 1.0
        for command in self.waiting:
            budget = self.pool.budget(command.user)
            wait = budget.wait_s() if command.message[0] == "step" else 0.0
            if wait > 0:
                soonest = min(soonest, wait)
                continue
            command.priority = budget.recent
            if best is None or command < best:
                best = command
        return best, soonest

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            command, wait = self._next()
            if command is None:
                self.wake.clear()
                try:
                    await asyncio.wait_for(self.wake.wait(), wait if self.waiting else None)
                except TimeoutError:
                    pass
                continue
            self.waiting.remove(command)
            if command.future.cancelled():
                continue
            try:
                status, result, cpu_s = await loop.run_in_executor(
                    self.io, self._call, command.message
                )
            except (EOFError, OSError, BrokenPipeError) as exc:
                self._fail_all(command, exc)
                return
            self.pool.budget(command.user).spend(cpu_s)
            if command.future.cancelled():
                continue
            if status == "ok":
                command.future.set_result(result)
            elif status == "refused":
                command.future.set_exception(ControlRefused(result))
            else:
                command.future.set_exception(EngineHostError(result))

    def _call(self, message: tuple[str, str, Any]) -> tuple[str, Any, float]:
        self.conn.send(message)
        return self.conn.recv()

    def _fail_all(self, command: _Command, exc: BaseException) -> None:
        log.warning("engine process %s stopped: %r", self.index, exc)
        error = EngineHostError("the engine process running it stopped")
        for waiting in [command, *self.waiting]:
            if not waiting.future.done():
                waiting.future.set_exception(error)
        self.waiting.clear()

    def close(self) -> None:
        if not self.server.done():
            self.server.cancel()
        self.conn.close()
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.kill()
        self.io.shutdown(wait=False)


class EnginePool:
    """At most `size` engine processes (started when first needed), shared by all runs
    of this server process."""

    def __init__(
        self, size: int, *, cpu_share: float, burst_s: float = 0.5, niceness: int = 0
    ) -> None:
        self.size = max(1, size)
        self.cpu_share = cpu_share
        self.burst_s = burst_s
        self.niceness = niceness
        self.processes: list[EngineProcess] = []
        self.budgets: dict[str, UserBudget] = {}
        self.seq = itertools.count()

    def budget(self, user: str) -> UserBudget:
        if user not in self.budgets:
            self.budgets[user] = UserBudget(self.cpu_share, self.burst_s)
        return self.budgets[user]

    def _place(self, user: str) -> EngineProcess:
        """The process for a new run of `user`: one without other users' runs if there is
        one (or room for one), else the one with the fewest; a small run then never
        waits behind another user's big tick while the pool has room."""
        self.processes = [p for p in self.processes if p.alive]

        def others(process: EngineProcess) -> int:
            return sum(1 for owner in process.runs.values() if owner != user)

        if len(self.processes) < self.size and all(others(p) for p in self.processes):
            self.processes.append(EngineProcess(self, len(self.processes)))
            return self.processes[-1]
        return min(self.processes, key=lambda p: (others(p), len(p.runs)))

    async def open(
        self, key: str, user: str, document: dict[str, Any], scenario: Any, seed: int
    ) -> RemoteEngine:
        process = self._place(user)
        process.runs[key] = user
        engine = RemoteEngine(process, key, user)
        try:
            await process.submit(user, ("open", key, (document, scenario, seed)))
        except BaseException:
            process.runs.pop(key, None)
            raise
        return engine

    def close(self) -> None:
        for process in self.processes:
            process.close()
        self.processes = []


class RemoteEngine:
    """One run's engine in an engine process, driven with awaitable commands."""

    def __init__(self, process: EngineProcess, key: str, user: str) -> None:
        self.process = process
        self.key = key
        self.user = user

        # Whether the last step had to wait for its user's CPU budget.
        self.slowed = False

    async def step(self) -> Tick:
        self.slowed = self.process.pool.budget(self.user).wait_s() > 0
        return await self.process.submit(self.user, ("step", self.key, None))

    async def apply(self, control: dict[str, Any]) -> list[dict[str, Any]]:
        return await self.process.submit(self.user, ("apply", self.key, control))

    async def report(self) -> dict[str, Any]:
        return await self.process.submit(self.user, ("report", self.key, None))

    async def close(self) -> None:
        self.process.runs.pop(self.key, None)
        if self.process.alive:
            try:
                await self.process.submit(self.user, ("close", self.key, None))
            except EngineHostError:
                log.warning("engine %s: its process was gone at close", self.key)
