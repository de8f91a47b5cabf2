"""Fault drills over the real services: after any crash or restart, every user sees an
honest status within seconds, and a run is never shown "running" when nothing runs it.

The processes are those of docs/deploy.md (two Daphne processes, one runworker) on the
test database and a private `redis-server` on a port of its own, which the drills stop
and start again; and, for the embedded set-up, one Daphne running its runs itself.
The settings are the defaults: a heartbeat every 2 s, a run stale after 6 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from sandbox.live.models import Run, RunStatus
from sandbox.models import Design
from tests.conftest import (
    PROJECT_ROOT,
    SUITE_RATE_LIMITS,
    _free_port,
    _test_database_url,
    _wait_until_listening,
)
from tests.live.conftest import two_web_servers
from tests.live.test_multiprocess import _next, _session_cookie, _start_run_over_http, _viewer
from tests.wsclient import WebSocketClient, WebSocketClosed

pytestmark = pytest.mark.django_db(transaction=True)

# The bound: viewers of a dead runner are told within 10 s.
TOLD_WITHIN_S = 10


class Service:
    """One process of the drill, started from its command and stopped the way asked."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log = logs / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(
                self.command, cwd=PROJECT_ROOT, env=self.env, stdout=out, stderr=out
            )

    def signal(self, sig: int) -> None:
        assert self.alive, f"{self.name} is not running"
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Web(Service):
    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        self.port = _free_port()
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
                   "--proxy-headers", "--proxy-headers-host", "X-Real-IP",
                   "sandbox.asgi:application"]  # fmt: skip
        super().__init__(name, command, env, logs)
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        super().start()
        _wait_until_listening(self.proc, self.port, self.log)


class Redis(Service):
    def __init__(self, logs: Path) -> None:
        self.port = _free_port()
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                   "--save", "", "--appendonly", "no"]  # fmt: skip
        super().__init__("redis", command, dict(os.environ), logs)
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        super().start()
        _wait_until_listening(self.proc, self.port, self.log)


def _env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sandbox.settings",
        "DATABASE_URL": _test_database_url(),
        "PYTHONUNBUFFERED": "1",
        **{name: str(value) for name, value in SUITE_RATE_LIMITS.items()},
        **extra,
    }


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="module")
def scale_out(django_db_setup: None, logs: Path) -> Iterator[dict[str, Any]]:
    """A private Redis, two web processes and one worker (docs/deploy.md)."""
    redis = Redis(logs)
    redis.start()
    env = _env(
        REDIS_URL=redis.url,
        CHANNEL_LAYER_PREFIX=f"faults{os.getpid()}",
        CACHE_KEY_PREFIX=f"faults{os.getpid()}",
        SIMULATION_RUNNERS="workers",
    )
    webs = [Web("web-a", env, logs), Web("web-b", env, logs)]
    worker = Service("worker", [sys.executable, "manage.py", "runworker", "live-runner"], env, logs)
    try:
        for web in webs:
            web.start()
        worker.start()
        yield {"redis": redis, "webs": webs, "worker": worker}
    finally:
        for service in (worker, *webs, redis):
            service.stop()


@pytest.fixture
def worker(scale_out: dict[str, Any]) -> Service:
    """The worker, started again if a drill before this one ended it."""
    service = scale_out["worker"]
    if not service.alive:
        service.start()
    return service


@pytest.fixture
def design(alice: Any) -> Design:
    return Design.create_with_document(
        owner=alice, name="Two web servers", document=two_web_servers(), message="first"
    )


def _run_of(path: str) -> Run:
    return Run.objects.get(pk=path.split("/")[2])


async def _frames_until(ws: WebSocketClient, tick: int) -> int:
    """Read frames until one at `tick` or later; the last tick seen."""
    seen = -1
    while seen < tick:
        seen = (await _next(ws, "frame"))["frame"]["tick"]
    return seen


def _run_and_watch(base: str, design: Design, user: Any) -> tuple[str, str]:
    session = _session_cookie(user)
    return session, _start_run_over_http(base, session, design)


# -- scale-out: runworker stopped, killed; Redis down --------------------------------------


def test_sigterm_of_the_worker_stops_its_runs_and_tells_the_viewers(
    scale_out: dict[str, Any], worker: Service, design: Design, alice: Any
) -> None:
    web_a, web_b = scale_out["webs"]
    session, path = _run_and_watch(web_a.url, design, alice)

    async def drill() -> tuple[int, dict[str, Any]]:
        ws = await _viewer(web_b.url, session, path)
        await _next(ws, "hello")
        await ws.send_json({"action": "start"})
        seen = await _frames_until(ws, 5)
        worker.signal(signal.SIGTERM)
        ended = await _next(ws, "ended", timeout=TOLD_WITHIN_S)
        await ws.close()
        return seen, ended

    seen, ended = asyncio.run(drill())
    assert (ended["status"], ended["reason"]) == ("stopped", "the server shut down")
    assert worker.wait(10) == 0
    run = _run_of(path)
    assert (run.status, run.failure_reason) == (RunStatus.STOPPED, "the server shut down")
    assert run.ticks >= seen
    assert [f["tick"] for f in run.recorded_frames()] == list(range(1, run.ticks + 1))


def test_a_killed_worker_leaves_its_runs_failed_within_seconds(
    scale_out: dict[str, Any], worker: Service, design: Design, alice: Any
) -> None:
    web_a, _web_b = scale_out["webs"]
    session, path = _run_and_watch(web_a.url, design, alice)

    async def drill() -> tuple[float, list[dict[str, Any]]]:
        ws = await _viewer(web_a.url, session, path)
        await _next(ws, "hello")
        await ws.send_json({"action": "start"})
        await _frames_until(ws, 3)
        worker.signal(signal.SIGKILL)
        killed_at = time.monotonic()
        await ws.send_json({"action": "pause"})
        told = [await _next(ws, "error", timeout=TOLD_WITHIN_S)]
        told.append(await _next(ws, "ended", timeout=1))
        await ws.close()
        return time.monotonic() - killed_at, told

    waited, (error, ended) = asyncio.run(drill())
    assert error["error"] == "pause: the run's runner stopped"
    assert (ended["status"], ended["reason"]) == ("failed", "its runner stopped")
    assert waited < TOLD_WITHIN_S
    run = _run_of(path)
    assert (run.status, run.failure_reason) == (RunStatus.FAILED, "its runner stopped")


def test_while_redis_is_down_the_worker_waits_and_viewers_resume_after(
    scale_out: dict[str, Any], worker: Service, design: Design, alice: Any
) -> None:
    redis = scale_out["redis"]
    web_a, _web_b = scale_out["webs"]
    session, path = _run_and_watch(web_a.url, design, alice)

    async def drill() -> tuple[int, dict[str, Any], int]:
        ws = await _viewer(web_a.url, session, path)
        await _next(ws, "hello")
        await ws.send_json({"action": "start"})
        before = await _frames_until(ws, 3)
        redis.stop()
        before = max(before, await _frames_until_dropped(ws))
        await asyncio.sleep(3)  # an outage of a few seconds
        assert worker.alive, "the worker exited while Redis was down"
        redis.start()
        # The page reconnects with backoff, from the last tick it has.
        resumed = await _reconnect(web_a.url, session, f"{path}?since={before}")
        hello = await _next(resumed, "hello")
        after = (await _next(resumed, "frame", timeout=10))["frame"]["tick"]
        await resumed.send_json({"action": "stop"})
        await _next(resumed, "ended")
        await resumed.close()
        return before, hello, after

    before, hello, after = asyncio.run(drill())
    assert hello["run"]["status"] == "running"
    assert "design" not in hello  # a resuming page keeps the design it has
    assert all(tick > before for tick in hello["series"]["tick"])
    assert after > before
    assert worker.alive
    assert _run_of(path).status == RunStatus.STOPPED

    # The worker that waited out the outage takes new runs.
    _session, new_path = _run_and_watch(web_a.url, design, alice)

    async def new_run() -> dict[str, Any]:
        ws = await _viewer(web_a.url, session, new_path)
        await _next(ws, "hello")
        await ws.send_json({"action": "start"})
        frame = await _next(ws, "frame")
        await ws.send_json({"action": "stop"})
        await _next(ws, "ended")
        await ws.close()
        return frame

    assert asyncio.run(new_run())["frame"]["tick"] >= 1


async def _frames_until_dropped(ws: WebSocketClient) -> int:
    """Read frames until the server drops the socket; the last tick seen."""
    seen = -1
    try:
        while True:
            seen = (await _next(ws, "frame", timeout=10))["frame"]["tick"]
    except (WebSocketClosed, asyncio.IncompleteReadError, ConnectionError):
        return seen


async def _reconnect(base: str, session: str, path: str) -> WebSocketClient:
    delay = 0.5
    async with asyncio.timeout(20):
        while True:
            try:
                return await _viewer(base, session, path)
            except (WebSocketClosed, OSError):
                await asyncio.sleep(delay)
                delay = min(2 * delay, 10)


# -- embedded: the runs live in the Daphne process ------------------------------------------


@pytest.fixture
def embedded(django_db_setup: None, logs: Path) -> Iterator[Web]:
    web = Web("embedded", _env(SIMULATION_RUNNERS="embedded"), logs)
    web.start()
    try:
        yield web
    finally:
        web.stop()


def test_sigterm_of_an_embedded_daphne_stops_its_runs_and_tells_the_viewers(
    embedded: Web, design: Design, alice: Any
) -> None:
    session, path = _run_and_watch(embedded.url, design, alice)

    async def drill() -> tuple[int, dict[str, Any]]:
        ws = await _viewer(embedded.url, session, path)
        await _next(ws, "hello")
        await ws.send_json({"action": "start"})
        seen = await _frames_until(ws, 5)
        embedded.signal(signal.SIGTERM)
        ended = await _next(ws, "ended", timeout=TOLD_WITHIN_S)
        await ws.close()
        return seen, ended

    seen, ended = asyncio.run(drill())
    assert (ended["status"], ended["reason"]) == ("stopped", "the server shut down")
    embedded.wait(10)
    run = _run_of(path)
    assert (run.status, run.failure_reason) == (RunStatus.STOPPED, "the server shut down")
    assert run.ticks >= seen


def test_after_a_killed_embedded_daphne_restarts_pages_say_failed_within_seconds(
    embedded: Web, design: Design, alice: Any
) -> None:
    session, path = _run_and_watch(embedded.url, design, alice)

    async def start_it() -> None:
        ws = await _viewer(embedded.url, session, path)
        await _next(ws, "hello")
        await ws.send_json({"action": "start"})
        await _frames_until(ws, 3)
        embedded.signal(signal.SIGKILL)
        with contextlib.suppress(WebSocketClosed, asyncio.IncompleteReadError, ConnectionError):
            await ws.close()

    asyncio.run(start_it())
    killed_at = time.monotonic()
    embedded.wait(5)
    assert _run_of(path).status == RunStatus.RUNNING  # what the database holds at the crash
    embedded.start()

    def page(url: str) -> str:
        request = urllib.request.Request(url)
        request.add_header("Cookie", f"{settings.SESSION_COOKIE_NAME}={session}")
        return urllib.request.urlopen(request).read().decode()

    while 'data-testid="run-status">failed<' not in page(embedded.url + path):
        assert time.monotonic() - killed_at < TOLD_WITHIN_S, "the run page still says running"
        time.sleep(0.5)
    waited = time.monotonic() - killed_at
    listing = page(embedded.url + design.get_absolute_url())
    assert "(failed, r1)" in listing
    assert "(running" not in listing
    run = _run_of(path)
    assert (run.status, run.failure_reason) == (RunStatus.FAILED, "its runner stopped")
    assert waited < TOLD_WITHIN_S
