"""Stopping a process that runs simulations ends its runs honestly (SIGTERM, as systemd sends).

Each run of the process is cancelled; its runner saves the frames not saved
yet, records `stopped: the server shut down` and tells its viewers (the
runner's cancellation path), and only then does the process exit. A run whose
runner cannot finish within `GRACE_S` is left to its lease: it is marked
failed a few seconds later (sandbox/live/lease.py), so it never stays "running".
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from typing import Any

from sandbox.live.runner import runner_tasks

log = logging.getLogger(__name__)

# How long the runs of a stopping process get to record their end.
GRACE_S = 5.0
# Time for viewers' sockets in this process to pass `ended` on before they close.
FLUSH_S = 0.5


async def finish_runners(grace_s: float = GRACE_S) -> int:
    """Cancel every run of this process and wait (at most `grace_s`) until each has
    recorded its end and told its viewers; return how many runs there were."""
    tasks = runner_tasks.all()
    if not tasks:
        return 0
    log.info("stopping %d run(s): the server shuts down", len(tasks))
    for task in tasks:
        task.cancel()
    _done, pending = await asyncio.wait(tasks, timeout=grace_s)
    if pending:
        log.warning("%d run(s) did not end within %.0f s; their leases will", len(pending), grace_s)
    await asyncio.sleep(FLUSH_S)
    return len(tasks)


def install_in_daphne() -> None:
    """Make Daphne's SIGTERM end the runs of the process before its reactor stops.

    Daphne runs Twisted over asyncio; Twisted's own SIGTERM handler stops the
    reactor at once, which abandons the runner tasks and closes the sockets before
    viewers hear `ended`. Called when the app is ready: it only arranges to take
    SIGTERM over once a reactor runs in the main thread, so elsewhere (runworker,
    tests, management commands) it does nothing.
    """
    reactor = sys.modules.get("twisted.internet.reactor")
    if reactor is None or threading.current_thread() is not threading.main_thread():
        return
    reactor.callWhenRunning(_take_sigterm, reactor)


def _take_sigterm(reactor: Any) -> None:
    if threading.current_thread() is not threading.main_thread():
        return  # `runserver` with its autoreloader: the reloader owns the signals
    loop = asyncio.get_event_loop()
    stopping: list[asyncio.Task[int]] = []

    def on_sigterm() -> None:
        if stopping:
            reactor.stop()  # a second SIGTERM: stop now
            return
        stopping.append(loop.create_task(finish_runners()))
        stopping[0].add_done_callback(lambda _task: reactor.stop())

    # Runs in the main thread between bytecodes; the work goes to the event loop.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: loop.call_soon_threadsafe(on_sigterm))


async def serve_until_terminated(serve: Any) -> None:
    """Run the coroutine `serve` until it ends or SIGTERM comes; on SIGTERM, end the
    process's runs first (a runworker's main coroutine)."""
    terminated = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, terminated.set)
    serving = asyncio.ensure_future(serve)
    waiting = asyncio.ensure_future(terminated.wait())
    await asyncio.wait({serving, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if terminated.is_set():
        log.info("SIGTERM: ending this worker's runs")
        await finish_runners()
    for task in (serving, waiting):
        task.cancel()
    results = await asyncio.gather(serving, waiting, return_exceptions=True)
    if not terminated.is_set() and isinstance(results[0], BaseException):
        raise results[0]
