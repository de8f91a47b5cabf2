"""Fixtures shared by every test: personas, a live Daphne server, Chromium settings."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import hypothesis
import pytest
from django.test import Client

# Playwright's sync API keeps an asyncio loop "running" in the test thread; without this,
# any ORM call in a browser test (including transactional_db's flush) raises
# SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "correct-horse-battery-staple"

# Hypothesis explores locally and repeats itself on CI (where a red main blocks everyone).
hypothesis.settings.register_profile("ci", derandomize=True)
hypothesis.settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Hash test passwords cheaply; the real hasher costs ~0.3 s per user on CI machines."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Limits no test of other behaviour comes near; tests of the limits set low ones themselves.
SUITE_RATE_LIMITS = {
    "RATE_LIMIT_WRITES_PER_MINUTE": 100_000,
    "RATE_LIMIT_READS_PER_MINUTE": 100_000,
    "RATE_LIMIT_LOGINS_PER_MINUTE": 100_000,
    "RATE_LIMIT_SIGNUPS_PER_HOUR": 100_000,
}


@pytest.fixture(autouse=True)
def _rate_limits_of_the_suite(settings: Any) -> None:
    """High rate limits, and request counts of this test only: a cache key prefix of its own
    (never clear the cache, which on Redis would empty the whole database)."""
    for name, value in SUITE_RATE_LIMITS.items():
        setattr(settings, name, value)
    default = settings.CACHES["default"]
    settings.CACHES = {"default": {**default, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


@pytest.fixture(autouse=True)
def _engines_in_process(settings: Any) -> None:
    """Runs tick on the test's event loop, one tick at a time when a test drives them;
    tests of the engine processes (tests/live/test_engine_pool.py) turn them on."""
    settings.LIVE_ENGINE_PROCESSES = 0


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Any:
    """A new channel layer per test: pytest-asyncio gives every test its own event loop, and a
    Redis layer keeps locks and pools bound to the loop that first used them."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


# Personas ---------------------------------------------------------------------------------


@pytest.fixture
def alice(django_user_model: Any) -> Any:
    """The owner of the designs under test."""
    return django_user_model.objects.create_user("alice", password=PASSWORD)


@pytest.fixture
def bob(django_user_model: Any) -> Any:
    """Another registered user, who owns nothing of alice's."""
    return django_user_model.objects.create_user("bob", password=PASSWORD)


@pytest.fixture
def alice_client(alice: Any) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob: Any) -> Client:
    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture
def anon_client(db: None) -> Client:
    return Client()


# Browser tests ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Drive Debian's Chromium (pytest-playwright hook); never a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """Pages of the browser tests ignore the Content-Security-Policy: Playwright runs a
    string predicate of `wait_for_function` through eval, which the policy forbids.
    tests/browser/test_csp.py opens a context of its own that enforces it."""
    return {**browser_context_args, "bypass_csp": True}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _test_database_url() -> str:
    """DATABASE_URL for a server process that must use this run's test database."""
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def daphne_server(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Daphne (HTTP + WebSocket) in a subprocess on the test database; yields its URL.

    Tests whose writes the server must see use `transactional_db` (plain `db` keeps them
    in a transaction the server cannot see).
    """
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sandbox.settings",
        "DATABASE_URL": _test_database_url(),
        "PYTHONUNBUFFERED": "1",
        **{name: str(value) for name, value in SUITE_RATE_LIMITS.items()},
    }
    log_path = tmp_path_factory.mktemp("daphne") / "daphne.log"
    with log_path.open("w+") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "tests.asgi:application",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_listening(proc, port, log_path)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(autouse=True)
def _runs_stopped_before_the_database_resets(request: pytest.FixtureRequest) -> Iterator[None]:
    """A browser test may leave a run going in the Daphne server, and a save of that run in
    flight blocks the reset of the test database (a deadlock on PostgreSQL). Each run still
    going is stopped through its owner's socket, and has ended, before the reset."""
    if "daphne_server" not in request.fixturenames:
        yield
        return
    # Set up before this fixture, the database is reset after this fixture's teardown.
    request.getfixturevalue("_django_db_helper")
    yield
    _stop_active_runs(request.getfixturevalue("daphne_server"))


def _stop_active_runs(base: str, timeout_s: float = 15.0) -> None:
    from django.conf import settings

    from sandbox.live.models import Run
    from tests.wsclient import WebSocketClient, WebSocketClosed

    runs = list(Run.objects.active().select_related("owner"))
    if not runs:
        return
    cookies = {}
    for run in runs:
        client = Client()
        client.force_login(run.owner)
        cookies[run.pk] = client.cookies[settings.SESSION_COOKIE_NAME].value

    async def stop(run: Any) -> None:
        url = f"{base.replace('http://', 'ws://')}/ws/runs/{run.pk}/"
        headers = {"Origin": base, "Cookie": f"{settings.SESSION_COOKIE_NAME}={cookies[run.pk]}"}
        ws = await WebSocketClient.connect(url, headers)
        try:
            await ws.send_json({"action": "stop"})
            async with asyncio.timeout(timeout_s):
                while (await ws.recv_json(timeout_s))["type"] != "ended":
                    pass
        except WebSocketClosed:
            pass  # it ended meanwhile
        finally:
            await ws.close()

    async def stop_all() -> None:
        await asyncio.gather(*(stop(run) for run in runs))

    # Playwright's loop runs in this thread: the sockets get a thread and loop of their own.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, stop_all()).result()


def _wait_until_listening(proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"daphne exited early:\n{log_path.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"daphne did not listen in 30 s:\n{log_path.read_text()}"
                ) from None
            time.sleep(0.1)
        else:
            return


def pytest_itemcollected(item: pytest.Item) -> None:
    """Mark browser tests `e2e` as they are collected, before `-m` selects on the mark."""
    # Every pytest-playwright fixture (page, context, browser, ...) depends on browser_name.
    if {"page", "browser_name"} & set(getattr(item, "fixturenames", ())):
        item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run browser tests last.

    Once pytest-playwright's session Playwright starts, every later pytest-asyncio test
    or async_to_sync call fails ("Runner.run() cannot be called from a running event loop").
    """
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
