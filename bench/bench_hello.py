"""Size of a late joiner's `hello` on the run socket, and of the frames fetched to scrub.

Usage: ``python bench/bench_hello.py [--components 500] [--ticks 600] [--write]``
(``--write`` puts the results under the "Late joiners" heading of docs/benchmarks.md).

A run of the benchmark design (bench_live.py) ticks `--ticks` times and pauses; then
a viewer joins from the start (`hello` of a late joiner), another resumes from 10
ticks before the end (`?since=`), and
a page of recorded frames for the timeline is fetched over HTTP. Sizes are of the JSON
text as sent (no compression).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import sys
from pathlib import Path
from typing import Any

from asgiref.sync import sync_to_async
from bench_engine import machine
from bench_live import design  # sets up Django on a temporary SQLite database
from benchdoc import write_section
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from sandbox.asgi import application
from sandbox.live.models import Run
from sandbox.live.runner import Runner, RunnerSettings
from sandbox.models import Design
from simulation import validate_scenario


def make_run(components: int, ticks: int) -> tuple[Run, Client, list[tuple[bytes, bytes]]]:
    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench", password="x")
    doc = design(components)
    owned = Design.create_with_document(owner=user, name="bench", document=doc, message="m")
    revision = owned.latest_revision()
    scenario = validate_scenario({"duration_s": ticks * 10}, revision.document)
    run = Run.objects.create(
        revision=revision, owner=user, scenario_name="bench", scenario=scenario, speed=0.0
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    headers = [
        (b"origin", b"http://127.0.0.1"),
        (b"host", b"127.0.0.1"),
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
    ]
    return run, client, headers


async def hello_bytes(run: Run, headers: list[tuple[bytes, bytes]], query: str = "") -> int:
    path = f"/ws/runs/{run.pk}/" + (f"?{query}" if query else "")
    comm = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await comm.connect(timeout=30)
    assert connected
    while True:
        output = await comm.receive_output(timeout=60)
        text = output.get("text", "")
        if json.loads(text)["type"] == "hello":
            await comm.disconnect()
            return len(text.encode())


async def measure(components: int, ticks: int) -> dict[str, Any]:
    run, client, headers = await sync_to_async(make_run)(components, ticks)
    config = RunnerSettings(
        idle_pause_s=600, idle_stop_s=1200, flush_ticks=50, flush_s=60, publish_interval=0.05
    )
    runner = Runner(run.pk, config=config)
    await runner.open()
    control = {"type": "runner.control", "reply_to": "nobody", "by": "bench"}
    await runner.handle({**control, "control": {"action": "start"}})
    for _ in range(ticks):
        await runner.tick()
    await runner.handle({**control, "control": {"action": "pause"}})
    looping = asyncio.create_task(runner.loop())
    try:
        late = await hello_bytes(run, headers)
        resume = await hello_bytes(run, headers, f"since={runner.session.last_tick - 10}")
    finally:
        looping.cancel()
    page: int | None = None
    url = reverse("live:run_replay", args=[run.pk])
    response = await sync_to_async(client.get)(url, {"from": 100, "to": 149})
    if response.status_code == 200 and "from" in response.json():
        page = len(response.content)
    packed = await sync_to_async(client.get)(
        url, {"from": 100, "to": 149}, headers={"accept-encoding": "gzip"}
    )
    page_gzip = len(packed.content) if packed.get("Content-Encoding") == "gzip" else None
    await runner.close()
    return {"components": components, "ticks": ticks, "late": late, "resume": resume,
            "page_50": page, "page_50_gzip": page_gzip}  # fmt: skip


DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def markdown(result: dict[str, Any]) -> str:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = result["page_50"]
    return "\n".join(
        [
            f"Measured {when} on {machine()} with `python bench/bench_hello.py --write`: a run of "
            f"the {result['components']}-component benchmark design paused after "
            f"{result['ticks']} ticks; sizes of the JSON text as sent (no compression).",
            "",
            "| what | bytes |",
            "| --- | ---: |",
            f"| `hello` of a viewer joining from the start | {result['late']:,} |",
            f"| `hello` of a reconnect resuming 10 ticks back | {result['resume']:,} |",
            f"| one 50-tick page of `replay.json` (scrubbing) | {page:,} |" if page else "",
            f"| the same page gzipped (browsers ask for it) | {result['page_50_gzip']:,} |"
            if result["page_50_gzip"]
            else "",
            "",
            "The `hello` carries the newest frame and the charts' series of the newest 1,000 "
            "ticks (a few dozen bytes a tick whatever the design's size), not every frame, nor "
            "the design or the catalog: the page reads the design from `design.json`. "
            "The run's traffic is steady, so its frames repeat and compress far better than a "
            "noisy run's.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--components", type=int, default=500)
    parser.add_argument("--ticks", type=int, default=600)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    result = asyncio.run(measure(args.components, args.ticks))
    print(f"{result['components']} components, {result['ticks']} ticks:")
    print(f"  hello of a late joiner:        {result['late']:>12,} bytes")
    print(f"  hello resuming 10 ticks back:  {result['resume']:>12,} bytes")
    if result["page_50"] is not None:
        print(f"  50 recorded frames (scrubbing): {result['page_50']:>11,} bytes")
    if result["page_50_gzip"] is not None:
        print(f"  the same, gzipped:             {result['page_50_gzip']:>12,} bytes")
    sys.stdout.flush()
    if args.write:
        write_section(DOCS, "## Late joiners", markdown(result))


if __name__ == "__main__":
    main()
