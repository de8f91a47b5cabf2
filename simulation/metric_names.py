"""The metrics a frame reports, once: frame key, label, unit, how the browser shows them.

The live page receives this table as page data (``metric_names_json``); the run's series
columns and the metrics a scenario check may watch are read from it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class MetricName:
    """One metric: its frame key, a short label, its unit and its display format.

    ``format`` is how the browser writes a value: ``rate`` (``1.2k rps``), ``count``
    (``1.2k``), ``percent`` (a fraction as ``12.5%``), ``ms`` or ``money``.
    ``color`` is its line on the run's charts ("" when no chart draws it).
    """

    name: str
    label: str
    unit: str
    format: str
    color: str = ""


# A frame's global metrics, in the order of the run's series and CSV columns.
GLOBAL: tuple[MetricName, ...] = (
    MetricName("offered_rps", "offered", "req/s", "rate", "#868e96"),
    MetricName("throughput_rps", "served", "req/s", "rate", "#1971c2"),
    MetricName("error_rate", "errors", "%", "percent", "#e03131"),
    MetricName("availability", "availability", "%", "percent"),
    MetricName("p50_ms", "p50", "ms", "ms", "#2f9e44"),
    MetricName("p90_ms", "p90", "ms", "ms", "#1971c2"),
    MetricName("p95_ms", "p95", "ms", "ms", "#7048e8"),
    MetricName("p99_ms", "p99", "ms", "ms", "#e8590c"),
    MetricName("p999_ms", "p99.9", "ms", "ms", "#c2255c"),
    MetricName("cost_per_hour", "cost", "$/hour", "money", "#f08c00"),
    # Served within the clients' deadlines, and served after the client gave up.
    MetricName("goodput_rps", "within deadline", "req/s", "rate", "#2f9e44"),
    MetricName("late_rps", "late", "req/s", "rate", "#f59f00"),
)
# A node's numbers in a frame, in the frame's order.
NODE: tuple[MetricName, ...] = (
    MetricName("offered", "offered", "req/s", "rate"),
    MetricName("served", "served", "req/s", "rate"),
    MetricName("queued", "queued", "requests", "count"),
    MetricName("dropped", "dropped", "req/s", "rate"),
    MetricName("util", "utilisation", "%", "percent"),
    MetricName("lat", "latency (mean)", "ms", "ms"),
    MetricName("p95", "latency p95", "ms", "ms"),
)

# Latency percentiles of the global metrics (the ones in ms).
PERCENTILES: tuple[str, ...] = tuple(m.name for m in GLOBAL if m.unit == "ms")
# The percentiles every frame has (the others only when a run asks for them).
ALWAYS_PERCENTILES: tuple[str, ...] = ("p50_ms", "p95_ms", "p99_ms")
# The run's per-tick series: the simulated time, then every global metric.
SERIES_COLUMNS: tuple[str, ...] = ("t", *(m.name for m in GLOBAL))
# What a scenario check may watch: global metrics every frame has, or a node's numbers.
CHECKED_GLOBAL: tuple[str, ...] = tuple(
    m.name for m in GLOBAL if m.name not in PERCENTILES or m.name in ALWAYS_PERCENTILES
)
CHECKED_NODE: tuple[str, ...] = tuple(m.name for m in NODE)


def metric_names_json() -> dict[str, list]:
    """The table as a page's script reads it."""
    return {
        "global": [asdict(m) for m in GLOBAL],
        "node": [asdict(m) for m in NODE],
        "always_percentiles": list(ALWAYS_PERCENTILES),
    }


# A component's numbers in the CLI's per-component series (``run --components``), after
# ``t``: its state, the node numbers above, the p99 (computed only for these series) and
# its instances; the kind's own numbers (a frame's ``x``) follow under their own keys.
COMPONENT_SERIES: tuple[str, ...] = (
    "status",
    "health",
    *(m.name for m in NODE),
    "p99",
    "inst",
    "ready",
)
