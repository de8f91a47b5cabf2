"""Scale-out: two Daphne processes and a runworker sharing Redis and the database.

The commands are those of docs/deploy.md. A run started on one web process is
driven by the worker, and viewers on both web processes watch and steer it.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from sandbox.live.models import Run, RunStatus
from sandbox.live.wire import FrameCodec, decode
from sandbox.models import Design
from tests.conftest import PROJECT_ROOT, _free_port, _test_database_url, _wait_until_listening
from tests.live.conftest import two_web_servers
from tests.wsclient import WebSocketClient

REDIS_URL = os.environ.get("LIVE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_reachable(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or 6379), 2).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def stack(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Two web processes and one worker; yields the web processes' URLs."""
    assert _redis_reachable(REDIS_URL), f"this test needs Redis at {REDIS_URL}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sandbox.settings",
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": REDIS_URL,
        # A prefix of its own, so that parallel test runs never share the runner channel.
        "CHANNEL_LAYER_PREFIX": f"livetest{os.getpid()}",
        "CACHE_KEY_PREFIX": f"livetest{os.getpid()}",
        "SIMULATION_RUNNERS": "workers",
        "PYTHONUNBUFFERED": "1",
    }
    logs = tmp_path_factory.mktemp("stack")
    procs: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        for name in ("web-a", "web-b"):
            port = _free_port()
            procs.append(
                _start(
                    [
                        sys.executable,
                        "-m",
                        "daphne",
                        "-b",
                        "127.0.0.1",
                        "-p",
                        str(port),
                        "--proxy-headers",
                        "--proxy-headers-host",
                        "X-Real-IP",
                        "sandbox.asgi:application",
                    ],
                    env,
                    logs / name,
                )
            )
            _wait_until_listening(procs[-1], port, logs / name)
            urls.append(f"http://127.0.0.1:{port}")
        procs.append(_start([sys.executable, "manage.py", "runworker", "live-runner"], env,
                            logs / "worker"))  # fmt: skip
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=out)


def _session_cookie(user: Any) -> str:
    """A session id of `user`, as a browser that logged in would hold."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _start_run_over_http(base: str, session: str, design: Design) -> str:
    """Press Run the way a browser does (form with CSRF); return the run page's path."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("Cookie", f"{settings.SESSION_COOKIE_NAME}={session}")]
    page = opener.open(f"{base}/runs/new/?design={design.pk}").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    csrf = next(c.value for c in jar if c.name == settings.CSRF_COOKIE_NAME)
    body = urllib.parse.urlencode(
        {"design": design.pk, "scenario": "steady", "speed": "10", "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(f"{base}/runs/new/", data=body, method="POST")
    cookies = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"
    request.add_header("Cookie", cookies)
    response = urllib.request.build_opener().open(request)
    return urllib.parse.urlsplit(response.url).path


async def _viewer(base: str, session: str, run_path: str) -> WebSocketClient:
    ws_url = base.replace("http://", "ws://") + "/ws" + run_path
    return await WebSocketClient.connect(
        ws_url,
        {"Origin": base, "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
    )


async def _next(ws: WebSocketClient, kind: str, timeout: float = 20) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            message = await ws.recv_json(timeout)
            if message["type"] == kind:
                return message


@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_it_and_both_web_processes_serve_viewers(
    stack: list[str], alice: Any
) -> None:
    design = Design.create_with_document(
        owner=alice, name="Two web servers", document=two_web_servers(), message="first"
    )
    session = _session_cookie(alice)
    run_path = _start_run_over_http(stack[0], session, design)
    assert re.fullmatch(r"/runs/[0-9a-f-]{36}/", run_path)

    codec = FrameCodec(design.latest_revision().document)

    async def watch() -> None:
        on_a = await _viewer(stack[0], session, run_path)
        on_b = await _viewer(stack[1], session, run_path)
        try:
            await steer(on_a, on_b)
        finally:  # a failed step must not leave the sockets to a later test
            for ws in (on_a, on_b):
                await ws.close()

    async def steer(on_a: WebSocketClient, on_b: WebSocketClient) -> None:
        assert (await _next(on_a, "hello"))["run"]["is_owner"] is True
        await _next(on_b, "hello")
        # Quiet for longer than the Redis client's default read timeout (5 s): the
        # sockets and the worker must still be listening.
        await asyncio.sleep(6)
        await on_b.send_json({"action": "start"})
        first_a = decode(codec, (await _next(on_a, "frame"))["frame"])
        first_b = decode(codec, (await _next(on_b, "frame"))["frame"])
        assert first_a["nodes"]["web-1"]["health"] != "down"
        assert abs(first_a["tick"] - first_b["tick"]) <= 2
        await on_a.send_json({"action": "fail", "target": "web-1"})
        for ws in (on_a, on_b):
            event = await _next(ws, "event")
            assert event["event"]["component"] == "web-1"
            # A frame of the tick before the failure may still be on its way (a viewer
            # gets events at once, frames at most LIVE_VIEWER_MAX_FPS a second).
            frame = decode(codec, (await _next(ws, "frame"))["frame"])
            while frame["t"] <= event["event"]["t"]:
                frame = decode(codec, (await _next(ws, "frame"))["frame"])
            assert frame["nodes"]["web-1"]["health"] == "down"
        await on_b.send_json({"action": "stop"})
        for ws in (on_a, on_b):
            ended = await _next(ws, "ended")
            assert (ended["status"], ended["reason"]) == ("stopped", "stopped by alice")

    asyncio.run(watch())
    run = Run.objects.get(pk=run_path.split("/")[2])
    assert run.status == RunStatus.STOPPED
    assert run.ticks > 0
    deadline = time.monotonic() + 10
    while not run.chunks.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [f["tick"] for f in run.recorded_frames()][:1] == [1]
