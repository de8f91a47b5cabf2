"""Rate limits of the HTTP side: N requests a window per user (per IP address signed out)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from sandbox import ratelimit
from sandbox.live.models import Run
from sandbox.models import Design, ShareLink, Template
from simulation import validate_scenario
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
# A whole hour (so a whole minute too) plus 10 s: the minute window ends 50 s later.
START = 3600 * 400_000 + 10.0


@dataclass
class MovableClock:
    now: float = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> MovableClock:
    movable = MovableClock()
    monkeypatch.setattr(ratelimit, "clock", movable)
    return movable


@pytest.fixture(autouse=True)
def fallback(monkeypatch: pytest.MonkeyPatch) -> ratelimit.Fallback:
    """Counts and outage state of this test only."""
    fresh = ratelimit.Fallback()
    monkeypatch.setattr(ratelimit, "fallback", fresh)
    return fresh


@pytest.fixture
def limits(settings: Any) -> Any:
    """Set the limits of one test: limits(writes=3, reads=5, logins=1, signups=2)."""

    def set_limits(**per_window: int) -> None:
        names = {
            "writes": "RATE_LIMIT_WRITES_PER_MINUTE",
            "reads": "RATE_LIMIT_READS_PER_MINUTE",
            "logins": "RATE_LIMIT_LOGINS_PER_MINUTE",
            "signups": "RATE_LIMIT_SIGNUPS_PER_HOUR",
        }
        for key, value in per_window.items():
            setattr(settings, names[key], value)

    return set_limits


def _save(client: Client, design: Design, base: int, document: dict[str, Any]) -> Any:
    body = {"base_revision": base, "document": document}
    return client.post(
        reverse("api_document", args=[design.pk]), json.dumps(body), content_type="application/json"
    )


def _create(client: Client, name: str = "New", **headers: Any) -> Any:
    return client.post(reverse("design_create"), {"name": name}, **headers)


def _signup(ip: str, username: str) -> Any:
    data = {"username": username, "password1": PASSWORD, "password2": PASSWORD}
    return Client(REMOTE_ADDR=ip).post(reverse("signup"), data)


# Counting -------------------------------------------------------------------------------


def test_it_refuses_exactly_the_request_after_the_limit(
    alice_client: Client, design: Design, document: dict[str, Any], limits: Any
) -> None:
    """Three saves a minute: the first three are stored, the fourth answers 429."""
    limits(writes=3)
    for base in (1, 2, 3):
        document["name"] = f"Edit {base}"  # an unchanged document would store nothing
        assert _save(alice_client, design, base, document).status_code == 200
    document["name"] = "Edit 4"
    response = _save(alice_client, design, 4, document)
    assert response.status_code == 429
    design.refresh_from_db()
    assert design.head == 4
    assert design.revisions.count() == 4


def test_it_counts_each_user_apart(
    alice_client: Client, bob_client: Client, bob: Any, limits: Any
) -> None:
    limits(writes=2)
    assert _create(alice_client).status_code == 302
    assert _create(alice_client).status_code == 302
    assert _create(alice_client).status_code == 429
    assert _create(bob_client).status_code == 302
    assert Design.objects.filter(owner=bob).count() == 1


def test_it_counts_anonymous_signups_per_ip_address(db: None, limits: Any) -> None:
    limits(signups=2)
    assert _signup("10.0.0.1", "carol").status_code == 302
    assert _signup("10.0.0.1", "dave").status_code == 302
    response = _signup("10.0.0.1", "erin")
    assert response.status_code == 429
    assert not get_user_model().objects.filter(username="erin").exists()
    assert _signup("10.0.0.2", "erin").status_code == 302
    assert get_user_model().objects.filter(username="erin").exists()


def test_it_counts_every_login_attempt_per_ip_address(alice: Any, limits: Any) -> None:
    """Wrong passwords count too; past the limit even the right one is refused."""
    limits(logins=2)
    client = Client(REMOTE_ADDR="10.0.0.1")
    wrong = {"username": "alice", "password": "nope"}
    right = {"username": "alice", "password": PASSWORD}
    assert client.post(reverse("login"), wrong).status_code == 200
    assert client.post(reverse("login"), wrong).status_code == 200
    assert client.post(reverse("login"), right).status_code == 429
    assert client.get(reverse("design_list")).status_code == 302  # still signed out
    other = Client(REMOTE_ADDR="10.0.0.2")
    assert other.post(reverse("login"), right).url == reverse("design_list")


def test_the_admin_login_counts_as_a_login(alice: Any, limits: Any) -> None:
    limits(logins=2)
    client = Client(REMOTE_ADDR="10.0.0.1")
    wrong = {"username": "alice", "password": "nope", "next": "/admin/"}
    assert client.post("/admin/login/", wrong).status_code == 200
    assert client.post("/admin/login/", wrong).status_code == 200
    response = client.post("/admin/login/", wrong)
    assert response.status_code == 429
    assert "Too many login attempts: at most 2 a minute" in response.text


def test_password_resets_count_as_logins(alice: Any, limits: Any) -> None:
    """The login form, the admin's and the reset forms share one count per IP address."""
    limits(logins=3)
    client = Client(REMOTE_ADDR="10.0.0.1")
    assert client.post(reverse("login"), {"username": "a", "password": "b"}).status_code == 200
    reset = client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert reset.url == reverse("password_reset_done")
    confirm = reverse("password_reset_confirm", args=["MQ", "set-password"])
    new = {"new_password1": "x", "new_password2": "x"}
    assert client.post(confirm, new).status_code == 200  # an invalid link: a page says so
    assert client.post(reverse("password_reset"), {"email": "a@b.c"}).status_code == 429
    assert client.post(confirm, new).status_code == 429
    assert Client(REMOTE_ADDR="10.0.0.2").post(confirm, new).status_code == 200


def test_it_starts_again_in_the_next_window(
    alice_client: Client, clock: MovableClock, limits: Any
) -> None:
    limits(writes=1)
    assert _create(alice_client).status_code == 302
    clock.advance(49)
    assert _create(alice_client)["Retry-After"] == "1"
    clock.advance(1)
    assert _create(alice_client).status_code == 302
    assert _create(alice_client).status_code == 429


def test_signups_have_an_hour_window(db: None, clock: MovableClock, limits: Any) -> None:
    limits(signups=1)
    assert _signup("10.0.0.1", "carol").status_code == 302
    clock.advance(60)
    response = _signup("10.0.0.1", "dave")
    assert response.status_code == 429
    assert response["Retry-After"] == str(3600 - 10 - 60)
    clock.advance(3600 - 10 - 60)
    assert _signup("10.0.0.1", "dave").status_code == 302


def test_it_counts_only_the_limited_methods(
    alice_client: Client, design: Design, limits: Any
) -> None:
    """Pages that only show a form are not writes; neither are requests refused before."""
    limits(writes=1)
    delete_url = reverse("design_delete", args=[design.pk])
    assert alice_client.get(delete_url).status_code == 200
    assert alice_client.get(delete_url).status_code == 200
    assert alice_client.get(reverse("design_create")).status_code == 405
    assert _create(alice_client).status_code == 302
    assert Design.objects.filter(name="New").exists()


def test_reads_and_writes_are_counted_apart(
    alice_client: Client, design: Design, document: dict[str, Any], limits: Any
) -> None:
    limits(reads=1, writes=1)
    url = reverse("api_document", args=[design.pk])
    assert alice_client.get(url).status_code == 200
    assert alice_client.get(url).status_code == 429
    assert _save(alice_client, design, 1, document).status_code == 200


def test_a_key_that_expires_between_add_and_incr_counts_as_one(
    db: None, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.RATE_LIMIT_WRITES_PER_MINUTE = 1

    class ExpiresAfterAdd:
        def add(self, key: str, value: int, timeout: int) -> bool:
            cache.add(key, value, timeout)
            cache.delete(key)
            return True

        def __getattr__(self, name: str) -> Any:
            return getattr(cache, name)

    with monkeypatch.context() as patch:
        patch.setattr(ratelimit, "cache", ExpiresAfterAdd())
        assert ratelimit.hit(ratelimit.WRITES, "user:1", START) == 0
    assert ratelimit.hit(ratelimit.WRITES, "user:1", START) == 50


# The shared cache is down ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_cache(settings: Any, port: int) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "KEY_PREFIX": "test-ratelimit",
        }
    }


def _outage_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "cannot be reached" in r.getMessage()]


def test_a_dead_cache_counts_in_this_process_and_warns_once(
    alice_client: Client, settings: Any, limits: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis down: requests are served and limited per process, not answered 500."""
    _redis_cache(settings, _free_port())
    limits(writes=2, logins=1)
    caplog.set_level(logging.WARNING, logger="sandbox.ratelimit")
    assert _create(alice_client, "One").status_code == 302
    assert _create(alice_client, "Two").status_code == 302
    assert _create(alice_client, "Three").status_code == 429
    assert list(Design.objects.values_list("name", flat=True).order_by("name")) == ["One", "Two"]
    login = Client(REMOTE_ADDR="10.0.0.9")
    assert login.post(reverse("login"), {"username": "x", "password": "y"}).status_code == 200
    assert login.post(reverse("login"), {"username": "x", "password": "y"}).status_code == 429
    warnings = _outage_warnings(caplog)
    assert len(warnings) == 1
    assert "Check Redis (REDIS_URL)" in warnings[0]


def test_a_dead_cache_is_tried_again_only_every_few_seconds(
    db: None, settings: Any, monkeypatch: pytest.MonkeyPatch, clock: MovableClock
) -> None:
    """A cache that hangs would otherwise slow every request down."""
    _redis_cache(settings, _free_port())
    tries = []
    real_count = ratelimit._count

    def counting(store: Any, key: str, timeout: int) -> int:
        tries.append(store is not ratelimit.fallback.cache)
        return real_count(store, key, timeout)

    monkeypatch.setattr(ratelimit, "_count", counting)
    for _ in range(3):
        ratelimit.hit(ratelimit.WRITES, "user:1", clock())
    assert tries == [True, False, False, False]
    clock.advance(ratelimit.CACHE_RETRY_S)
    ratelimit.hit(ratelimit.WRITES, "user:1", clock())
    assert tries[4:] == [True, False]


def _start_redis(port: int, tmp_path: Path) -> subprocess.Popen[bytes]:
    redis = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return redis
        except OSError:
            if time.monotonic() > deadline:
                redis.kill()
                raise
            time.sleep(0.05)


def _stop(redis: subprocess.Popen[bytes]) -> None:
    redis.terminate()
    redis.wait(10)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_redis_stopping_mid_test_keeps_requests_answered(
    alice_client: Client,
    settings: Any,
    limits: Any,
    clock: MovableClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A private redis-server (never the shared one) stops, then comes back."""
    port = _free_port()
    _redis_cache(settings, port)
    limits(writes=3)
    caplog.set_level(logging.WARNING, logger="sandbox.ratelimit")
    redis = _start_redis(port, tmp_path)
    try:
        assert _create(alice_client, "In Redis").status_code == 302
        _stop(redis)
        # This process starts counting from zero: three more fit, the fourth does not.
        for name in ("A", "B", "C"):
            assert _create(alice_client, name).status_code == 302
        assert _create(alice_client, "D").status_code == 429
        assert len(_outage_warnings(caplog)) == 1
        redis = _start_redis(port, tmp_path)
        clock.advance(ratelimit.CACHE_RETRY_S)
        # Counting in Redis again, which kept nothing (--save ''): three fit there.
        for name in ("E", "F", "G"):
            assert _create(alice_client, name).status_code == 302
        assert _create(alice_client, "H").status_code == 429
        assert any("answers again" in r.getMessage() for r in caplog.records)
    finally:
        _stop(redis)
    assert not Design.objects.filter(name__in=["D", "H"]).exists()


# The answer -------------------------------------------------------------------------------


def test_the_api_answers_json_naming_the_limit(
    alice_client: Client, design: Design, document: dict[str, Any], limits: Any
) -> None:
    limits(writes=1)
    assert _save(alice_client, design, 1, document).status_code == 200
    response = _save(alice_client, design, 2, document)
    assert response.status_code == 429
    assert response["Retry-After"] == "50"
    message = "too many writes: at most 1 a minute; try again in 50 s"
    assert response.json() == {
        "error": message,
        "errors": [{"path": "", "message": message}],
        "limit": "RATE_LIMIT_WRITES_PER_MINUTE",
        "retry_after": 50,
    }


def test_htmx_requests_get_json(alice_client: Client, design: Design, limits: Any) -> None:
    limits(writes=1)
    url = reverse("design_rename", args=[design.pk])
    htmx = {"HTTP_HX_REQUEST": "true"}
    assert alice_client.post(url, {"name": "First"}, **htmx).status_code == 200
    response = alice_client.post(url, {"name": "Second"}, **htmx)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"].startswith("too many writes: at most 1 a minute")
    design.refresh_from_db()
    assert design.name == "First"


def test_forms_get_a_page(alice_client: Client, limits: Any) -> None:
    limits(writes=1)
    assert _create(alice_client, "One").status_code == 302
    response = _create(alice_client, "Two")
    assert response.status_code == 429
    assert response["Retry-After"] == "50"
    assert response["Content-Type"].startswith("text/html")
    assert "Too many writes: at most 1 a minute; try again in 50 s." in response.text
    assert "Nothing was changed." in response.text
    assert not Design.objects.filter(name="Two").exists()


# Every limited view -----------------------------------------------------------------------


@pytest.fixture
def things(design: Design, alice: Any, template: Template) -> dict[str, Any]:
    revision = design.latest_revision()
    run = Run.objects.create(
        revision=revision,
        owner=alice,
        scenario_name="custom",
        scenario=validate_scenario({"duration_s": 60}, revision.document),
        seed=1,
        speed=1.0,
    )
    link = ShareLink.objects.create(design=design)
    return {"pk": design.pk, "token": link.token, "slug": template.slug, "run": run.pk}


JSON = "application/json"
WRITE_VIEWS = [
    ("design_create", [], {"name": "x"}),
    ("design_import", [], {}),
    ("design_rename", ["pk"], {"name": "x"}),
    ("design_settings", ["pk"], {"name": "x"}),
    ("design_duplicate", ["pk"], {}),
    ("design_delete", ["pk"], {}),
    ("design_fork", ["pk"], {}),
    ("share_create", ["pk"], {}),
    ("share_revoke", ["pk"], {}),
    ("shared_fork", ["token"], {}),
    ("revision_restore", ["pk", 1], {}),
    ("template_use", ["slug"], {}),
    ("live:run_new", [], {"design": "pk"}),
    ("api_document", ["pk"], {}),
]
READ_VIEWS = [
    ("api_catalog", [], ""),
    ("api_document", ["pk"], ""),
    ("api_shared_document", ["token"], ""),
    ("design_export", ["pk"], ""),
    ("shared_export", ["token"], ""),
    ("live:run_frames", ["run"], ""),
    ("live:run_replay", ["run"], "?from=0&to=0"),
    ("live:run_export_csv", ["run"], ""),
    ("live:run_export_json", ["run"], ""),
]


def _args(names: list[Any], things: dict[str, Any]) -> list[Any]:
    return [things.get(name, name) for name in names]


@pytest.mark.parametrize(("view", "args", "data"), WRITE_VIEWS)
def test_every_write_is_limited(
    alice_client: Client,
    things: dict[str, Any],
    limits: Any,
    view: str,
    args: list[Any],
    data: dict[str, Any],
) -> None:
    limits(writes=1)
    url = reverse(view, args=_args(args, things))
    data = {key: things.get(value, value) for key, value in data.items()}
    assert alice_client.post(url, data).status_code != 429
    assert alice_client.post(url, data).status_code == 429


@pytest.mark.parametrize(("view", "args", "query"), READ_VIEWS)
def test_every_api_read_and_export_is_limited(
    alice_client: Client,
    things: dict[str, Any],
    limits: Any,
    view: str,
    args: list[Any],
    query: str,
) -> None:
    limits(reads=1)
    url = reverse(view, args=_args(args, things)) + query
    assert alice_client.get(url).status_code == 200
    assert alice_client.get(url).status_code == 429


def test_validate_counts_as_a_read(anon_client: Client, limits: Any) -> None:
    """It stores nothing, and the editor calls it shortly after every change."""
    limits(reads=1, writes=100)
    url = reverse("api_validate")
    assert anon_client.post(url, "{}", content_type=JSON).status_code == 200
    assert anon_client.post(url, "{}", content_type=JSON).status_code == 429


# Settings ---------------------------------------------------------------------------------


def _settings_of(expression: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "REDIS_URL"} and not k.startswith("RATE_LIMIT_")
    }
    return subprocess.run(
        [sys.executable, "-c", f"import sandbox.settings as s; print({expression})"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_limits_have_defaults() -> None:
    result = _settings_of(
        "s.RATE_LIMIT_WRITES_PER_MINUTE, s.RATE_LIMIT_READS_PER_MINUTE, "
        "s.RATE_LIMIT_LOGINS_PER_MINUTE, s.RATE_LIMIT_SIGNUPS_PER_HOUR"
    )
    assert result.stdout.strip() == "60 600 20 10"


@pytest.mark.parametrize(
    ("raw", "problem"), [("0", "must be at least 1"), ("lots", "expected an integer")]
)
def test_a_bad_limit_stops_the_start(raw: str, problem: str) -> None:
    result = _settings_of("s.RATE_LIMIT_SIGNUPS_PER_HOUR", RATE_LIMIT_SIGNUPS_PER_HOUR=raw)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"RATE_LIMIT_SIGNUPS_PER_HOUR={raw!r}: {problem}" in result.stderr


def test_redis_url_selects_a_shared_cache() -> None:
    shared = _settings_of(
        "s.CACHES", REDIS_URL="redis://127.0.0.1:6379/3", CACHE_KEY_PREFIX="p"
    ).stdout
    assert "django.core.cache.backends.redis.RedisCache" in shared
    assert "'LOCATION': 'redis://127.0.0.1:6379/3'" in shared
    assert "'KEY_PREFIX': 'p'" in shared
    assert "LocMemCache" in _settings_of("s.CACHES").stdout
