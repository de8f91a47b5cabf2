"""The run report: frames collected into averages after warm-up, series and latency laws."""

from __future__ import annotations

from collections.abc import Iterable

from .bottlenecks import Bottlenecks
from .latency import RunLatency

RUN_PS = (0.5, 0.95, 0.99)
# A component's latency law over a run is a mixture of one gamma per tick; past this
# many distinct ones they are pooled (quantiles within 0.1%), keeping reports quick.
NODE_EXACT_PARTS = 32
# The report's run-wide sums of frame globals ("mean_ms" weighted by throughput).
RUN_SUMS = ("offered_rps", "throughput_rps", "dropped_rps", "cost_per_hour", "mean_ms",
            "goodput_rps", "late_rps")  # fmt: skip
# Goodput: served within the clients' deadlines; late: served after the client gave up.
SERIES = ("t", "offered_rps", "throughput_rps", "error_rate", "p50_ms", "p95_ms", "p99_ms",
          "cost_per_hour", "goodput_rps", "late_rps")  # fmt: skip


class Report:
    """Collects frames into the CLI JSON object: averages after warm-up, series, events.

    A run that ends before its warm-up does is summarised over the ticks it ran
    (``warmup_cut_short``); the warm-up ticks' totals are kept only until the first tick
    after warm-up arrives.
    """

    def __init__(self, engine: object) -> None:
        self.engine = engine
        self.ticks = 0
        self.kept = Totals(engine.dt)  # the ticks after warm-up
        self.warmup: Totals | None = Totals(engine.dt)  # warm-up ticks, while no tick is kept
        # One value per tick, as the frames give it; rounded to 6 decimals in to_json.
        self.series: dict[str, list[float]] = {key: [] for key in SERIES}
        self._series_columns = [(key, self.series[key]) for key in SERIES[1:]]
        self._t = self.series["t"]
        self.bottlenecks = Bottlenecks(engine.state)  # warm-up ticks too

    def add(self, frame: object) -> None:
        g = frame.globals
        self.ticks += 1
        if frame.nodes is not self.bottlenecks.last_nodes:  # a repeated quiet tick: nothing new
            self.bottlenecks.add(frame)
        self._t.append(frame.t)
        for key, column in self._series_columns:
            column.append(g[key])
        if frame.t - frame.dt < self.engine.warmup_s - 1e-9:
            if self.warmup is not None:
                self.warmup.add(frame, g)
            return
        self.warmup = None
        self.kept.add(frame, g)

    def to_json(self) -> dict:
        cut_short = self.kept.ticks == 0 and self.ticks > 0
        totals = self.warmup if cut_short and self.warmup is not None else self.kept
        engine = self.engine
        return {
            "design": engine.document["name"],
            "seed": engine.seed,
            "tick_s": engine.dt,
            "ticks": self.ticks,
            "duration_s": engine.now,
            "warmup_s": engine.warmup_s,
            "warmup_cut_short": cut_short,
            "aborted": engine.aborted,
            "summary": totals.summary_json(),
            "bottlenecks": self.bottlenecks.to_json(),
            "components": totals.components_json(),
            "series": {key: [round(x, 6) for x in column] for key, column in self.series.items()},
            "events": list(engine.events),
            "checks": [check.to_json() for check in engine.checks],
        }


class Totals:
    """Run-wide sums over a stretch of ticks: the frame globals, the end-to-end latency law
    and, per component, its numbers, latency law and last status."""

    def __init__(self, dt: float) -> None:
        self.dt = dt
        self.ticks = 0
        self._last_nodes: dict | None = None
        self._last_parts: list = []
        self._repeats = 0
        self.latency = RunLatency()  # end-to-end latency law of the ticks
        self.sums = dict.fromkeys(RUN_SUMS, 0.0)
        # Per component, in the frames' order of nodes (the model's): sums over the ticks of
        # offered, served, dropped, utilisation, queue and served x mean latency (s); the
        # latency law; and the status in the last tick (taken when the report is made).
        self.ids: list[str] = []
        self.node_sums: list[list[float]] = []
        self.node_latency: list[RunLatency] = []
        self.statuses: list[str] = []

    def add(self, frame: object, g: dict) -> None:
        self.ticks += 1
        sums = self.sums
        sums["offered_rps"] += g["offered_rps"]
        sums["throughput_rps"] += g["throughput_rps"]
        sums["dropped_rps"] += g["dropped_rps"]
        sums["cost_per_hour"] += g["cost_per_hour"]
        sums["mean_ms"] += g["mean_ms"] * g["throughput_rps"]
        sums["goodput_rps"] += g["goodput_rps"]
        sums["late_rps"] += g["late_rps"]
        if frame.nodes is self._last_nodes:
            self._repeats += 1  # a repeated quiet tick: added up when the nodes change
            return
        self._flush()
        self._last_nodes = frame.nodes
        self._last_parts = frame.latency_parts
        self._repeats = 1

    def _flush(self) -> None:
        nodes = self._last_nodes
        if nodes is None:
            return
        count = self._repeats
        seconds = self.dt * count
        self.latency.add(self._last_parts, seconds)
        if not self.ids:
            self._start(nodes)
        elif list(nodes) != self.ids:
            raise ValueError("a run's frames must give its components, in the same order")
        _add_components(self.node_sums, self.node_latency, nodes.values(), count, seconds)
        self._last_nodes = None

    def _start(self, nodes: dict) -> None:
        self.ids = list(nodes)
        self.node_sums = [[0.0] * 6 for _ in nodes]
        self.node_latency = [RunLatency(NODE_EXACT_PARTS) for _ in nodes]

    def _settle(self) -> None:
        """Add the held repeated ticks; the statuses are the last tick's."""
        if self._last_nodes is not None:
            self.statuses = [node.status for node in self._last_nodes.values()]
        self._flush()

    def summary_json(self) -> dict:
        """Averages over the ticks; without a tick every number is 0, availability too:
        nothing was measured."""
        self._settle()
        ticks = max(self.ticks, 1)
        s = self.sums
        tput = s["throughput_rps"]
        dropped = s["dropped_rps"]
        attempts = tput + dropped
        # Late answers (served after the user's deadline) count as errors, as users see them.
        error_rate = (dropped + s["late_rps"]) / attempts if attempts > 0 else 0.0
        run_percentiles = {
            name: x * 1000.0
            for name, x in zip(("p50", "p95", "p99"), self.latency.percentiles(RUN_PS), strict=True)
        }
        return {
            "offered_rps": s["offered_rps"] / ticks,
            "served_rps": tput / ticks,
            "dropped_rps": dropped / ticks,
            "availability": 1.0 - error_rate if self.ticks else 0.0,
            "error_rate": error_rate,
            "cost_per_hour": s["cost_per_hour"] / ticks,
            "latency_ms": {
                "mean": s["mean_ms"] / tput if tput > 0 else 0.0,
                **run_percentiles,
            },
            "goodput_rps": s["goodput_rps"] / ticks,
            "late_rps": s["late_rps"] / ticks,
        }

    def components_json(self) -> dict:
        self._settle()
        ticks = max(self.ticks, 1)
        components = {}
        rows = zip(self.ids, self.node_sums, self.node_latency, self.statuses, strict=True)
        for cid, (offered, served, dropped, util, queue, lat_w), law, status in rows:
            mean = lat_w / served if served > 0 else 0.0
            p50, p95, p99 = law.percentiles(RUN_PS)
            components[cid] = {
                "offered_rps": offered / ticks,
                "served_rps": served / ticks,
                "dropped_rps": dropped / ticks,
                "utilization": util / ticks,
                "queue": queue / ticks,
                "status": status,
                "latency_ms": {
                    "mean": mean * 1000.0,
                    "p50": p50 * 1000.0,
                    "p95": p95 * 1000.0,
                    "p99": p99 * 1000.0,
                },
            }
        return components


def _add_components(
    rows: list[list[float]], laws: list[RunLatency], nodes: Iterable, count: int, seconds: float
) -> None:
    """Add ``count`` equal ticks, ``seconds`` long in all, of each component's numbers to
    its row of sums and to its latency law (see Report)."""
    for acc, law, node in zip(rows, laws, nodes, strict=True):
        served = node.served
        mean = node.lat / 1000.0
        if count == 1:  # every computed tick: the multiplications by one left out
            acc[0] += node.offered
            acc[1] += served
            if node.dropped:  # adding zero leaves a sum as it is; most components
                acc[2] += node.dropped  # drop nothing and hold no backlog
            acc[3] += node.util
            if node.queued:
                acc[4] += node.queued
            acc[5] += mean * served
        else:
            acc[0] += node.offered * count
            acc[1] += served * count
            acc[2] += node.dropped * count
            acc[3] += node.util * count
            acc[4] += node.queued * count
            acc[5] += mean * served * count
        if served > 0.0:
            law.add_one(served * seconds, mean, node.var)
