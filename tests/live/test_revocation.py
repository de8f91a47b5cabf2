"""Revoking a share link closes what was opened through it: sockets, and runs started
through it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import reverse

from sandbox.live.models import Run, RunStatus
from sandbox.live.revocation import REVOKED_REASON
from sandbox.models import ShareLink
from tests.live.conftest import connect, frames, live_runner, next_of

pytestmark = pytest.mark.django_db(transaction=True)


def revoke(owner: Any, link: ShareLink) -> None:
    """The owner presses "Revoke link" on the design page."""
    client = Client()
    client.force_login(owner)
    response = client.post(reverse("share_revoke", args=[link.design_id]))
    assert response.status_code == 302


@pytest.mark.asyncio
async def test_revoking_closes_the_sockets_and_stops_the_runs_opened_through_the_link(
    make_run: Any, alice: Any, bob: Any, design: Any
) -> None:
    link = await database_sync_to_async(ShareLink.objects.create)(design=design)
    run = await database_sync_to_async(make_run)(owner=bob, share_link=link, speed=20.0)
    async with live_runner(run):
        runner_of_bob = await connect(run, bob)  # his own run, started through the link
        await next_of(runner_of_bob, "hello")
        await runner_of_bob.send_json_to({"action": "start"})
        await frames(runner_of_bob, 2)
        owner = await connect(run, alice)  # the design's owner watches; no link needed
        await next_of(owner, "hello")

        await database_sync_to_async(revoke)(alice, link)

        error = await next_of(runner_of_bob, "error")
        assert error == {
            "type": "error",
            "error": "You no longer have access to this run: its share link was revoked.",
            "code": 4403,
        }
        assert await closing_code(runner_of_bob) == 4403
        ended = await next_of(owner, "ended")
        assert (ended["status"], ended["reason"]) == ("stopped", REVOKED_REASON)
        await owner.disconnect()
    await database_sync_to_async(run.refresh_from_db)()
    assert (run.status, run.failure_reason) == (RunStatus.STOPPED, REVOKED_REASON)


async def closing_code(comm: Any) -> int:
    """The close code, skipping whatever the socket sends before it closes."""
    async with asyncio.timeout(5):
        while (output := await comm.receive_output(timeout=5))["type"] != "websocket.close":
            pass
    return output["code"]


@pytest.mark.asyncio
async def test_a_holders_socket_closes_and_cannot_come_back(
    make_run: Any, alice: Any, bob: Any, design: Any
) -> None:
    link = await database_sync_to_async(ShareLink.objects.create)(design=design)
    run = await database_sync_to_async(make_run)(status=RunStatus.RUNNING)  # alice's own
    watching = await connect(run, bob, f"token={link.token}")
    await database_sync_to_async(revoke)(alice, link)
    error = await next_of(watching, "error")
    assert error["error"] == "You no longer have access to this run: its share link was revoked."
    assert await closing_code(watching) == 4403
    again = await connect(run, bob, f"token={link.token}")
    refused = await again.receive_json_from(timeout=5)
    assert (refused["type"], refused["code"]) == ("error", 4403)
    await database_sync_to_async(run.refresh_from_db)()
    assert run.status == RunStatus.RUNNING, "not started through the link: it goes on"


def test_a_run_whose_runner_is_gone_is_recorded_as_stopped(
    make_run: Any, alice: Any, bob: Any, design: Any
) -> None:
    link = ShareLink.objects.create(design=design)
    through_link = make_run(owner=bob, share_link=link, status=RunStatus.RUNNING)
    own = make_run(owner=alice, status=RunStatus.RUNNING)
    revoke(alice, link)
    through_link.refresh_from_db()
    own.refresh_from_db()
    assert (through_link.status, through_link.failure_reason) == (RunStatus.STOPPED, REVOKED_REASON)
    assert through_link.ended_at is not None
    assert own.status == RunStatus.RUNNING, "the owner's own run has nothing to do with the link"


def test_a_run_started_through_a_link_records_it(
    bob_client: Client, alice_client: Client, design: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sandbox.live.views.launch_run", lambda run_id: None)
    link = ShareLink.objects.create(design=design)
    data = {"scenario": "steady", "speed": "1", "token": link.token}
    assert bob_client.post(reverse("live:run_new"), data).status_code == 302
    assert alice_client.post(reverse("live:run_new"), data).status_code == 302
    runs = {run.owner.username: run.share_link_id for run in Run.objects.all()}
    assert runs == {"bob": link.pk, "alice": None}


class BrokenLayer:
    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        raise ConnectionError("redis is down")


def test_a_broken_channel_layer_still_revokes_and_records_the_runs_stopped(
    make_run: Any, alice: Any, bob: Any, design: Any, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    monkeypatch.setattr("sandbox.live.revocation.get_channel_layer", BrokenLayer)
    link = ShareLink.objects.create(design=design)
    run = make_run(owner=bob, share_link=link, status=RunStatus.RUNNING)
    revoke(alice, link)
    link.refresh_from_db()
    run.refresh_from_db()
    assert not link.is_active
    assert (run.status, run.failure_reason) == (RunStatus.STOPPED, REVOKED_REASON)
    assert "the channel layer failed" in caplog.text
