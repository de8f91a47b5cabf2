"""Live-run benchmark: real Daphne processes, real sockets, the commands of docs/deploy.md.

Usage: ``python bench/bench_live.py [--quick] [--write]`` (``--write`` puts the results
under the "Live runs" heading of docs/benchmarks.md).

1. Fan-out: 100 viewers of one run at 10 frames/s on one Daphne process (embedded
   runner, in-memory layer); frame delivery lag = arrival time at the viewer minus the
   runner's send time (both on this machine's clock), p50 / p99 / max.
   The same with Redis: 50 viewers on each of two Daphne processes, the run on a
   `runworker` process.
2. Schedule: 20 concurrent runs of a 30-component design at 10 ticks/s on one Daphne
   process; for each run, how late its ticks were sent against the 0.1 s schedule and
   the tick rate it kept.
3. Frame size of a 30- and a 500-component design: the engine's frame JSON and the
   compact form sent on the socket (no compression).

The viewers run in this process (one asyncio loop), on the same 2 shared cores as the
server: their own delay is inside the measured lag.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import http.cookiejar
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchdoc import write_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="bench-live-"))
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from sandbox.live.wire import FrameCodec  # noqa: E402
from sandbox.models import Design  # noqa: E402
from simulation import Engine, validate_document, validate_scenario  # noqa: E402
from tests.wsclient import WebSocketClient  # noqa: E402

HEADING = "## Live runs"
WARM_UP_S = 3.0
DOCS = ROOT / "docs" / "benchmarks.md"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


# --- designs -------------------------------------------------------------------------------


def design(components: int) -> dict[str, Any]:
    """Users -> balancer -> N web servers -> cache -> database, `components` in all."""
    n_web = components - 4
    comps = [
        {"id": "users", "kind": "client", "params": {"rps": 150 * n_web}},
        {"id": "lb", "kind": "load_balancer", "params": {"instances": 2}},
        *({"id": f"web-{i}", "kind": "web_server"} for i in range(1, n_web + 1)),
        {"id": "cache", "kind": "cache"},
        {"id": "db", "kind": "database", "params": {"role": "primary", "concurrency": 64}},
    ]
    links = [{"from": "users", "to": "lb"}]
    links += [{"from": "lb", "to": f"web-{i}"} for i in range(1, n_web + 1)]
    links += [{"from": f"web-{i}", "to": "cache"} for i in range(1, n_web + 1)]
    links += [{"from": "cache", "to": "db"}]
    doc = {"format": 1, "name": f"{components} components", "components": comps, "links": links}
    return validate_document(doc)


# --- processes (the commands of docs/deploy.md) ----------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes (Linux /proc)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


SERVER_PIDS: list[int] = []
NICE = 0


def raise_priority() -> None:
    """Run at the benchmark's niceness, so that other work on a shared machine does not
    starve the servers and the viewers being measured (negative values need root)."""
    if NICE:
        os.nice(NICE - os.nice(0))


@contextmanager
def servers(webs: int, workers: int, env_extra: dict[str, str]) -> Iterator[list[str]]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **env_extra}
    procs: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        for i in range(webs):
            port = free_port()
            log = (WORK / f"web-{i}.log").open("w")
            command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                       "sandbox.asgi:application"]  # fmt: skip
            procs.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log,
                                          preexec_fn=raise_priority))  # fmt: skip
            wait_listening(procs[-1], port)
            urls.append(f"http://127.0.0.1:{port}")
        for i in range(workers):
            log = (WORK / f"worker-{i}.log").open("w")
            command = [sys.executable, "manage.py", "runworker", "live-runner"]
            procs.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log,
                                          preexec_fn=raise_priority))  # fmt: skip
        SERVER_PIDS[:] = [proc.pid for proc in procs]
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_listening(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"a server exited early; see {WORK}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


# --- a signed-in browser's requests ----------------------------------------------------------


def session_for(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def start_run(base: str, session: str, design_pk: int, speed: str) -> str:
    """Press Run (the form, with its CSRF token); return the run's id."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("Cookie", f"{settings.SESSION_COOKIE_NAME}={session}")]
    page = opener.open(f"{base}/runs/new/?design={design_pk}").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    csrf = next(c.value for c in jar if c.name == settings.CSRF_COOKIE_NAME)
    body = urllib.parse.urlencode(
        {"design": design_pk, "scenario": "steady", "speed": speed, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(f"{base}/runs/new/", data=body, method="POST")
    request.add_header(
        "Cookie", f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"
    )
    response = urllib.request.build_opener().open(request)
    return urllib.parse.urlsplit(response.url).path.split("/")[2]


async def viewer(base: str, session: str, run_id: str) -> WebSocketClient:
    return await WebSocketClient.connect(
        base.replace("http://", "ws://") + f"/ws/runs/{run_id}/",
        {"Origin": base, "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
    )


async def until(ws: WebSocketClient, kind: str) -> dict[str, Any]:
    while True:
        message = await ws.recv_json(30)
        if message["type"] == kind:
            return message


# --- 1. fan-out ------------------------------------------------------------------------------


async def fan_out(bases: list[str], session: str, run_id: str, viewers: int, seconds: float
                  ) -> dict[str, Any]:  # fmt: skip
    clients = [await viewer(bases[i % len(bases)], session, run_id) for i in range(viewers)]
    for ws in clients:
        await until(ws, "hello")
    lags: list[float] = []
    timeline: list[tuple[float, float]] = []
    counts = [0] * viewers

    async def read(i: int, ws: WebSocketClient) -> None:
        """Read from the start (a socket nobody reads backs up); count after the warm-up."""
        while True:
            message = await ws.recv_json(30)
            if message["type"] == "frame":
                now = time.time()
                if now >= stop_at:
                    return
                if now >= start_at:
                    lags.append(now - message["ts"])
                    timeline.append((now - start_at, now - message["ts"]))
                    counts[i] += 1
            elif message["type"] == "ended":
                return

    await clients[0].send_json({"action": "start"})
    start_at = time.time() + WARM_UP_S  # the start: first frames out, everything settles
    stop_at = start_at + seconds
    readers = asyncio.gather(*(read(i, ws) for i, ws in enumerate(clients)))
    await asyncio.sleep(max(0.0, start_at - time.time()))
    server_cpu, own_cpu = cpu_seconds(SERVER_PIDS), time.process_time()
    await readers
    server_cpu = cpu_seconds(SERVER_PIDS) - server_cpu
    own_cpu = time.process_time() - own_cpu
    await clients[0].send_json({"action": "stop"})
    for ws in clients:
        await ws.close()
    lags.sort()
    by_second: dict[int, list[float]] = {}
    for offset, lag in timeline:
        by_second.setdefault(int(offset), []).append(lag)
    worst_seconds = sorted((max(values), second) for second, values in by_second.items())[-3:]
    return {
        "worst_seconds": [(second, round(1000 * lag)) for lag, second in worst_seconds],
        "viewers": viewers,
        "seconds": seconds,
        "frames_per_viewer": statistics.median(counts),
        "min_frames": min(counts),
        "p50_ms": 1000 * lags[len(lags) // 2],
        "p99_ms": 1000 * lags[int(len(lags) * 0.99)],
        "max_ms": 1000 * lags[-1],
        "samples": len(lags),
        "server_cpu": server_cpu / seconds,
        "viewers_cpu": own_cpu / seconds,
    }


# --- 2. schedule -----------------------------------------------------------------------------


async def schedule(base: str, session: str, run_ids: list[str], seconds: float
                   ) -> list[dict[str, Any]]:  # fmt: skip
    clients = [await viewer(base, session, run_id) for run_id in run_ids]
    for ws in clients:
        await until(ws, "hello")
    for ws in clients:
        await ws.send_json({"action": "start"})

    async def follow(ws: WebSocketClient) -> dict[str, Any]:
        seen: list[tuple[int, float]] = []
        end = time.time() + seconds + 1.0
        while time.time() < end:
            message = await ws.recv_json(30)
            if message["type"] == "frame":
                seen.append((message["frame"]["tick"], message["ts"]))
        seen = seen[10:]  # the first second: every run starts at once
        if len(seen) < 2:
            return {"rate": 0.0, "max_late_ms": float("inf"), "final_drift_ms": float("inf"),
                    "frames": len(seen)}  # fmt: skip
        tick0, ts0 = seen[0]
        late = [ts - (ts0 + (tick - tick0) * 0.1) for tick, ts in seen]
        span = seen[-1][1] - ts0
        return {
            "rate": (seen[-1][0] - tick0) / span,
            "max_late_ms": 1000 * max(late),
            "final_drift_ms": 1000 * late[-1],
            "frames": len(seen),
        }

    server_cpu = cpu_seconds(SERVER_PIDS)
    results = await asyncio.gather(*(follow(ws) for ws in clients))
    server_cpu = (cpu_seconds(SERVER_PIDS) - server_cpu) / (seconds + 1.0)
    for result in results:
        result["server_cpu"] = server_cpu
    for ws in clients:
        await ws.send_json({"action": "stop"})
        await ws.close()
    return list(results)


async def schedule_in_process(design_pk: int, count: int, seconds: float) -> dict[str, Any]:
    """The same runs as Runner objects in this process (in-memory layer, no sockets)."""
    from channels.db import database_sync_to_async
    from channels.layers import InMemoryChannelLayer

    from sandbox.live.models import Run
    from sandbox.live.runner import Runner, RunnerSettings, viewers_group

    def make_runs() -> list[Run]:
        revision = Design.objects.get(pk=design_pk).latest_revision()
        scenario = validate_scenario({"duration_s": 3600}, revision.document)
        return [
            Run.objects.create(revision=revision, owner=revision.design.owner, speed=10.0,
                               scenario_name="steady", scenario=scenario)
            for _ in range(count)
        ]  # fmt: skip

    layer = InMemoryChannelLayer()
    config = RunnerSettings(idle_pause_s=600, idle_stop_s=900, flush_ticks=50, flush_s=5,
                            publish_interval=0.05)  # fmt: skip
    runners = [Runner(run.pk, layer=layer, config=config)
               for run in await database_sync_to_async(make_runs)()]  # fmt: skip

    async def drain(channel: str) -> None:
        while True:
            await layer.receive(channel)

    tasks = []
    for runner in runners:
        await runner.open()
        await layer.group_add(viewers_group(runner.run_id), f"viewer-{runner.run_id}")
        tasks.append(asyncio.create_task(drain(f"viewer-{runner.run_id}")))
        await runner.handle({"type": "runner.control", "control": {"action": "start"},
                             "reply_to": "nobody", "by": "bench"})  # fmt: skip
    started, cpu = time.monotonic(), time.process_time()
    tasks += [asyncio.create_task(runner.loop()) for runner in runners]
    await asyncio.sleep(seconds)
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for runner in runners:
        await runner.close()
    return {
        "rate": min(r.session.ticks for r in runners) / elapsed,
        "max_late_ms": 1000 * max(r.schedule.max_lateness for r in runners),
        "resyncs": sum(r.schedule.resyncs for r in runners),
        "cpu": cpu / elapsed,
    }


# --- 3. frame size ---------------------------------------------------------------------------


def frame_sizes() -> list[dict[str, Any]]:
    rows = []
    for components in (30, 500):
        doc = design(components)
        engine = Engine(doc, validate_scenario({"duration_s": 60}, doc), seed=1)
        for _ in range(5):
            frame = engine.step().to_json()
        full = len(json.dumps(frame, separators=(",", ":")))
        wire = len(json.dumps(FrameCodec(doc).encode(frame), separators=(",", ":")))
        rows.append({"components": components, "engine_bytes": full, "wire_bytes": wire})
    return rows


# --- report ----------------------------------------------------------------------------------


def markdown(fan: list[tuple[str, dict[str, Any]]], runs: list[dict[str, Any]],
             in_process: dict[str, Any], sizes: list[dict[str, Any]], quick: bool,
             load: tuple[float, float]
             ) -> str:  # fmt: skip
    worst = max(runs, key=lambda r: r["max_late_ms"])
    slowest = min(runs, key=lambda r: r["rate"])
    behind = [r for r in runs if r["final_drift_ms"] > 100]
    out = [
        f"`python bench/bench_live.py{' --quick' if quick else ''}"
        f"{f' --nice {NICE}' if NICE else ''}` on "
        f"{datetime.date.today().isoformat()}: {os.cpu_count()} cores (shared with other "
        f"work, so timings are noisy), Python {platform.python_version()}. Real Daphne "
        "processes started with the commands of docs/deploy.md; viewers are WebSocket "
        "clients in the benchmark's own process on the same cores."
        + (
            f" Servers and viewers ran at niceness {NICE}, ahead of the machine's other work."
            if NICE
            else ""
        ),
        "",
        "Goals, as measured here:",
        "",
        *(
            f"- fan-out, {label}: p99 lag {r['p99_ms']:.0f} ms, "
            + ("met" if r["p99_ms"] < 100 else "not met")
            for label, r in fan
        ),
        f"- 20 runs at 10 ticks/s: {len(runs) - len(behind)} of {len(runs)} kept their "
        "schedule, " + ("met" if not behind else "not met"),
        *(
            f"- frame size, {r['components']} components: {r['wire_bytes'] / 1024:.1f} KB, "
            + (
                "met"
                if r["wire_bytes"] <= (4 if r["components"] <= 30 else 40) * 1024
                else "not met"
            )
            for r in sizes
        ),
        "",
        "How to read the lag: the 100 viewers run in the benchmark's own process on the same two",
        "cores as the servers, so part of the lag is time spent waiting for a core; the CPU cost",
        "per delivered frame is the number that carries over to another machine (one core",
        "delivers 1 / that many frames a second). Compare the load average below with the 2 cores.",
        "",
        "### Fan-out: one run at 10 frames/s (goal: p99 lag < 100 ms)",
        "",
        "| set-up | viewers | frames per viewer | lag p50 | lag p99 | lag max | server CPU |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, r in fan:
        out.append(
            f"| {label} | {r['viewers']} | {r['frames_per_viewer']:.0f} of "
            f"{10 * r['seconds']:.0f} (min {r['min_frames']}) | {r['p50_ms']:.1f} ms | "
            f"{r['p99_ms']:.1f} ms | {r['max_ms']:.1f} ms | {100 * r['server_cpu']:.0f}% |"
        )
    out += [
        "",
        "Lag is the viewer's arrival time minus the runner's send time (`ts` of the frame),",
        f"measured after the first {WARM_UP_S:g} s of the run; the worst seconds (second of",
        "the measurement, worst lag in ms): "
        + "; ".join(f"{label}: {r['worst_seconds']}" for label, r in fan)
        + ".",
        "Server CPU is the web (and worker) processes' CPU time per second of measurement",
        "(100% = one core): "
        + ", ".join(
            f"{1000 * r['server_cpu'] / (r['viewers'] * r['frames_per_viewer'] / r['seconds']):.2f}"
            " ms"
            for _, r in fan
        )
        + " of server CPU per frame delivered to one viewer. The viewers themselves used "
        + ", ".join(f"{100 * r['viewers_cpu']:.0f}%" for _, r in fan)
        + f". Load average while measuring: {load[0]:.1f} at the start, {load[1]:.1f} at the end.",
        "",
        f"### Schedule: {len(runs)} concurrent runs, 30 components, 10 ticks/s, one Daphne",
        "",
        "| measure | value |",
        "| --- | ---: |",
        f"| slowest run's tick rate | {slowest['rate']:.2f} ticks/s |",
        f"| latest tick against its schedule (all runs) | {worst['max_late_ms']:.0f} ms |",
        f"| median of the runs' final drift | "
        f"{statistics.median(r['final_drift_ms'] for r in runs):.0f} ms |",
        f"| runs that fell behind (final drift > one tick) | {len(behind)} of {len(runs)} |",
        f"| Daphne CPU while running them | {100 * runs[0]['server_cpu']:.0f}% of a core |",
        "",
        "The same 20 runs as runner tasks in the benchmark's own process (in-memory layer,",
        "frames drained, no sockets): slowest run "
        f"{in_process['rate']:.2f} ticks/s, latest tick {in_process['max_late_ms']:.0f} ms "
        f"behind, {in_process['resyncs']} schedule restarts, "
        f"{100 * in_process['cpu']:.0f}% of a core.",
        "",
        "A late tick does not push the next ones: the runner keeps its schedule from the start",
        "and makes up a stall by ticking back to back (`Runner._keep_schedule`); only a run",
        "more than a second behind starts its schedule afresh.",
        "",
        "### Frame size (goal: <= 4 KB for 30 components, <= 40 KB for 500)",
        "",
        "| components | engine frame JSON | sent on the socket |",
        "| ---: | ---: | ---: |",
    ]
    for r in sizes:
        out.append(
            f"| {r['components']} | {r['engine_bytes'] / 1024:.1f} KB | "
            f"{r['wire_bytes'] / 1024:.1f} KB |"
        )
    out += [
        "",
        "The socket form (`sandbox/live/wire.py`) sends a node as an array of its values in",
        "the design's order and numbers with 3 significant digits; no compression.",
    ]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short measurements")
    parser.add_argument("--write", action="store_true", help=f'write "{HEADING}" of {DOCS}')
    parser.add_argument(
        "--nice", type=int, default=0, help="niceness of the servers and viewers (-10: ahead)"
    )
    args = parser.parse_args()
    global NICE
    NICE = args.nice
    raise_priority()
    seconds = 5.0 if args.quick else 20.0

    load_at_start = os.getloadavg()[0]
    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench", password="bench-password-7")
    session = session_for(user)
    doc30 = Design.create_with_document(owner=user, name="30", document=design(30), message="")
    limits = {"LIVE_MAX_RUNS_PER_USER": "40", "LIVE_IDLE_PAUSE_S": "600"}

    fan = []
    with servers(1, 0, limits) as (base,):
        run_id = start_run(base, session, doc30.pk, "10")
        fan.append(("1 Daphne, embedded runner", asyncio.run(
            fan_out([base], session, run_id, 100, seconds))))  # fmt: skip
        print("fan-out, one process:", fan[-1][1], flush=True)
    with servers(1, 0, limits) as (base,):
        run_ids = [start_run(base, session, doc30.pk, "10") for _ in range(20)]
        runs = asyncio.run(schedule(base, session, run_ids, seconds))
        print("schedule:", runs, flush=True)

    redis_env = {**limits, "REDIS_URL": REDIS_URL, "SIMULATION_RUNNERS": "workers",
                 "CHANNEL_LAYER_PREFIX": f"benchlive{os.getpid()}"}  # fmt: skip
    with servers(2, 1, redis_env) as bases:
        run_id = start_run(bases[0], session, doc30.pk, "10")
        fan.append(("2 Daphne + runworker, Redis", asyncio.run(
            fan_out(bases, session, run_id, 100, seconds))))  # fmt: skip
        print("fan-out, Redis:", fan[-1][1], flush=True)

    in_process = asyncio.run(schedule_in_process(doc30.pk, 20, seconds))
    print("schedule in process:", in_process, flush=True)
    sizes = frame_sizes()
    print("frame sizes:", sizes, flush=True)
    body = markdown(fan, runs, in_process, sizes, args.quick, (load_at_start, os.getloadavg()[0]))
    print(body)
    if args.write:
        write_section(DOCS, HEADING, body)
        print(f"written under {HEADING!r} in {DOCS}")


if __name__ == "__main__":
    main()
