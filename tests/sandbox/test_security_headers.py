"""Security headers on every page, and a production configuration `check --deploy` accepts."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def _policy(response: object) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def test_pages_carry_a_script_policy_without_unsafe_inline(anon_client: Client) -> None:
    response = anon_client.get("/")
    policy = _policy(response)
    scripts = policy["script-src"]
    assert scripts[0] == "'self'"
    assert re.fullmatch(r"'nonce-[\w+/=-]+'", scripts[1])
    assert "'unsafe-inline'" not in scripts
    assert "'unsafe-eval'" not in scripts
    assert policy["default-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]  # includes the page's own ws:/wss:
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    # A fresh nonce for every response.
    assert _policy(anon_client.get("/"))["script-src"][1] != scripts[1]


def test_no_template_has_an_inline_script_or_handler() -> None:
    """Inline scripts need the nonce; inline handlers (onclick=...) cannot have one."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>")
    handler = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert not handler.search(text), template
        for match in inline_script.finditer(text):
            assert "csp_nonce" in match.group(0), (template, match.group(0))


def _deploy_check(**env: str) -> subprocess.CompletedProcess[str]:
    keep = {"PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV"}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k in keep}, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production_mode() -> None:
    result = _deploy_check(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("name", "warning"),
    [
        ("SECURE_SSL_REDIRECT", "security.W008"),
        ("SECURE_HSTS_SECONDS", "security.W004"),
        ("SESSION_COOKIE_SECURE", "security.W012"),
        ("CSRF_COOKIE_SECURE", "security.W016"),
    ],
)
def test_each_https_setting_is_read_from_the_environment(name: str, warning: str) -> None:
    result = _deploy_check(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), **{name: "0"})
    assert re.findall(r"security\.W\d+", result.stderr) == [warning]


def _settings(expression: str, **env: str) -> str:
    keep = {"PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV"}
    return subprocess.run(
        [sys.executable, "-c", f"import sandbox.settings as s; print({expression})"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k in keep}, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()


def test_https_0_serves_production_mode_over_plain_http() -> None:
    """`make run DEBUG=0` on a laptop: no redirect to https://, cookies sent over http://."""
    names = (
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE"
    )
    key = secrets.token_urlsafe(50)
    assert _settings(names, DEBUG="0", SECRET_KEY=key) == "True 31536000 True True"
    assert _settings(names, DEBUG="0", SECRET_KEY=key, HTTPS="0") == "False 0 False False"
    assert _settings(names) == "False 0 False False"
