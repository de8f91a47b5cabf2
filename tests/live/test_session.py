"""The run's state between ticks, driven one tick at a time with the real engine."""

from __future__ import annotations

import pytest

from sandbox.live.models import SERIES_COLUMNS, RunStatus
from sandbox.live.session import RunSession, SessionError, series_from_frames
from simulation import Engine, validate_scenario
from tests.live.conftest import two_web_servers


def new_session(duration_s: float = 30, speed: float = 1.0) -> RunSession:
    document = two_web_servers()
    scenario = validate_scenario({"duration_s": duration_s}, document)
    return RunSession(Engine(document, scenario, seed=3), tick_s=1.0, speed=speed)


def test_a_run_ticks_only_after_start() -> None:
    session = new_session()
    assert session.status == RunStatus.STARTING
    with pytest.raises(SessionError, match="not running"):
        session.step()
    session.control({"action": "start"})
    assert session.status == RunStatus.RUNNING


def test_each_step_records_one_frame_in_tick_order() -> None:
    session = new_session()
    session.control({"action": "start"})
    frames = [session.step() for _ in range(4)]
    assert [f["tick"] for f in frames] == [frames[0]["tick"] + i for i in range(4)]
    assert session.frames == frames
    assert session.last_tick == frames[-1]["tick"]
    assert set(frames[-1]["nodes"]) >= {"users", "lb", "web-1", "web-2", "db"}
    assert len(session.series["t"]) == 4
    assert session.series == series_from_frames(frames)
    assert set(session.series) == set(SERIES_COLUMNS)


def test_frames_since_gives_only_the_newer_frames() -> None:
    session = new_session()
    session.control({"action": "start"})
    frames = [session.step() for _ in range(5)]
    assert session.frames_since(frames[2]["tick"]) == frames[3:]
    assert session.frames_since(-1) == frames
    assert session.frames_since(frames[-1]["tick"]) == []


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
    with pytest.raises(SessionError, match=r"^fail: "):
        session.control({"action": "fail", "target": "no-such-node"})
    assert session.status == RunStatus.RUNNING
    session.step()
    assert len(session.frames) == 2


def test_pause_stops_ticking_until_resume() -> None:
    session = new_session()
    session.control({"action": "start"})
    session.control({"action": "pause"}, by="alice")
    assert session.reason == "paused by alice"
    with pytest.raises(SessionError):
        session.step()
    with pytest.raises(SessionError, match="pause: the run is paused"):
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
    assert len(session.frames) == 5
    report = session.report()
    assert set(report["summary"]) >= {"availability", "error_rate", "latency_ms"}
    with pytest.raises(SessionError, match="already finished"):
        session.control({"action": "pause"})


def test_a_stopped_run_takes_no_more_controls() -> None:
    session = new_session()
    session.control({"action": "start"})
    session.step()
    session.control({"action": "stop"}, by="alice")
    assert session.status == RunStatus.STOPPED
    assert session.reason == "stopped by alice"
    with pytest.raises(SessionError, match="already stopped"):
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
    session = RunSession(Engine(document, scenario, seed=3), tick_s=1.0, speed=1.0)
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
