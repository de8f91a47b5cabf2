"""Settings read from the environment; bad values stop the start with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from sandbox.settings import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("raw", "value"), [("1", True), ("yes", True), ("off", False), ("", False)]
)
def test_env_bool_reads_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, value: bool
) -> None:
    monkeypatch.setenv("SANDBOX_TEST_FLAG", raw)
    assert env_bool("SANDBOX_TEST_FLAG", not value) is value


def test_env_bool_names_a_bad_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_TEST_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SANDBOX_TEST_FLAG='maybe'"):
        env_bool("SANDBOX_TEST_FLAG", False)


def test_env_int_reads_and_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    assert env_int("SANDBOX_TEST_NUMBER", 7) == 7
    monkeypatch.setenv("SANDBOX_TEST_NUMBER", "2_000")
    assert env_int("SANDBOX_TEST_NUMBER", 7) == 2000
    monkeypatch.setenv("SANDBOX_TEST_NUMBER", "lots")
    with pytest.raises(ImproperlyConfigured, match="expected an integer"):
        env_int("SANDBOX_TEST_NUMBER", 7)
    monkeypatch.setenv("SANDBOX_TEST_NUMBER", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env_int("SANDBOX_TEST_NUMBER", 7)


def test_env_list_splits_on_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_TEST_HOSTS", "a.example, b.example")
    assert env_list("SANDBOX_TEST_HOSTS", []) == ["a.example", "b.example"]
    monkeypatch.setenv("SANDBOX_TEST_HOSTS", "a.example,,b")
    with pytest.raises(ImproperlyConfigured, match="without blanks"):
        env_list("SANDBOX_TEST_HOSTS", [])


def _load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "REDIS_URL"}}
    return subprocess.run(
        [sys.executable, "-c", "import sandbox.settings as s; print(s.CHANNEL_LAYERS)"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_mode_needs_a_secret_key() -> None:
    result = _load_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
    assert _load_settings(DEBUG="0", SECRET_KEY="s" * 50).returncode == 0


def test_redis_url_selects_the_redis_channel_layer() -> None:
    result = _load_settings(REDIS_URL="redis://127.0.0.1:6379/3", CHANNEL_LAYER_PREFIX="p")
    assert "RedisChannelLayer" in result.stdout
    assert "'prefix': 'p'" in result.stdout
    assert "InMemoryChannelLayer" in _load_settings().stdout


def _email_backend(**env: str) -> str:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"EMAIL_BACKEND", "DEBUG", "SECRET_KEY"}
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            'import sandbox.settings as s; print(s.MAILERS["default"]["BACKEND"])',
        ],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout.strip()


def test_password_reset_mail_goes_to_the_log_on_a_developer_machine_else_smtp() -> None:
    console = "django.core.mail.backends.console.EmailBackend"
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    assert _email_backend() == console
    assert _email_backend(DEBUG="0", SECRET_KEY="s" * 50) == smtp
    assert _email_backend(EMAIL_BACKEND=smtp) == smtp
