"""What a run's end tells its viewers about its summary (`sandbox.live.summary`)."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.live.summary import end_fields
from simulation import Engine

from .conftest import two_web_servers

CUT_SHORT = (
    "The run ended at 12 s, before its 30-s warm-up was over: "
    "these numbers cover the whole run, warm-up included."
)


def report_after(ticks: int, **scenario: Any) -> dict[str, Any]:
    engine = Engine(two_web_servers(), {"duration_s": 600, "warmup_s": 30, **scenario})
    for _ in range(ticks):
        engine.step()
    return engine.report()


def test_a_run_ended_during_its_warm_up_is_said_so_with_its_numbers() -> None:
    fields = end_fields(report_after(12))
    assert fields["warmup_cut_short"] is True
    assert fields["summary_note"] == CUT_SHORT
    assert fields["summary"]["offered_rps"] == pytest.approx(500.0)


def test_fractions_of_a_second_are_kept_in_the_sentence() -> None:
    """Ticks of 0.1 s: 1.3 s of a 2.5-s warm-up, not "1 s" of "2"."""
    note = end_fields(report_after(13, tick_s=0.1, warmup_s=2.5))["summary_note"]
    assert note.startswith("The run ended at 1.3 s, before its 2.5-s warm-up was over")


def test_a_run_past_its_warm_up_has_no_sentence() -> None:
    fields = end_fields(report_after(31))
    assert (fields["warmup_cut_short"], fields["summary_note"]) == (False, None)


def test_a_run_of_no_tick_says_there_is_nothing_to_summarise() -> None:
    fields = end_fields(report_after(0))
    assert fields["warmup_cut_short"] is False
    assert fields["summary_note"] == (
        "The run ended before its first tick: there are no numbers to summarise."
    )


def test_a_run_without_a_report_has_no_summary_and_no_sentence() -> None:
    """The engine crashed: nothing to summarise, and nothing said about it here (the run's
    reason says why)."""
    assert end_fields(None) == {
        "summary": None,
        "bottlenecks": [],
        "checks": [],
        "warmup_cut_short": False,
        "summary_note": None,
    }


def test_the_end_lists_the_bottlenecks_by_name_in_the_order_they_saturated() -> None:
    """Two web servers of 400 req/s each get 1,000 req/s between them: both saturate
    on the first tick, named as the owner labelled them, with their numbers."""
    engine = Engine(two_web_servers(rps=1000), {"duration_s": 600, "warmup_s": 0})
    for _ in range(3):
        engine.step()
    fields = end_fields(engine.report())
    assert [b["component"] for b in fields["bottlenecks"]] == ["web-1", "web-2"]
    assert fields["bottlenecks"][0]["text"] == (
        "Web 1 saturated at 1 s: offered 500 req/s against a capacity of 400 req/s, "
        "while 1,000 req/s entered the system."
    )
    assert end_fields(report_after(3))["bottlenecks"] == []
