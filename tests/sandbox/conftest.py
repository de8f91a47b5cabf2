"""Designs, share links and templates for the web tests (personas live in tests/conftest.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sandbox.models import Design, ShareLink, Template, Visibility

TWO_WEB_SERVERS: dict[str, Any] = {
    "format": 1,
    "name": "Two web servers",
    "components": [
        {"id": "users", "kind": "client", "x": 0, "y": 0, "params": {"rps": 100}},
        {"id": "lb", "kind": "load_balancer", "x": 200, "y": 0},
        {"id": "web", "kind": "web_server", "x": 400, "y": 0, "params": {"instances": 2}},
    ],
    "links": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "web"}],
}

INVALID_DOCUMENT: dict[str, Any] = {
    "format": 1,
    "name": "Broken",
    "components": [
        {"id": "users", "kind": "client"},
        {"id": "x", "kind": "no_such_kind"},
        {"id": "users", "kind": "web_server"},
    ],
    "links": [{"from": "users", "to": "ghost"}],
}


@pytest.fixture
def document() -> dict[str, Any]:
    return copy.deepcopy(TWO_WEB_SERVERS)


@pytest.fixture
def invalid_document() -> dict[str, Any]:
    return copy.deepcopy(INVALID_DOCUMENT)


@pytest.fixture
def design(alice: Any, document: dict[str, Any]) -> Design:
    """Alice's private design with one revision."""
    return Design.create_with_document(
        owner=alice, name="Checkout service", document=document, message="Created"
    )


@pytest.fixture
def public_design(alice: Any, document: dict[str, Any]) -> Design:
    design = Design.create_with_document(
        owner=alice, name="Public catalogue", document=document, message="Created"
    )
    design.visibility = Visibility.PUBLIC
    design.save(update_fields=["visibility"])
    return design


@pytest.fixture
def share_link(design: Design) -> ShareLink:
    return ShareLink.objects.create(design=design)


@pytest.fixture
def revoked_link(design: Design) -> ShareLink:
    link = ShareLink.objects.create(design=design)
    link.revoke()
    return link


@pytest.fixture
def template(db: None, document: dict[str, Any]) -> Template:
    return Template.objects.create(
        slug="two-web-servers",
        title="Two web servers behind a load balancer",
        lesson="Scale out: add a second server and a load balancer.",
        document=document,
        scenario={"duration_s": 60},
    )
