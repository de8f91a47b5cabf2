"""Fixtures for the live-run tests: a small design, runs, signed-in socket headers, and
helpers to drive a run's socket."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from sandbox.asgi import application
from sandbox.live.models import Run
from sandbox.live.runner import Runner
from sandbox.live.wire import FrameCodec, decode
from sandbox.models import Design
from simulation import validate_document, validate_scenario

# A page of the site opening its socket: its origin is the scheme and host it asks.
ORIGIN = (b"origin", b"http://127.0.0.1")
HOST = (b"host", b"127.0.0.1")


def two_web_servers(rps: float = 500) -> dict[str, Any]:
    """Users -> load balancer -> two web servers -> one database (each web ~60% busy)."""
    return validate_document(
        {
            "format": 1,
            "name": "Two web servers",
            "components": [
                {"id": "users", "kind": "client", "label": "Users", "params": {"rps": rps}},
                {"id": "lb", "kind": "load_balancer", "label": "Load balancer"},
                {"id": "web-1", "kind": "web_server", "label": "Web 1"},
                {"id": "web-2", "kind": "web_server", "label": "Web 2"},
                {"id": "db", "kind": "database", "label": "DB", "params": {"role": "primary"}},
            ],
            "links": [
                {"from": "users", "to": "lb"},
                {"from": "lb", "to": "web-1"},
                {"from": "lb", "to": "web-2"},
                {"from": "web-1", "to": "db"},
                {"from": "web-2", "to": "db"},
            ],
        }
    )


@pytest.fixture
def design(alice: Any) -> Design:
    return Design.create_with_document(
        owner=alice, name="Two web servers", document=two_web_servers(), message="first"
    )


@pytest.fixture
def make_run(design: Design, alice: Any) -> Any:
    def make(**fields: Any) -> Run:
        revision = fields.pop("revision", None) or design.latest_revision()
        scenario = validate_scenario(fields.pop("scenario", {"duration_s": 60}), revision.document)
        values = {"owner": alice, "scenario_name": "custom", "seed": 1, "speed": 1.0}
        values.update(fields)
        return Run.objects.create(revision=revision, scenario=scenario, **values)

    return make


def session_headers(user: Any) -> list[tuple[bytes, bytes]]:
    """Headers of a signed-in browser on the allowed origin."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [ORIGIN, HOST, (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())]


@contextlib.asynccontextmanager
async def live_runner(run: Run) -> AsyncIterator[Runner]:
    """The run's runner as a task of this event loop, cancelled at the end."""
    runner = Runner(run.pk)
    task = asyncio.create_task(runner.run())
    async with asyncio.timeout(10):
        while not runner.channel:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
    try:
        yield runner
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def connect(run: Run, user: Any, query: str = "") -> WebsocketCommunicator:
    headers = await database_sync_to_async(session_headers)(user)
    path = f"/ws/runs/{run.pk}/" + (f"?{query}" if query else "")
    comm = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await comm.connect(timeout=5)
    assert connected, f"refused with {code}"
    return comm


async def refusal(comm: WebsocketCommunicator) -> tuple[int, str]:
    """The close code and the `error` text of a socket the server refuses to serve."""
    connected, _ = await comm.connect(timeout=5)
    assert connected, "accepted first, so that the page sees the close code"
    message = await comm.receive_json_from(timeout=5)
    assert message["type"] == "error"
    closed = await comm.receive_output(timeout=5)
    assert closed["type"] == "websocket.close"
    assert message["code"] == closed["code"]
    return closed["code"], message["error"]


async def next_of(comm: WebsocketCommunicator, kind: str, timeout: float = 5) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            message = await comm.receive_json_from(timeout=timeout)
            if message["type"] == kind:
                return message


CODEC = FrameCodec(two_web_servers())


async def frames(comm: WebsocketCommunicator, count: int) -> list[dict[str, Any]]:
    """The next `count` frames, in full form."""
    return [decode(CODEC, (await next_of(comm, "frame"))["frame"]) for _ in range(count)]
