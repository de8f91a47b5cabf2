"""One table of metric names: the series, the scenario checks and the pages read it
(the run's series columns are checked in tests/live/test_page_data.py)."""

from __future__ import annotations

from simulation import metric_names
from simulation.scenario import GLOBAL_METRICS, NODE_METRICS


def test_the_series_columns_are_the_time_then_every_global_metric():
    """The CSV export's columns, in the table's order."""
    assert metric_names.SERIES_COLUMNS == (
        "t", "offered_rps", "throughput_rps", "error_rate", "availability", "p50_ms",
        "p90_ms", "p95_ms", "p99_ms", "p999_ms", "cost_per_hour", "goodput_rps", "late_rps",
    )  # fmt: skip


def test_checks_watch_the_metrics_every_frame_has():
    """p90 and p99.9 are reported only when a run asks for them: checks cannot watch them."""
    assert GLOBAL_METRICS == (
        "offered_rps", "throughput_rps", "error_rate", "availability", "p50_ms", "p95_ms",
        "p99_ms", "cost_per_hour", "goodput_rps", "late_rps",
    )  # fmt: skip
    assert set(NODE_METRICS) == {"offered", "served", "dropped", "queued", "util", "lat", "p95"}


def test_every_metric_has_a_label_unit_and_a_format_the_browser_knows():
    formats = {"rate", "count", "percent", "ms", "money"}
    for metric in (*metric_names.GLOBAL, *metric_names.NODE):
        assert metric.label, metric
        assert metric.unit, metric
        assert metric.format in formats, metric
    assert metric_names.PERCENTILES == ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "p999_ms")
