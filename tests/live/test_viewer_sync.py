"""A viewer's sync state (`ViewerSync`), driven message by message without a socket."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.live.viewer_sync import Close, FlushLater, HelloLimits, ViewerSync

VIEWING = {
    "id": "run-1",
    "owner": "alice",
    "is_owner": True,
    "design_name": "Two web servers",
    "scenario_name": "custom",
    "scenario": {"duration_s": 60},
    "seed": 1,
    "speed": 1.0,
}
LIMITS = HelloLimits(max_speed=64, allow_max=True, max_fps=10)


class Clock:
    """A clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def viewer(since: int = -1, **options: Any) -> tuple[ViewerSync, Clock]:
    clock = Clock()
    return ViewerSync(VIEWING, since=since, limits=LIMITS, clock=clock, **options), clock


def series(*ticks: int) -> dict[str, list[Any]]:
    return {"tick": list(ticks), "t": [float(t) for t in ticks]}


def sync_message(*ticks: int, event_count: int = 0, **state: Any) -> dict[str, Any]:
    return {
        "type": "run.sync",
        "series": series(*ticks),
        "frame": {"tick": ticks[-1]} if ticks else None,
        "events": [],
        "event_count": event_count,
        "state": {"status": "running", "reason": "", "speed": 2.0, **state},
    }


def frame(tick: int, *events: dict[str, Any]) -> dict[str, Any]:
    return {"type": "run.frame", "tick": tick, "events": list(events), "text": f"frame {tick}"}


def event(seq: int) -> dict[str, Any]:
    return {"type": "run.event", "seq": seq, "event": {"n": seq}}


BOTTLENECK = {"component": "web", "at_s": 3.0, "text": "Web saturated at 3 s"}


def ended(tick: int, reason: str = "", **fields: Any) -> dict[str, Any]:
    return {
        "type": "run.ended",
        "status": "finished",
        "reason": reason,
        "summary": {"served": 1},
        "bottlenecks": [BOTTLENECK],
        "checks": [],
        "warmup_cut_short": False,
        "summary_note": None,
        "tick": tick,
        **fields,
    }


def recording(*ticks: int, active: bool, event_count: int = 0) -> dict[str, Any]:
    return {
        "series": series(*ticks),
        "frame": None,
        "events": [],
        "event_count": event_count,
        "status": "running" if active else "finished",
        "reason": "",
        "summary": None if active else {"served": 1},
        "bottlenecks": [] if active else [BOTTLENECK],
        "checks": [],
        "warmup_cut_short": not active,
        "summary_note": None if active else "cut short",
        "active": active,
    }


def test_the_first_hello_tells_the_run_its_state_and_the_limits() -> None:
    """The runner's `run.sync` becomes the `hello`: the run as the viewer may see it, the
    runner's state, and the newest tick the viewer now has."""
    sync, _ = viewer()
    [hello] = sync.synced(sync_message(1, 2, 3, event_count=4))
    assert hello == {
        "type": "hello",
        "run": {
            "id": "run-1",
            "owner": "alice",
            "is_owner": True,
            "design_name": "Two web servers",
            "scenario_name": "custom",
            "scenario": {"duration_s": 60},
            "seed": 1,
            "status": "running",
            "reason": "",
            "speed": 2.0,
            "tick": 3,
        },
        "limits": {"max_speed": 64, "allow_max": True, "max_fps": 10},
        "series": series(1, 2, 3),
        "frame": {"tick": 3},
        "events": [],
    }
    assert (sync.syncing, sync.last_tick, sync.events_seen) == (False, 3, 4)


def test_a_hello_without_a_speed_shows_the_runs_stored_speed() -> None:
    sync, _ = viewer()
    message = sync_message()
    del message["state"]["speed"], message["state"]["reason"]
    [hello] = sync.synced(message)
    assert (hello["run"]["speed"], hello["run"]["reason"], hello["run"]["tick"]) == (1.0, "", -1)


def test_a_second_sync_answer_is_ignored() -> None:
    """The viewer asks again while the runner starts: only the first answer greets it."""
    sync, _ = viewer()
    sync.synced(sync_message(1))
    assert sync.synced(sync_message(1, 2)) == []


def test_what_comes_before_the_hello_is_held_then_replayed_in_order() -> None:
    """Frames, events and statuses wait for the greeting; frames it already covers are
    dropped, the rest follow it in the order they came."""
    sync, _ = viewer()
    status = {"type": "run.status", "status": "paused", "reason": "", "speed": 2.0, "tick": 4}
    handler = {"run.frame": sync.frame, "run.event": sync.event, "run.status": sync.status}
    for message in (frame(2), event(0), frame(4), status):
        assert handler[message["type"]](message) == []
    out = sync.synced(sync_message(1, 2))
    assert out[1:] == [
        {"type": "event", "event": {"n": 0}},
        "frame 4",
        {"type": "status", "status": "paused", "reason": "", "speed": 2.0, "tick": 4},
    ]
    assert sync.held == []


def test_ticks_in_order_each_send_their_events_then_their_frame() -> None:
    """At most `max_fps` frames a second: ticks far enough apart each go out at once."""
    sync, clock = viewer()
    sync.synced(sync_message())
    assert sync.frame(frame(1, {"n": 0})) == [{"type": "event", "event": {"n": 0}}, "frame 1"]
    clock.now += 0.1
    assert sync.frame(frame(2)) == ["frame 2"]
    assert sync.last_tick == 2


def test_a_frame_at_or_before_the_last_tick_is_dropped_with_its_events() -> None:
    sync, clock = viewer()
    sync.synced(sync_message(1, 2, 3))
    assert sync.frame(frame(3, {"n": 9})) == []
    assert sync.frame(frame(2)) == []
    clock.now += 1
    assert sync.frame(frame(4)) == ["frame 4"]


def test_ticks_the_runner_skipped_are_no_gap_to_fill() -> None:
    """The runner publishes only some frames when the run is faster than viewers: the
    next frame is shown as it is, with no resync (the charts come from the series)."""
    sync, clock = viewer()
    sync.synced(sync_message(1))
    clock.now += 1
    assert sync.frame(frame(7)) == ["frame 7"]
    assert sync.last_tick == 7


def test_a_reconnecting_viewer_resumes_after_the_tick_it_has() -> None:
    """With `?since=5` and nothing newer in the hello, frames up to 5 are not sent again."""
    sync, clock = viewer(since=5)
    [hello] = sync.synced(sync_message())
    assert hello["run"]["tick"] == 5
    assert sync.frame(frame(5)) == []
    clock.now += 1
    assert sync.frame(frame(6)) == ["frame 6"]


def test_a_slow_viewer_gets_the_newest_frame_never_a_backlog() -> None:
    """Frames closer together than 1/max_fps: one flush is scheduled for the rest of the
    interval, and it sends only the newest frame; events are never held back."""
    sync, clock = viewer()
    sync.synced(sync_message())
    assert sync.frame(frame(1)) == ["frame 1"]
    clock.now += 0.02
    [flush] = sync.frame(frame(2))
    assert isinstance(flush, FlushLater)
    assert flush.seconds == pytest.approx(0.08)
    clock.now += 0.02
    assert sync.frame(frame(3, {"n": 0})) == [{"type": "event", "event": {"n": 0}}]
    clock.now += 0.06
    assert sync.flush_due() == ["frame 3"]
    assert sync.flush_due() == []
    assert sync.last_sent_at == clock.now


def test_a_control_event_the_hello_counted_is_not_sent_again() -> None:
    sync, _ = viewer()
    sync.synced(sync_message(event_count=2))
    assert sync.event(event(1)) == []
    assert sync.event(event(2)) == [{"type": "event", "event": {"n": 2}}]
    assert sync.events_seen == 3


def test_the_end_sends_the_last_frame_then_ended_then_closes_once() -> None:
    """A frame still waiting goes out before `ended`; told twice (runner and sweep), the
    viewer hears it once."""
    sync, clock = viewer()
    sync.synced(sync_message())
    sync.frame(frame(1))
    clock.now += 0.01
    sync.frame(frame(2))
    assert sync.end(ended(2)) == [
        "frame 2",
        {
            "type": "ended",
            "status": "finished",
            "reason": "",
            "summary": {"served": 1},
            "bottlenecks": [BOTTLENECK],
            "checks": [],
            "warmup_cut_short": False,
            "summary_note": None,
            "tick": 2,
        },
        Close(1000),
    ]
    assert sync.end(ended(2)) == []


def test_the_end_passes_on_what_the_summary_covers() -> None:
    """The flag and the sentence of a run cut short during its warm-up reach the viewer;
    a runner's message without them (an older version, mid-deploy) reads as not cut short."""
    sync, _ = viewer()
    sync.synced(sync_message())
    note = "The run ended at 12 s, before its 30-s warm-up was over."
    out = sync.end(ended(12, warmup_cut_short=True, summary_note=note))
    assert (out[0]["warmup_cut_short"], out[0]["summary_note"]) == (True, note)
    older = ended(12)
    del older["warmup_cut_short"], older["summary_note"]
    sync, _ = viewer()
    sync.synced(sync_message())
    out = sync.end(older)
    assert (out[0]["warmup_cut_short"], out[0]["summary_note"]) == (False, None)


def test_an_unanswered_control_is_reported_before_the_end() -> None:
    error = {"type": "error", "action": "fail", "error": "fail: the run has already finished"}
    sync, _ = viewer(unanswered=lambda message: error)
    sync.synced(sync_message())
    out = sync.end(ended(0))
    assert out[0] == error
    assert out[1]["type"] == "ended"


def test_an_end_before_the_hello_is_replayed_after_it_asking_then_if_unanswered() -> None:
    """Whether a control went unanswered is decided when the end is replayed, not when
    it arrived (the runner's `run.sync` in between counts as an answer)."""
    asked = ["fail"]
    sync, _ = viewer(unanswered=lambda message: {"error": asked.pop()} if asked else None)
    assert sync.end(ended(3)) == []
    asked.clear()
    out = sync.synced(sync_message(1, 2, 3))
    assert [item["type"] if isinstance(item, dict) else item for item in out] == [
        "hello",
        "ended",
        Close(1000),
    ]


def test_a_live_run_greeted_from_its_recording_goes_on_with_what_was_held() -> None:
    """No runner answered in time: the hello comes from the database, and the socket
    stays open for the runner's frames."""
    sync, _ = viewer()
    sync.frame(frame(3))
    out = sync.recorded(recording(1, 2, active=True, event_count=1))
    assert out[0]["type"] == "hello"
    assert out[0]["run"]["tick"] == 2
    assert out[1:] == ["frame 3"]
    assert (sync.syncing, sync.events_seen) == (False, 1)


def test_a_run_over_is_greeted_from_its_recording_and_ended() -> None:
    sync, _ = viewer()
    out = sync.recorded(recording(1, 2, active=False))
    assert out[0]["type"] == "hello"
    assert out[0]["run"]["status"] == "finished"
    assert out[1:] == [
        {
            "type": "ended",
            "status": "finished",
            "reason": "",
            "summary": {"served": 1},
            "bottlenecks": [BOTTLENECK],
            "checks": [],
            "warmup_cut_short": True,
            "summary_note": "cut short",
            "tick": 2,
        },
        Close(1000),
    ]
