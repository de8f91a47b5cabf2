"""No message the run socket sends exceeds LIVE_MAX_MESSAGE_BYTES (Daphne drops any over
1 MiB without a word, and the page would reconnect forever): not for the largest design
allowed, nor for a long run."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.urls import reverse

from sandbox.live.models import Run
from sandbox.live.runner import Runner
from sandbox.models import Design
from simulation import validate_document
from simulation.document import MAX_LABEL
from tests.live.conftest import connect, live_runner

pytestmark = pytest.mark.django_db(transaction=True)


def largest_design() -> dict[str, Any]:
    """As many components as allowed, each with the longest label: about 1 MB of JSON."""
    count = settings.SANDBOX_MAX_COMPONENTS - 2
    webs = [
        {"id": f"web-{i}", "kind": "web_server", "label": f"{i} " + "w" * (MAX_LABEL - 6),
         "x": i % 50 * 120, "y": i // 50 * 80}
        for i in range(count)
    ]  # fmt: skip
    return validate_document(
        {
            "format": 1,
            "name": "Largest",
            "components": [
                {"id": "users", "kind": "client", "params": {"rps": 50 * count}},
                {"id": "lb", "kind": "load_balancer"},
                *webs,
            ],
            "links": [
                {"from": "users", "to": "lb"},
                *({"from": "lb", "to": web["id"]} for web in webs),
            ],
        }
    )


async def texts_until(comm: WebsocketCommunicator, kind: str, timeout: float = 60) -> list[str]:
    """Every text message up to and including the first of `kind`."""
    texts = []
    async with asyncio.timeout(timeout):
        while True:
            output = await comm.receive_output(timeout=timeout)
            if output["type"] == "websocket.close":
                return texts
            texts.append(output["text"])
            if json.loads(texts[-1])["type"] == kind:
                return texts


def sizes(texts: list[str]) -> list[tuple[str, int]]:
    return [(json.loads(t)["type"], len(t.encode())) for t in texts]


def assert_all_fit(texts: list[str]) -> None:
    limit = settings.LIVE_MAX_MESSAGE_BYTES
    assert texts
    too_big = [(kind, size) for kind, size in sizes(texts) if size > limit]
    assert too_big == [], f"over {limit} bytes"
    assert "error" not in [kind for kind, _ in sizes(texts)], "none was replaced by an error"


@pytest.mark.asyncio
async def test_the_largest_design_allowed_can_be_watched(alice: Any) -> None:
    document = largest_design()
    assert len(json.dumps(document)) > 800_000
    design = await database_sync_to_async(Design.create_with_document)(
        owner=alice, name="Largest", document=document, message="m"
    )
    revision = await database_sync_to_async(design.latest_revision)()
    run = await database_sync_to_async(Run.objects.create)(
        revision=revision, owner=alice, scenario_name="steady", scenario={"duration_s": 3},
        seed=1, speed=0.0,
    )  # fmt: skip
    async with live_runner(run):
        comm = await connect(run, alice)
        texts = await texts_until(comm, "hello")
        await comm.send_json_to({"action": "start"})
        texts += await texts_until(comm, "ended")
        await comm.disconnect()
        late = await connect(run, alice)
        texts += await texts_until(late, "ended")
        await late.disconnect()
    assert [k for k, _ in sizes(texts)].count("frame") >= 1
    assert_all_fit(texts)


@pytest.mark.asyncio
async def test_a_30000_tick_run_can_be_watched_and_its_charts_fetched(
    make_run: Any, alice: Any
) -> None:
    run = await database_sync_to_async(make_run)(scenario={"duration_s": 30_000}, speed=0.0)
    runner = Runner(run.pk)
    await runner.open()

    async def play() -> None:
        await runner.loop()
        await runner.finish(runner.session.status, runner.session.reason)

    playing = asyncio.create_task(play())
    comm = await connect(run, alice)
    texts = await texts_until(comm, "hello")
    await comm.send_json_to({"action": "start"})
    texts += await texts_until(comm, "ended", timeout=240)
    await playing
    await comm.disconnect()
    late = await connect(run, alice)
    late_texts = await texts_until(late, "ended")
    await late.disconnect()
    assert_all_fit(texts + late_texts)
    hello = json.loads(late_texts[0])
    assert hello["series"]["tick"][-1] == 30_000
    # The rest of the charts come over HTTP, in pages.
    client = Client(HTTP_HOST="127.0.0.1")
    await database_sync_to_async(client.force_login)(alice)
    url = reverse("live:run_series", args=[run.pk])
    ticks: list[int] = []
    since = -1
    while True:
        body = (await database_sync_to_async(client.get)(url, {"since": since})).json()
        ticks += body["series"]["tick"]
        if not body["more"]:
            break
        since = ticks[-1]
    assert ticks == list(range(1, 30_001))


@pytest.mark.asyncio
async def test_a_message_over_the_limit_is_replaced_by_an_error(
    make_run: Any, alice: Any, settings: Any
) -> None:
    settings.LIVE_MAX_MESSAGE_BYTES = 16_384
    run = await database_sync_to_async(make_run)(status="finished")
    await database_sync_to_async(Run.objects.filter(pk=run.pk).update)(
        events=[{"t": 1, "component": "web-1", "kind": "failed", "text": "x" * 100}] * 400
    )
    comm = await connect(run, alice)
    texts = await texts_until(comm, "ended")
    await comm.disconnect()
    assert max(size for _, size in sizes(texts)) <= 16_384
    error = json.loads(texts[0])
    assert error["type"] == "error"
    assert error["error"].startswith("The server had a message of ")
    assert error["error"].endswith(
        "more than its limit of 16,384; it was not sent. Reload the page."
    )
