"""A run's end as its viewers get it: the engine report's summary and checks, and a
sentence when the summary covers something else than the ticks after the warm-up."""

from __future__ import annotations

from typing import Any

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext

from simulation.bottlenecks import describe_bottleneck


def end_fields(report: dict[str, Any] | None) -> dict[str, Any]:
    """The `summary`, `bottlenecks`, `checks`, `warmup_cut_short` and `summary_note` of a
    run's `ended` message, from the engine's report (None when the engine gave none)."""
    report = report or {}
    return {
        "summary": report.get("summary"),
        "bottlenecks": bottlenecks(report),
        "checks": report.get("checks", []),
        "warmup_cut_short": bool(report.get("warmup_cut_short")),
        "summary_note": summary_note(report),
    }


def bottlenecks(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The components that limited the run, in the order they saturated: each one's id,
    the time, and the sentence a person reads (in the active language)."""
    return [
        {
            "component": item["component"],
            "at_s": item["at_s"],
            "text": describe_bottleneck(item["params"], gettext),
        }
        for item in report.get("bottlenecks") or []
    ]


def summary_note(report: dict[str, Any]) -> str | None:
    """What the summary covers, said when it is not the ticks after the warm-up."""
    if report.get("warmup_cut_short"):
        return gettext(
            "The run ended at %(ended)s s, before its %(warmup)s-s warm-up was over: "
            "these numbers cover the whole run, warm-up included."
        ) % {"ended": _seconds(report["duration_s"]), "warmup": _seconds(report["warmup_s"])}
    if report.get("ticks") == 0 and report.get("summary") is not None:
        return gettext("The run ended before its first tick: there are no numbers to summarise.")
    return None


def _seconds(value: float) -> str:
    return floatformat(value, -1)  # 12.0 -> "12", 1.25 -> "1.3", in the active locale
