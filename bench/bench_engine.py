"""Engine benchmark: time per tick by design size, one simulated hour, and SimPy side by side.

Usage: ``python bench/bench_engine.py [--quick] [--markdown] [--write]`` (``--write`` puts
the results under the "Engine" heading of docs/benchmarks.md).

1. Per-tick time of generated designs of 10, 100, 1,000 and 10,000 components: the
   median of many ticks, per repeat, over several repeats; once with steady traffic and
   once with Poisson noise on arrivals (every tick's numbers differ, so no result of a
   previous tick can be reused).
2. Fast-forward time of one simulated hour (3,600 one-second ticks) of a 30-component
   design under a scenario with a traffic wave, noise and faults.
3. The engine against ``bench/simpy_model.py``'s per-request SimPy model of the load
   balancer -> 4 web servers -> database topology at the same traffic (360 and 5,000
   req/s, one-second ticks), in one run: speed ratio and mean / p99 latency, both beside
   the exact values of ``tests/simulation/reference.py``.

CPU time (``time.process_time``) is reported beside wall time because the machine is
shared: wall time counts whatever else ran meanwhile.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchdoc import write_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.simpy_model import run_simpy  # noqa: E402
from simulation import Engine, Limits  # noqa: E402
from simulation import engine as engine_module  # noqa: E402
from tests.simulation.designs import generated_design  # noqa: E402
from tests.simulation.reference import random_routing, round_robin  # noqa: E402

SIZES = (10, 100, 1000, 10000)
GOALS_US = {10: 30.0, 100: 100.0, 1000: 300.0, 10000: 3000.0}
SPEED_GOALS = {360.0: 100.0, 5000.0: 1000.0}
HEADING = "## Engine"
DOCS = ROOT / "docs" / "benchmarks.md"
BENCH_LIMITS = Limits(max_components=20_000, max_links=30_000, max_bytes=20_000_000)


def make_engine(design: dict, scenario: dict | None = None) -> Engine:
    """An Engine that accepts the benchmark's largest designs (over the stored limits)."""
    return Engine(design, scenario, limits=BENCH_LIMITS)


# --- designs -------------------------------------------------------------------------------


def hour_scenario(design: dict) -> dict:
    """One hour: a wave on every client, Poisson noise, and a few failures and recoveries."""
    clients = [c["id"] for c in design["components"] if c["kind"] == "client"]
    return {
        "duration_s": 3600,
        "tick_s": 1,
        "seed": 1,
        "noise": True,
        "waves": [{"source": c, "amplitude": 0.3, "period_s": 1800} for c in clients],
        "faults": [
            {"at": 600, "action": "fail", "target": "c0-web", "count": 1},
            {"at": 900, "action": "recover", "target": "c0-web"},
            {"at": 1200, "action": "fail", "target": "c1-cache"},
            {"at": 1500, "action": "recover", "target": "c1-cache"},
            {"at": 2000, "action": "fail", "target": "c2-db"},
            {"at": 2400, "action": "recover", "target": "c2-db"},
            {"at": 2800, "action": "fail", "target": "c0-workers"},
            {"at": 3000, "action": "recover", "target": "c0-workers"},
        ],
    }


def reference_design(rps: float, scale: float, algorithm: str) -> dict:
    """simpy_model.py's topology: LB (no delay) -> 4 web (1 server, 10 ms) -> 70% to a DB
    (8 connections, 25 ms); service times times ``scale`` keep utilisation at any rate."""
    return {
        "format": 1,
        "name": "LB -> 4 web -> DB",
        "components": [
            {"id": "users", "kind": "client", "x": 0, "y": 0,
             "params": {"rps": rps, "mix": {"read": 0.7, "write": 0.0, "static": 0.3}}},
            {"id": "lb", "kind": "load_balancer", "x": 200, "y": 0,
             "params": {"algorithm": algorithm, "service_ms": 0.001, "concurrency": 10000}},
            {"id": "web", "kind": "web_server", "x": 400, "y": 0,
             "params": {"instances": 4, "concurrency": 1, "service_ms": 10.0 * scale}},
            {"id": "db", "kind": "database", "x": 600, "y": 0,
             "params": {"concurrency": 8, "service_ms": 25.0 * scale}},
        ],
        "links": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "web"},
                  {"from": "web", "to": "db"}],
    }  # fmt: skip


# --- measurements ----------------------------------------------------------------------------


def per_tick(
    design: dict, noise: bool, ticks: int, repeats: int, warmup: int, budget_s: float
) -> dict:
    """Median CPU and wall time of one tick (us) per repeat; each repeat a fresh engine.

    A repeat stops early, after at least 5 ticks, once it has used ``budget_s`` of CPU.
    """
    cpu_medians, cpu_means, wall_medians, counts = [], [], [], []
    for repeat in range(repeats):
        # No warm-up: every measured tick is also added to the run report, as in a run.
        scenario = {"duration_s": 1e6, "noise": noise, "seed": repeat, "warmup_s": 0}
        engine = make_engine(design, scenario)
        for _ in range(warmup):
            engine.step()
        cpu, wall = [], []
        budget_ns = budget_s * 1e9
        for _ in range(ticks):
            c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
            engine.step()
            w1, c1 = time.perf_counter_ns(), time.thread_time_ns()
            cpu.append(c1 - c0)
            wall.append(w1 - w0)
            budget_ns -= c1 - c0
            if budget_ns <= 0 and len(cpu) >= 5:
                break
        counts.append(len(cpu))
        cpu_medians.append(statistics.median(cpu) / 1000.0)
        cpu_means.append(statistics.mean(cpu) / 1000.0)
        wall_medians.append(statistics.median(wall) / 1000.0)
    return {"median_us": statistics.median(cpu_medians), "min_us": min(cpu_medians),
            "mean_us": statistics.median(cpu_means),
            "max_us": max(cpu_medians), "wall_us": statistics.median(wall_medians),
            "ticks": min(counts), "repeats": repeats}  # fmt: skip


PARTS = ("nodes", "end-to-end percentiles", "frame", "run report", "rest")


def tick_parts(design: dict, ticks: int) -> dict[str, float]:
    """Median wall time (us) of each part of a computed tick (noise on) over ``ticks`` ticks.

    The parts: the node loop (every node's client, router or server tick, the kinds'
    hooks inside), the end-to-end percentiles (``exit_latencies``), the rest of building
    the frame, adding it to the run report, and everything else of ``step()`` (arrival
    noise, checks). Each part is timed by wrapping it in this engine only; the wrappers
    cost about 0.1 us a call, counted in the parts they wrap.
    """
    engine = make_engine(design, {"duration_s": 1e6, "noise": True, "seed": 1, "warmup_s": 0})
    for _ in range(3):
        engine.step()
    spent = dict.fromkeys(PARTS, 0)

    def timed(part: str, call: Any) -> Any:
        def wrapper(*args: Any) -> Any:
            start = time.perf_counter_ns()
            try:
                return call(*args)
            finally:
                spent[part] += time.perf_counter_ns() - start

        return wrapper

    engine.serving.tick = timed("nodes", engine.serving.tick)
    engine._frame = timed("frame", engine._frame)
    engine.report_data.add = timed("run report", engine.report_data.add)
    patched = ("client_tick", "router_tick", "exit_latencies")
    originals = {name: getattr(engine_module, name) for name in patched}
    engine_module.client_tick = timed("nodes", originals["client_tick"])
    engine_module.router_tick = timed("nodes", originals["router_tick"])
    engine_module.exit_latencies = timed("end-to-end percentiles", originals["exit_latencies"])
    per_tick: dict[str, list[float]] = {part: [] for part in PARTS}
    try:
        for _ in range(ticks):
            before = dict(spent)
            start = time.perf_counter_ns()
            engine.step()
            total = time.perf_counter_ns() - start
            done = {part: spent[part] - before[part] for part in PARTS}
            done["frame"] -= done["end-to-end percentiles"]  # called inside _frame
            done["rest"] = total - sum(done[p] for p in PARTS if p != "rest")
            for part in PARTS:
                per_tick[part].append(done[part] / 1000.0)
    finally:
        for name, original in originals.items():
            setattr(engine_module, name, original)
    return {part: statistics.median(values) for part, values in per_tick.items()}


def compile_time(design: dict) -> float:
    start = time.perf_counter()
    make_engine(design)
    return time.perf_counter() - start


def fast_forward_hour() -> dict:
    design = generated_design(30)
    scenario = hour_scenario(design)
    wall, cpu = time.perf_counter(), time.process_time()
    engine = Engine(design, scenario)
    engine.run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"components": 30, "ticks": engine.tick, "wall_s": wall, "cpu_s": cpu}


def engine_reference(rps: float, scale: float, algorithm: str, seconds: int, noise: bool):
    """Run the reference topology for ``seconds`` one-second ticks; latency after warm-up."""
    wall, cpu = time.perf_counter(), time.process_time()
    engine = Engine(reference_design(rps, scale, algorithm),
                    {"duration_s": seconds, "noise": noise, "seed": 1})  # fmt: skip
    frames = [engine.step() for _ in range(seconds)]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    kept = frames[len(frames) // 10 :]  # the same 10% warm-up as the SimPy model
    weights = [f.globals["throughput_rps"] for f in kept]
    total = sum(weights)
    mean = sum(w * f.globals["mean_ms"] for w, f in zip(weights, kept, strict=True)) / total
    p99 = sum(w * f.globals["p99_ms"] for w, f in zip(weights, kept, strict=True)) / total
    return {"wall_s": wall, "cpu_s": cpu, "mean_ms": mean, "p99_ms": p99}


def compare(rps: float, seconds: int, routing: str) -> dict:
    """The same traffic through SimPy (per request) and the engine (per tick)."""
    scale = 360.0 / rps
    algorithm = "random" if routing == "random" else "round_robin"
    cpu = time.process_time()
    simpy = run_simpy(rps, seconds, routing, 1, web_service_ms=10.0 * scale,
                      db_service_ms=25.0 * scale)  # fmt: skip
    simpy["cpu_s"] = time.process_time() - cpu
    steady = engine_reference(rps, scale, algorithm, seconds, noise=False)
    noisy = engine_reference(rps, scale, algorithm, seconds, noise=True)
    law = random_routing if routing == "random" else round_robin
    exact = law(rps, web_service_s=0.010 * scale, db_service_s=0.025 * scale, lb_service_s=None)
    return {"rps": rps, "seconds": seconds, "routing": routing, "simpy": simpy,
            "engine": steady, "engine_noise": noisy, "exact": exact.summary().ms()}  # fmt: skip


# --- report ----------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")  # fmt: skip


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def markdown(
    ticks: list[dict],
    hour: dict,
    comparisons: list[dict],
    parts: dict[int, dict[str, float]],
    load: str = "",
) -> str:
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        f"Measured {today} on {machine()} with `python bench/bench_engine.py --write` "
        "(about three minutes on a quiet machine; `--quick` for a smoke run). "
        f"Load while it ran{load}: wall times grow with it; CPU times are the better guide.",
        "",
        "### Time per tick, generated designs",
        "",
        "Designs of independent ten-component cells (users, CDN, load balancer, web, session "
        "store, cache, primary, replica, queue, workers). Median CPU time of one `step()` "
        "over many ticks, per repeat (fresh engine each); median of the repeats, range of "
        "the repeats in brackets; wall time in the last columns. With steady traffic the "
        "engine recognises a quiet tick (nothing changed since the last one) and reuses the "
        "last frame's numbers; with Poisson noise on arrivals every tick is computed in full. "
        "The mean of the computed ticks (what a long run costs per tick) is above their "
        "median where some ticks meet inputs the solvers have not seen yet.",
        "",
        "| components | compile | steady traffic | Poisson noise | goal | steady / noise "
        "| mean, noise | wall, steady | wall, noise |",
        "| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for row in ticks:
        n, steady, noisy = row["size"], row["steady"], row["noise"]
        out.append(
            f"| {n:,} | {row['compile_s'] * 1000:,.0f} ms "
            f"| {_us(steady['median_us'])} [{_us(steady['min_us'])}-{_us(steady['max_us'])}] "
            f"| {_us(noisy['median_us'])} [{_us(noisy['min_us'])}-{_us(noisy['max_us'])}] "
            f"| {_us(GOALS_US[n])} | {verdict(steady['median_us'] <= GOALS_US[n])} / "
            f"{verdict(noisy['median_us'] <= GOALS_US[n])} "
            f"| {_us(noisy['mean_us'])} "
            f"| {_us(steady['wall_us'])} | {_us(noisy['wall_us'])} |"
        )
    out += [
        "",
        "In short: "
        + "; ".join(
            f"{r['size']:,} components: quiet ticks "
            f"{_times(r['steady']['median_us'], GOALS_US[r['size']])}, computed ticks "
            f"{_times(r['noise']['median_us'], GOALS_US[r['size']])}"
            for r in ticks
        )
        + ".",
        "",
        f"Ticks (at least, per repeat) x repeats: {
            ', '.join(
                f'{r["size"]:,}: {r["noise"]["ticks"]} x {r["noise"]["repeats"]}' for r in ticks
            )
        }.",
        "",
        "Where a computed tick's time goes (noise on; median wall time of each part, "
        "measured by timing the parts in one engine: `tick_parts`). The node loop is every "
        "node's own work, the kinds' hooks included; the end-to-end percentiles are "
        "p50/p95/p99 per request class and overall from the mixture of exit laws; the run "
        "report adds each tick to the run's averages and latency law.",
        "",
        "| components | " + " | ".join(PARTS) + " | sum |",
        "| ---: | " + " | ".join("---:" for _ in PARTS) + " | ---: |",
        *[
            f"| {size:,} | "
            + " | ".join(_us(row[part]) for part in PARTS)
            + f" | {_us(sum(row.values()))} |"
            for size, row in parts.items()
        ],
        "",
        "### One simulated hour",
        "",
        f"{hour['components']} components (three cells), {hour['ticks']:,} one-second ticks "
        "with a traffic wave, Poisson noise and eight failures/recoveries: "
        f"**{hour['wall_s']:.2f} s** wall ({hour['cpu_s']:.2f} s CPU), "
        f"{hour['ticks'] / hour['wall_s']:,.0f} ticks/s, "
        f"{3600 / hour['wall_s']:,.0f}x real time.",
        "",
        "### Engine vs per-request SimPy model (LB -> 4 web -> DB)",
        "",
        "Same topology and traffic: Poisson arrivals, 4 web servers of 1 worker at "
        "utilisation 0.9, 70% of requests to a DB of 8 connections at 0.7875 (service "
        "times scaled with the rate so utilisation stays the same). One-second ticks for "
        "the engine; latency averaged after the same 10% warm-up. Speed ratio = SimPy "
        "CPU time / engine CPU time for the same simulated seconds.",
        "",
        "| req/s | routing | simulated | SimPy CPU | engine CPU | ratio | goal | "
        "mean ms: theory / SimPy / engine | p99 ms: theory / SimPy / engine |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for c in comparisons:
        simpy, eng, noisy, exact = c["simpy"], c["engine"], c["engine_noise"], c["exact"]
        ratio = simpy["cpu_s"] / eng["cpu_s"]
        mean_diff = _diff(eng["mean_ms"], simpy["mean_ms"])
        p99_diff = _diff(eng["p99_ms"], simpy["p99_ms"])
        ratio_noise = simpy["cpu_s"] / noisy["cpu_s"]
        goal = SPEED_GOALS[c["rps"]]
        out.append(
            f"| {c['rps']:,.0f} | {c['routing']} | {c['seconds']} s "
            f"| {simpy['cpu_s']:.2f} s | {eng['cpu_s'] * 1000:.1f} ms "
            f"({noisy['cpu_s'] * 1000:.1f} ms with noise) "
            f"| {ratio:,.0f}x ({ratio_noise:,.0f}x) | {goal:,.0f}x: {verdict(ratio >= goal)} "
            f"| {exact['mean']:.2f} / {simpy['mean_ms']:.2f} / {eng['mean_ms']:.2f} "
            f"(engine {mean_diff} of SimPy, {_diff(eng['mean_ms'], exact['mean'])} of theory) "
            f"| {exact['p99']:.2f} / {simpy['p99_ms']:.2f} / {eng['p99_ms']:.2f} "
            f"(engine {p99_diff} of SimPy, {_diff(eng['p99_ms'], exact['p99'])} of theory) |"
        )
    out += [
        "",
        "Theory is tests/simulation/reference.py: exact for random routing (every node "
        "M/M/c); for round robin the web nodes are exact E_4/M/1 and the database is taken "
        "as M/M/8 with Poisson arrivals (its arrivals are in fact smoother). SimPy's numbers "
        "are one sample of the random process ("
        + ", ".join(f"{c['simpy']['measured']:,}" for c in comparisons)
        + " measured requests); at utilisation 0.9 the queues stay correlated for long, so "
        "its mean and p99 move by several percent from one seed to another.",
    ]
    return "\n".join(out) + "\n"


def _us(value: float) -> str:
    return f"{value / 1000:,.2f} ms" if value >= 1000 else f"{value:,.0f} us"


def _times(value: float, goal: float) -> str:
    """How ``value`` compares with ``goal``: "within the goal" or "N.Nx the goal"."""
    return "within the goal" if value <= goal else f"{value / goal:,.1f}x the goal"


def _diff(engine: float, simpy: float) -> str:
    return f"{100 * (engine - simpy) / simpy:+.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer ticks, shorter SimPy runs")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown section")
    parser.add_argument(
        "--write", action="store_true", help='write the section under "## Engine" of ' + str(DOCS)
    )
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    q = args.quick
    plan = {10: (3000, 5), 100: (1000, 5), 1000: (300, 3), 10000: (30, 3)}
    budget_s = 1.0 if q else 8.0
    ticks = []
    for size in SIZES:
        n, repeats = plan[size]
        if q:
            n, repeats = max(10, n // 10), 2
        design = generated_design(size)
        row = {"size": size, "compile_s": compile_time(design),
               "steady": per_tick(design, False, n, repeats, 5, budget_s),
               "noise": per_tick(design, True, n, repeats, 5, budget_s)}  # fmt: skip
        ticks.append(row)
        print(f"{size:>6} components: steady {row['steady']['median_us']:9.1f} us/tick, "
              f"noise {row['noise']['median_us']:9.1f} us/tick", file=sys.stderr)  # fmt: skip
    parts = {size: tick_parts(generated_design(size), n)
             for size, n in ((10, 300 if q else 3000), (100, 100 if q else 1000),
                             (1000, 10 if q else 100))}  # fmt: skip
    hour = fast_forward_hour()
    print(f"one hour of 30 components: {hour['wall_s']:.2f} s", file=sys.stderr)
    runs = [(360.0, 60 if q else 600, "random"), (360.0, 60 if q else 600, "round_robin"),
            (5000.0, 10 if q else 120, "random")]  # fmt: skip
    comparisons = []
    for rps, seconds, routing in runs:
        comparisons.append(compare(rps, seconds, routing))
        c = comparisons[-1]
        print(f"{rps:>6.0f} req/s {routing}: SimPy {c['simpy']['cpu_s']:.2f} s CPU, engine "
              f"{c['engine']['cpu_s'] * 1000:.1f} ms CPU", file=sys.stderr)  # fmt: skip
    load_after = os.getloadavg()[0]
    load = f" (1-minute load average {load_before:.1f} at the start, {load_after:.1f} at the end)"
    text = markdown(ticks, hour, comparisons, parts, load)
    if args.write:
        write_section(DOCS, HEADING, text)
    if args.markdown:
        print(text)
    else:
        import json

        print(json.dumps({"ticks": ticks, "hour": hour, "comparisons": comparisons}, indent=2))


if __name__ == "__main__":
    main()
