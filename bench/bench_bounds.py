"""What a run may grow to, on a real Daphne: CPU for others, memory, stored bytes, messages.

Usage: ``python bench/bench_bounds.py [--before DIR] [--quick] [--write]``
(``--write`` puts the results under the "Bounded runs" heading of docs/benchmarks.md).
``--before DIR`` measures the same on another checkout of the project (for example
``git archive 9bd46ce | tar -x -C DIR``) side by side, each measure on both in turn.

1. Load: user A runs three runs of a 2,000-component design at speed "max"; meanwhile
   user B loads the home page back to back (p50, p99) and watches a 30-component run
   at speed 10 (ticks a second it kept). The home page is also timed with no run.
2. Memory and storage: the Daphne process's resident memory (and its engine
   processes') before and after a 30-component run of up to 100,000 ticks at speed
   "max", and the bytes its recording takes per tick; then the bytes per tick of a
   2,000-component run.
3. Messages: the largest message the socket sent to a viewer of the largest design
   allowed (2,000 components, longest labels) and of a 30,000-tick run, and whether
   the viewer got its `hello` at all (Daphne drops messages over 1 MiB).

Each server is started as docs/deploy.md says (``daphne sandbox.asgi:application``)
from the checkout measured, with its own SQLite database; clients run in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchdoc import write_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="bench-bounds-"))
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'client.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from bench_live import design, free_port, wait_listening  # noqa: E402
from django.conf import settings  # noqa: E402

from simulation import validate_document  # noqa: E402
from simulation.document import MAX_LABEL  # noqa: E402
from tests.wsclient import WebSocketClient  # noqa: E402

HEADING = "## Bounded runs"
DOCS = ROOT / "docs" / "benchmarks.md"
PYTHON = str(ROOT / ".venv" / "bin" / "python")

SETUP = """
import json, sys
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.conf import settings
from sandbox.models import Design
call_command("migrate", verbosity=0)
docs = json.load(open(sys.argv[1]))
out = {}
for name in ("alice", "bob"):
    user = get_user_model().objects.create_user(name, password="bench-password-7")
    client = Client()
    client.force_login(user)
    out[name] = client.cookies[settings.SESSION_COOKIE_NAME].value
    for key, doc in docs.items():
        d = Design.create_with_document(owner=user, name=key, document=doc, message="")
        out[f"{name}-{key}"] = d.pk
print(json.dumps(out))
"""


def largest_design() -> dict[str, Any]:
    """2,000 components with long ids and the longest labels (about 1.1 MB of JSON)."""
    webs = [
        {"id": f"web-server-of-the-east-data-centre-{i:05d}", "kind": "web_server",
         "label": f"{i} " + "w" * (MAX_LABEL - 6),
         "x": i % 50 * 120, "y": i // 50 * 80}
        for i in range(1998)
    ]  # fmt: skip
    return validate_document(
        {
            "format": 1,
            "name": "Largest",
            "components": [
                {"id": "users", "kind": "client", "params": {"rps": 50 * 1998}},
                {"id": "lb", "kind": "load_balancer"},
                *webs,
            ],
            "links": [
                {"from": "users", "to": "lb"},
                *({"from": "lb", "to": web["id"]} for web in webs),
            ],
        }
    )


def _rss(pid: int) -> float:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except FileNotFoundError:
        return 0.0
    return next((int(x.split()[1]) / 1024 for x in lines if x.startswith("VmRSS:")), 0.0)


class Server:
    """One Daphne process from `tree`, on its own database, and its signed-in users."""

    def __init__(self, tree: Path, label: str) -> None:
        self.tree = tree
        self.label = label
        self.db = WORK / f"{label}-{time.monotonic_ns()}.sqlite3"
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": f"sqlite:///{self.db}",
            "LIVE_MAX_RUNS_PER_USER": "10",
            "LIVE_IDLE_PAUSE_S": "600",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # As deployed (docs/deploy.md): DEBUG keeps every query's text in memory.
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
        }
        self.env.pop("REDIS_URL", None)
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = ""

    def setup(self, docs: dict[str, Any]) -> dict[str, Any]:
        path = WORK / "docs.json"
        path.write_text(json.dumps(docs))
        env = {**self.env, "DJANGO_SETTINGS_MODULE": "sandbox.settings"}
        out = subprocess.run(
            [PYTHON, "-c", "import django; django.setup()\n" + SETUP, str(path)],
            cwd=self.tree, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        return json.loads(out.stdout.strip().splitlines()[-1])

    @contextmanager
    def running(self) -> Iterator[Server]:
        port = free_port()
        log = (WORK / f"{self.label}.log").open("a")
        command = [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                   "sandbox.asgi:application"]  # fmt: skip
        env = {**self.env, "DJANGO_SETTINGS_MODULE": "sandbox.settings"}
        self.proc = subprocess.Popen(command, cwd=self.tree, env=env, stdout=log, stderr=log)
        try:
            wait_listening(self.proc, port)
            self.base = f"http://127.0.0.1:{port}"
            yield self
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def rss_mb(self) -> tuple[float, float]:
        """Resident memory (MB) of the Daphne process, and of its children (engine
        processes)."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        pids = [int(p) for p in children.read_text().split()] if children.exists() else []
        return _rss(self.proc.pid), sum(_rss(pid) for pid in pids)

    def stored_bytes(self) -> tuple[int, int]:
        """(bytes of recorded chunks, ticks of all runs) in this server's database."""
        with sqlite3.connect(self.db) as db:
            columns = {row[1] for row in db.execute("PRAGMA table_info(live_runchunk)")}
            parts = ["COALESCE(SUM(LENGTH(frames)), 0)"]
            parts += [f"COALESCE(SUM(LENGTH({c})), 0)" for c in ("series_data", "frames_data")
                      if c in columns]  # fmt: skip
            size = db.execute(f"SELECT {' + '.join(parts)} FROM live_runchunk").fetchone()[0]
            ticks = db.execute("SELECT COALESCE(SUM(ticks), 0) FROM live_run").fetchone()[0]
        return size, ticks

    def clear_runs(self) -> None:
        with sqlite3.connect(self.db) as db:
            db.execute("DELETE FROM live_runchunk")
            db.execute("DELETE FROM live_run")


# --- a signed-in browser ---------------------------------------------------------------------


def start_run(base: str, session: str, design_pk: int, speed: str, duration_s: float) -> str:
    """Press Run with a custom scenario of `duration_s`; return the run's id."""
    import http.cookiejar
    import re
    import urllib.parse

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("Cookie", f"{settings.SESSION_COOKIE_NAME}={session}")]
    page = opener.open(f"{base}/runs/new/?design={design_pk}", timeout=60).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    csrf = next(c.value for c in jar if c.name == settings.CSRF_COOKIE_NAME)
    body = urllib.parse.urlencode({
        "design": design_pk, "scenario": "custom", "speed": speed, "csrfmiddlewaretoken": token,
        "scenario_json": json.dumps({"duration_s": duration_s}),
    }).encode()  # fmt: skip
    request = urllib.request.Request(f"{base}/runs/new/", data=body, method="POST")
    request.add_header(
        "Cookie", f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"
    )
    response = urllib.request.build_opener().open(request, timeout=60)
    return urllib.parse.urlsplit(response.url).path.split("/")[2]


class Watcher:
    """A viewer of one run that reads everything, keeps sizes and the ticks of frames."""

    def __init__(self, ws: WebSocketClient) -> None:
        self.ws = ws
        self.sizes: dict[str, int] = {}
        self.frames: list[tuple[float, int]] = []
        self.hello = asyncio.Event()
        self.ended = asyncio.Event()
        self.task = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, base: str, session: str, run_id: str) -> Watcher:
        ws = await WebSocketClient.connect(
            base.replace("http://", "ws://") + f"/ws/runs/{run_id}/",
            {"Origin": base, "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"},
        )
        return cls(ws)

    async def _read(self) -> None:
        try:
            while True:
                text = await self.ws.recv_text()
                message = json.loads(text)
                kind = message["type"]
                self.sizes[kind] = max(self.sizes.get(kind, 0), len(text.encode()))
                if kind == "hello":
                    self.hello.set()
                elif kind == "frame":
                    self.frames.append((time.monotonic(), message["frame"]["tick"]))
                elif kind == "ended":
                    self.ended.set()
                    return
        except Exception:
            return

    async def start(self, timeout: float = 30) -> bool:
        try:
            await asyncio.wait_for(self.hello.wait(), timeout)
        except TimeoutError:
            return False
        await self.ws.send_json({"action": "start"})
        return True

    def rate(self, since: float, until: float) -> float:
        seen = [(t, tick) for t, tick in self.frames if since <= t <= until]
        if len(seen) < 2:
            return 0.0
        return (seen[-1][1] - seen[0][1]) / (seen[-1][0] - seen[0][0])

    async def stop(self) -> None:
        """Stop the run and close; bounded in time (a server that failed to send may
        never answer)."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.send_json({"action": "stop"}), 5)
            await asyncio.wait_for(self.ended.wait(), 30)
        await self.close()

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 5)


def fetch_ms(url: str, session: str) -> float:
    request = urllib.request.Request(url)
    request.add_header("Cookie", f"{settings.SESSION_COOKIE_NAME}={session}")
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
    return 1000 * (time.perf_counter() - started)


async def page_times(base: str, session: str, seconds: float) -> list[float]:
    times: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        times.append(await asyncio.to_thread(fetch_ms, f"{base}/", session))
    return times


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


# --- 1. load ---------------------------------------------------------------------------------


async def load(server: Server, ids: dict[str, Any], seconds: float) -> dict[str, Any]:
    base = server.base
    idle = await page_times(base, ids["bob"], 5.0)
    heavy = []
    for _ in range(3):
        run_id = await asyncio.to_thread(
            start_run, base, ids["alice"], ids["alice-d2000"], "max", 86400
        )
        heavy.append(await Watcher.open(base, ids["alice"], run_id))
    for watcher in heavy:
        await watcher.start()
    small_id = await asyncio.to_thread(start_run, base, ids["bob"], ids["bob-d30"], "10", 86400)
    small = await Watcher.open(base, ids["bob"], small_id)
    await small.start(60)
    await asyncio.sleep(3.0)  # everything started
    since = time.monotonic()
    busy = await page_times(base, ids["bob"], seconds)
    until = time.monotonic()
    result = {
        "idle_p50": statistics.median(idle),
        "idle_p99": percentile(idle, 0.99),
        "p50": statistics.median(busy),
        "p99": percentile(busy, 0.99),
        "pages": len(busy),
        "small_rate": small.rate(since, until),
        "heavy_rate": sum(w.rate(since, until) for w in heavy) / 3,
    }
    for watcher in [*heavy, small]:
        await watcher.stop()
    return result


# --- 2. memory and storage -------------------------------------------------------------------


async def memory(server: Server, ids: dict[str, Any], ticks: int, seconds: float
                 ) -> dict[str, Any]:  # fmt: skip
    base = server.base
    server.clear_runs()
    warm = await Watcher.open(base, ids["alice"], await asyncio.to_thread(
        start_run, base, ids["alice"], ids["alice-d30"], "max", 50))  # fmt: skip
    await warm.start()
    await asyncio.wait_for(warm.ended.wait(), 60)  # engines and code paths warmed up
    await warm.stop()
    server.clear_runs()
    before = server.rss_mb()
    peak = before
    run_id = await asyncio.to_thread(start_run, base, ids["alice"], ids["alice-d30"], "max", ticks)
    watcher = await Watcher.open(base, ids["alice"], run_id)
    await watcher.start()
    started = time.monotonic()
    while not watcher.ended.is_set() and time.monotonic() - started < seconds:
        await asyncio.sleep(0.5)
        now = server.rss_mb()
        peak = (max(peak[0], now[0]), max(peak[1], now[1]))
    elapsed = time.monotonic() - started
    reached = watcher.frames[-1][1] if watcher.frames else 0
    await watcher.stop()
    await asyncio.sleep(1.0)
    size, stored_ticks = server.stored_bytes()
    small = {"rss_before": before, "rss_peak": peak, "ticks": reached, "seconds": elapsed,
             "bytes_per_tick": size / max(1, stored_ticks)}  # fmt: skip
    server.clear_runs()
    run_id = await asyncio.to_thread(
        start_run, base, ids["alice"], ids["alice-d2000"], "max", 86400
    )
    watcher = await Watcher.open(base, ids["alice"], run_id)
    await watcher.start()
    await asyncio.sleep(15.0)
    await watcher.stop()
    await asyncio.sleep(1.0)
    size, stored_ticks = server.stored_bytes()
    return {"small": small, "big_bytes_per_tick": size / max(1, stored_ticks),
            "big_ticks": stored_ticks}  # fmt: skip


# --- 3. messages -----------------------------------------------------------------------------


async def messages(server: Server, ids: dict[str, Any]) -> dict[str, Any]:
    base = server.base
    out: dict[str, Any] = {}
    run_id = await asyncio.to_thread(start_run, base, ids["alice"], ids["alice-largest"], "1", 600)
    watcher = await Watcher.open(base, ids["alice"], run_id)
    out["largest_hello"] = await watcher.start(20)
    if out["largest_hello"]:
        await asyncio.sleep(3.0)
    out["largest_max"] = max(watcher.sizes.values(), default=0)
    out["largest_sizes"] = dict(watcher.sizes)
    await watcher.stop()
    run_id = await asyncio.to_thread(start_run, base, ids["alice"], ids["alice-d30"], "max", 30_000)
    watcher = await Watcher.open(base, ids["alice"], run_id)
    await watcher.start()
    try:
        await asyncio.wait_for(watcher.ended.wait(), 300)
    except TimeoutError:
        pass
    await watcher.stop()
    late = await Watcher.open(base, ids["alice"], run_id)
    try:
        await asyncio.wait_for(late.ended.wait(), 30)
    except TimeoutError:
        pass
    out["long_ended"] = watcher.sizes.get("ended", 0)
    out["long_late_hello"] = late.sizes.get("hello", 0)
    out["long_late_ended"] = late.sizes.get("ended", 0)
    out["long_max"] = max([*watcher.sizes.values(), *late.sizes.values()], default=0)
    out["long_late_got_end"] = late.ended.is_set()
    await late.close()
    return out


# --- report ----------------------------------------------------------------------------------


SECTIONS = ("load", "memory", "messages")


def measure(servers: dict[str, Server], docs: dict[str, Any], quick: bool) -> dict[str, dict]:
    """Each measure on every checkout in turn, so a drift of the machine hits them alike."""
    ids = {label: server.setup(docs) for label, server in servers.items()}
    results: dict[str, dict[str, Any]] = {label: {} for label in servers}
    for section in SECTIONS:
        for label, server in servers.items():
            with server.running():
                if section == "load":
                    value = asyncio.run(load(server, ids[label], 8.0 if quick else 20.0))
                elif section == "memory":
                    ticks, seconds = (20_000, 60.0) if quick else (100_000, 240.0)
                    if label == "before":
                        # It grows about 50 MB a thousand ticks: half the run spares the
                        # machine's other work.
                        ticks //= 2
                    value = asyncio.run(memory(server, ids[label], ticks, seconds))
                else:
                    value = asyncio.run(messages(server, ids[label]))
            results[label][section] = value
            print(label, f"{section}:", value, flush=True)
    return results


def kb(n: float) -> str:
    return f"{n / 1024:,.1f} kB" if n else "none arrived"


BEFORE_AFTER = (
    ' "before" is the project at 9bd46ce, "after" this checkout: each measure on both in turn,'
    " in the same run."
)


def _small(r: dict[str, Any]) -> dict[str, Any]:
    return r["memory"]["small"]


def _ticks(r: dict[str, Any]) -> str:
    return f"{_small(r)['ticks']:,} in {_small(r)['seconds']:.0f} s"


def _daphne(r: dict[str, Any]) -> str:
    before, peak = _small(r)["rss_before"][0], _small(r)["rss_peak"][0]
    return f"{before:.0f} / {peak:.0f} (+{peak - before:.0f})"


def _engines(r: dict[str, Any]) -> str:
    before, peak = _small(r)["rss_before"][1], _small(r)["rss_peak"][1]
    return f"{before:.0f} / {peak:.0f} (+{peak - before:.0f})" if peak else "none"


def _big(r: dict[str, Any]) -> str:
    m = r["memory"]
    return f"{m['big_bytes_per_tick']:,.0f} bytes ({m['big_ticks']:,} ticks)"


def markdown(results: dict[str, dict[str, Any]], quick: bool, before: str) -> str:
    labels = list(results)
    cols = " | ".join(labels)
    rule = " | ".join("---:" for _ in labels)

    def row(name: str, pick: Any) -> str:
        return f"| {name} | " + " | ".join(pick(results[label]) for label in labels) + " |"

    out = [
        f"`python bench/bench_bounds.py{' --quick' if quick else ''}"
        f"{' --before ' + before if before else ''}` on {datetime.date.today().isoformat()}: "
        f"{os.cpu_count()} cores shared with other work (timings are noisy), Python "
        f"{platform.python_version()}. One Daphne process per measure, started as "
        "docs/deploy.md says (DEBUG=0), from each checkout, on its own SQLite database; the "
        "clients run "
        "in the benchmark's process on the same cores." + (BEFORE_AFTER if before else ""),
        "",
        "### Load: user A runs three runs of 2,000 components at speed max",
        "",
        "Goals: user B's home page p99 < 200 ms; B's 30-component run keeps 10 ticks/s.",
        "",
        f"| measure | {cols} |",
        f"| --- | {rule} |",
        row(
            "home page with no run, p50 / p99",
            lambda r: f"{r['load']['idle_p50']:.0f} / {r['load']['idle_p99']:.0f} ms",
        ),
        row(
            "home page during A's runs, p50 / p99",
            lambda r: f"{r['load']['p50']:.0f} / {r['load']['p99']:.0f} ms",
        ),
        row("pages loaded (back to back)", lambda r: f"{r['load']['pages']}"),
        row("B's run at speed 10", lambda r: f"{r['load']['small_rate']:.1f} ticks/s"),
        row("each of A's runs", lambda r: f"{r['load']['heavy_rate']:.1f} ticks/s"),
        "",
        "### Memory and storage",
        "",
        "Goal: Daphne grows by less than 50 MB over a 100,000-tick run.",
        "",
        f"| measure | {cols} |",
        f"| --- | {rule} |",
        row("30-component run at max: ticks reached", _ticks),
        row("Daphne's resident memory before / peak (+growth), MB", _daphne),
        row("its engine processes', MB", _engines),
        row(
            "stored per tick, 30 components", lambda r: f"{_small(r)['bytes_per_tick']:,.0f} bytes"
        ),
        row("stored per tick, 2,000 components", _big),
        "",
        "Resident memory is sampled every 0.5 s (after: the engines run in child processes,",
        "counted apart). Stored bytes are the recording's chunks in the database divided by",
        "the ticks recorded. The benchmark design's traffic is steady, so its frames repeat",
        "and compress far better than a noisy run's would; LIVE_MAX_RECORDING_MB bounds those.",
        "",
        "### Messages (limit: 256 KiB; Daphne drops anything over 1 MiB)",
        "",
        f"| measure | {cols} |",
        f"| --- | {rule} |",
        row(
            "largest design: the viewer got its hello",
            lambda r: "yes" if r["messages"]["largest_hello"] else "no (dropped)",
        ),
        row("largest design: biggest message received", lambda r: kb(r["messages"]["largest_max"])),
        row("30,000-tick run: `ended`", lambda r: kb(r["messages"]["long_ended"])),
        row(
            "30,000-tick run: a late viewer's hello", lambda r: kb(r["messages"]["long_late_hello"])
        ),
        row(
            "30,000-tick run: the late viewer got `ended`",
            lambda r: "yes" if r["messages"]["long_late_got_end"] else "no",
        ),
    ]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="", help="another checkout to measure side by side")
    parser.add_argument("--quick", action="store_true", help="short measurements")
    parser.add_argument("--write", action="store_true", help=f'write "{HEADING}" of {DOCS}')
    args = parser.parse_args()
    docs = {"d2000": design(2000), "d30": design(30), "largest": largest_design()}
    servers = {"before": Server(Path(args.before), "before")} if args.before else {}
    servers["after" if args.before else "this checkout"] = Server(ROOT, "after")
    results = measure(servers, docs, args.quick)
    body = markdown(results, args.quick, args.before)
    print(body)
    if args.write:
        write_section(DOCS, HEADING, body)
        print(f"written under {HEADING!r} in {DOCS}")


if __name__ == "__main__":
    main()
