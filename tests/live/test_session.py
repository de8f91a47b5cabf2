"""The run's state between ticks, driven one tick at a time with the real engine."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sandbox.live.models import SERIES_COLUMNS, RunStatus
from sandbox.live.session import RunSession, SessionLimits, series_from_frames
from sandbox.live.wire import FrameCodec
from simulation import ControlError, Engine, validate_scenario
from tests.live.conftest import two_web_servers


def new_session(
    duration_s: float = 30,
    speed: float = 1.0,
    scenario: dict[str, Any] | None = None,
    **limits: Any,
) -> RunSession:
    document = two_web_servers()
    scenario = validate_scenario(scenario or {"duration_s": duration_s}, document)
    return RunSession(
        Engine(document, scenario, seed=3),
        codec=FrameCodec(document),
        tick_s=1.0,
        speed=speed,
        limits=SessionLimits(**limits),
    )


def test_a_run_ticks_only_after_start() -> None:
    session = new_session()
    assert session.status == RunStatus.STARTING
    with pytest.raises(ControlError, match="not running"):
        session.step()
    session.control({"action": "start"})
    assert session.status == RunStatus.RUNNING


def test_each_step_records_one_frame_in_tick_order() -> None:
    session = new_session()
    session.control({"action": "start"})
    frames = [session.step() for _ in range(4)]
    assert [f["tick"] for f in frames] == [frames[0]["tick"] + i for i in range(4)]
    assert [t.tick for t in session.window] == [f["tick"] for f in frames]
    assert session.last_tick == frames[-1]["tick"]
    assert set(frames[-1]["nodes"]) >= {"users", "lb", "web-1", "web-2", "db"}
    codec = FrameCodec(two_web_servers())
    assert [json.loads(t.wire) for t in session.window] == [codec.encode(f) for f in frames]
    rows = session.series.rows_after(-1)
    assert rows == {"tick": [f["tick"] for f in frames], **series_from_frames(frames)}
    assert set(rows) == {"tick", *SERIES_COLUMNS}


def test_the_series_after_a_tick_gives_only_the_newer_ticks() -> None:
    session = new_session()
    session.control({"action": "start"})
    ticks = [session.step()["tick"] for _ in range(5)]
    assert session.series.rows_after(ticks[2])["tick"] == ticks[3:]
    assert session.series.rows_after(-1, at_most=2)["tick"] == ticks[3:]
    assert session.series.rows_after(ticks[-1])["tick"] == []


def test_only_the_newest_frames_stay_in_memory() -> None:
    """The window is bounded; the charts' numbers of every tick stay (8 bytes a number)."""
    session = new_session(window=3)
    session.control({"action": "start"})
    ticks = [session.step()["tick"] for _ in range(10)]
    assert [t.tick for t in session.window] == ticks[-3:]
    assert len(session.series) == 10
    assert session.series.nbytes == 10 * 14 * 8  # tick, t and 12 global metrics


def test_only_the_newest_charts_numbers_stay_in_memory() -> None:
    """Between `series_window` and twice as many ticks; older ones are in the recording."""
    session = new_session(duration_s=100, series_window=5)
    session.control({"action": "start"})
    ticks = [session.step()["tick"] for _ in range(23)]
    assert session.ticks == 23
    kept = session.series.rows_after(-1)["tick"]
    assert kept == ticks[-len(kept) :]
    assert 5 <= len(kept) < 10
    assert session.series.rows_after(-1, at_most=3)["tick"] == ticks[-3:]


def test_a_run_stops_at_its_tick_limit_with_a_message() -> None:
    session = new_session(max_ticks=5)
    session.control({"action": "start"})
    while session.ticking:
        session.step()
    assert session.ticks == 5
    assert session.status == RunStatus.STOPPED
    assert session.reason == (
        "stopped: this run reached its limit of 5 ticks; export it or start a new one"
    )


def test_events_past_the_limit_are_counted_not_kept() -> None:
    faults = [{"at": at, "target": "web-1", "action": a} for at, a in ((2, "fail"), (4, "recover"))]
    session = new_session(scenario={"duration_s": 30, "faults": faults}, max_events=1)
    session.control({"action": "start"})
    for _ in range(6):
        session.step()
    assert len(session.events) == 1
    assert session.event_count >= 2
    assert session.events_dropped == session.event_count - 1


def test_a_big_frame_is_recorded_every_few_ticks_and_at_every_event() -> None:
    faults = [{"at": 3, "target": "web-1", "action": "fail"}]
    session = new_session(scenario={"duration_s": 30, "faults": faults}, record_bytes_per_tick=200)
    session.control({"action": "start"})
    for _ in range(8):
        session.step()
    ticks = session.take_unsaved()
    assert session.frame_step == len(ticks[0].wire) // 200 > 1
    kept = [t.tick for t in ticks if session.keeps_frame(t)]
    with_events = [t.tick for t in ticks if t.events]
    assert set(with_events) <= set(kept)
    assert set(kept) - set(with_events) == {
        t.tick for t in ticks if t.tick % session.frame_step == 0
    }
    assert session.unsaved == []


def test_failing_a_web_server_shows_in_the_next_frame() -> None:
    session = new_session()
    session.control({"action": "start"})
    before = session.step()
    assert before["nodes"]["web-1"]["health"] != "down"
    outcome = session.control({"action": "fail", "target": "web-1"})
    after = session.step()
    assert after["nodes"]["web-1"]["health"] == "down"
    assert after["nodes"]["web-1"]["served"] == 0
    assert outcome.events or after["events"], "a failure is reported as an event"


def test_a_control_the_engine_refuses_keeps_the_run_going() -> None:
    session = new_session()
    session.control({"action": "start"})
    session.step()
    with pytest.raises(ControlError, match=r"^fail: "):
        session.control({"action": "fail", "target": "no-such-node"})
    assert session.status == RunStatus.RUNNING
    session.step()
    assert session.ticks == 2


def test_pause_stops_ticking_until_resume() -> None:
    session = new_session()
    session.control({"action": "start"})
    session.control({"action": "pause"}, by="alice")
    assert session.reason == "paused by alice"
    with pytest.raises(ControlError):
        session.step()
    with pytest.raises(ControlError, match="pause: the run is paused"):
        session.control({"action": "pause"})
    session.control({"action": "resume"})
    session.step()
    assert session.status == RunStatus.RUNNING


def test_speed_changes_the_pacing_only() -> None:
    session = new_session()
    session.control({"action": "speed", "value": 0.0})
    assert session.state()["speed"] == "max"
    session.control({"action": "speed", "value": 10.0})
    assert session.state()["speed"] == 10.0


def test_the_run_finishes_at_the_scenario_duration_with_a_report() -> None:
    session = new_session(duration_s=5)
    session.control({"action": "start"})
    while session.ticking:
        session.step()
    assert session.status == RunStatus.FINISHED
    assert session.ticks == 5
    report = session.report()
    assert set(report["summary"]) >= {"availability", "error_rate", "latency_ms"}
    with pytest.raises(ControlError, match="already finished"):
        session.control({"action": "pause"})


def test_a_stopped_run_takes_no_more_controls() -> None:
    session = new_session()
    session.control({"action": "start"})
    session.step()
    session.control({"action": "stop"}, by="alice")
    assert session.status == RunStatus.STOPPED
    assert session.reason == "stopped by alice"
    with pytest.raises(ControlError, match="already stopped"):
        session.control({"action": "fail", "target": "web-1"})


def test_idle_pause_resumes_only_when_it_was_automatic() -> None:
    session = new_session()
    session.control({"action": "start"})
    session.pause_idle()
    assert session.status == RunStatus.PAUSED
    assert session.resume_idle() is True
    session.control({"action": "pause"})
    assert session.resume_idle() is False
    assert session.status == RunStatus.PAUSED


def test_a_controls_events_are_recorded_when_applied_and_only_once() -> None:
    """Even while paused; the next frame still lists them among its tick's events."""
    document = two_web_servers()
    scenario = validate_scenario(
        {"duration_s": 30, "faults": [{"at": 2, "target": "web-2", "action": "fail"}]}, document
    )
    session = RunSession(
        Engine(document, scenario, seed=3), codec=FrameCodec(document), tick_s=1.0, speed=1.0
    )
    session.control({"action": "start"})
    session.step()
    session.step()
    session.control({"action": "pause"})
    outcome = session.control({"action": "fail", "target": "web-1"})
    assert [(e["component"], e["kind"]) for e in outcome.events] == [("web-1", "failed")]
    assert session.events == outcome.events
    session.control({"action": "resume"})
    frame = session.step()
    kinds = [(e["component"], e["kind"]) for e in frame["events"]]
    assert kinds == [("web-1", "failed"), ("web-2", "failed")]
    assert [(e["component"], e["kind"]) for e in session.events] == kinds
