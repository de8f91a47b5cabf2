"""The handshake of a socket: same origin (scheme, host and port), and 404 for no route."""

from __future__ import annotations

import socket
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from channels.db import database_sync_to_async
from channels.testing import ApplicationCommunicator, WebsocketCommunicator

from sandbox.asgi import application
from sandbox.live.models import RunStatus
from sandbox.socket_guard import origin_allowed
from tests.live.conftest import connect, next_of, session_headers

pytestmark = pytest.mark.django_db(transaction=True)


def scope(origin: str, host: str, scheme: str = "ws") -> dict[str, Any]:
    headers = [(b"origin", origin.encode()), (b"host", host.encode())]
    return {"type": "websocket", "scheme": scheme, "headers": headers}


@pytest.mark.parametrize(
    ("origin", "host", "scheme"),
    [
        ("http://127.0.0.1", "127.0.0.1", "ws"),
        ("http://localhost:8000", "localhost:8000", "ws"),
        ("https://localhost", "localhost", "wss"),
    ],
)
def test_a_page_of_the_same_origin_may_open_a_socket(origin: str, host: str, scheme: str) -> None:
    assert origin_allowed(scope(origin, host, scheme))


@pytest.mark.parametrize(
    ("origin", "host", "scheme", "why"),
    [
        ("http://localhost:9999", "localhost:8000", "ws", "another port"),
        ("http://localhost:9999", "localhost", "ws", "a port against none"),
        ("https://localhost:8000", "localhost:8000", "ws", "another scheme"),
        ("http://localhost", "localhost", "wss", "http page, wss socket"),
        ("http://evil.example", "localhost", "ws", "another host"),
        ("http://evil.example", "evil.example", "ws", "a host not in ALLOWED_HOSTS"),
        ("null", "localhost", "ws", "an opaque origin"),
        ("", "localhost", "ws", "no origin"),
        ("http://localhost", "", "ws", "no host"),
    ],
)
def test_any_other_origin_is_refused(origin: str, host: str, scheme: str, why: str) -> None:
    assert not origin_allowed(scope(origin, host, scheme)), why


def test_behind_a_proxy_that_ends_tls_the_trusted_origin_opens_it(settings: Any) -> None:
    """nginx takes https and passes ws on: the page's origin is in CSRF_TRUSTED_ORIGINS."""
    settings.ALLOWED_HOSTS = ["sandbox.example.org", ".example.net"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://sandbox.example.org", "https://*.example.net"]
    assert origin_allowed(scope("https://sandbox.example.org", "sandbox.example.org"))
    assert origin_allowed(scope("https://eu.example.net", "eu.example.net"))
    assert not origin_allowed(scope("http://sandbox.example.org:81", "sandbox.example.org"))
    assert not origin_allowed(scope("https://sandbox.example.org:8443", "sandbox.example.org"))


@pytest.mark.asyncio
async def test_the_app_refuses_another_port_and_accepts_its_own_origin(
    make_run: Any, alice: Any
) -> None:
    run = await database_sync_to_async(make_run)(status=RunStatus.FINISHED)
    headers = await database_sync_to_async(session_headers)(alice)
    others = [h for h in headers if h[0] not in (b"origin", b"host")]
    path = f"/ws/runs/{run.pk}/"
    for origin in (b"http://localhost:9999", b"https://localhost:8000", b"http://localhost"):
        handshake = [(b"origin", origin), (b"host", b"localhost:8000"), *others]
        comm = WebsocketCommunicator(application, path, headers=handshake)
        connected, _ = await comm.connect(timeout=5)
        assert connected is False, origin
    comm = await connect(run, alice)
    assert (await next_of(comm, "hello"))["run"]["id"] == str(run.pk)
    await comm.disconnect()


MALFORMED = ["/ws/runs/not-a-uuid/", "/ws/nowhere/", f"/ws/runs/{uuid.uuid4()}/more/", "/"]


@pytest.mark.asyncio
@pytest.mark.parametrize("path", MALFORMED)
async def test_a_path_no_socket_lives_at_answers_404(path: str) -> None:
    """Where the server lets the application choose (ASGI's WebSocket denial response)."""
    handshake = {
        "type": "websocket",
        "path": path,
        "headers": [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
        "subprotocols": [],
        "extensions": {"websocket.http.response": {}},
    }
    comm = ApplicationCommunicator(application, handshake)
    await comm.send_input({"type": "websocket.connect"})
    start = await comm.receive_output(timeout=5)
    assert (start["type"], start["status"]) == ("websocket.http.response.start", 404)
    body = await comm.receive_output(timeout=5)
    assert body["type"] == "websocket.http.response.body"
    assert b"no WebSocket" in body["body"]


@pytest.mark.asyncio
@pytest.mark.parametrize("path", MALFORMED)
async def test_without_that_extension_it_refuses_the_handshake_without_an_error(
    path: str,
) -> None:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    comm = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await comm.connect(timeout=5)
    assert connected is False
    await comm.wait(timeout=5)  # the application ended without raising


def handshake_status(base: str, path: str) -> int:
    """The HTTP status a WebSocket handshake to `path` gets from the server at `base`."""
    parts = urlsplit(base)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        f"Sec-WebSocket-Version: 13\r\nOrigin: {base}\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(request.encode())
        status_line = conn.recv(1024).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


def test_daphne_refuses_a_malformed_path_without_a_server_error(daphne_server: str) -> None:
    """Daphne 4.2 has no WebSocket denial response: 403 is the best it can answer."""
    for path in MALFORMED:
        assert handshake_status(daphne_server, path) == 403, path
