"""One run's state between ticks: the engine, the recording, and the control rules.

No I/O and no clock: the runner (`runner.py`) paces it and publishes what it
returns, and the tests drive it one tick at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.live.models import SERIES_COLUMNS, RunStatus
from sandbox.live.protocol import ENGINE_ACTIONS
from simulation import ControlError, Engine

# Frame keys of the global metrics recorded per tick (the export's columns).
_GLOBAL_KEYS = [c for c in SERIES_COLUMNS if c != "t"]


def record_series(series: dict[str, list[Any]], frame: dict[str, Any]) -> None:
    """Append one frame's global metrics to column-wise `series` (None where absent)."""
    glob = frame.get("global") or {}
    series["t"].append(frame.get("t"))
    for key in _GLOBAL_KEYS:
        series[key].append(glob.get(key))


def series_from_frames(frames: list[dict[str, Any]]) -> dict[str, list[Any]]:
    series: dict[str, list[Any]] = {c: [] for c in SERIES_COLUMNS}
    for frame in frames:
        record_series(series, frame)
    return series


class SessionError(ValueError):
    """A control that does not fit the run's state; the text says why."""


@dataclass
class ControlOutcome:
    events: list[dict[str, Any]] = field(default_factory=list)
    status_changed: bool = False


class RunSession:
    """Owns the engine of one run and everything recorded from it."""

    def __init__(self, engine: Engine, *, tick_s: float, speed: float) -> None:
        self.engine = engine
        self.tick_s = tick_s
        self.speed = speed
        self.status = RunStatus.STARTING
        self.reason = ""
        self.frames: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.series: dict[str, list[Any]] = {c: [] for c in SERIES_COLUMNS}
        self.auto_paused = False
        # Events of controls since the last tick: recorded (and sent) when applied.
        self._announced = 0

    @property
    def ticking(self) -> bool:
        return self.status == RunStatus.RUNNING

    @property
    def ended(self) -> bool:
        return self.status in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.STOPPED)

    @property
    def last_tick(self) -> int:
        return self.frames[-1]["tick"] if self.frames else -1

    def frames_since(self, tick: int) -> list[dict[str, Any]]:
        """The recorded frames after `tick` (ticks are consecutive from 0)."""
        start = max(0, tick + 1 - (self.frames[0]["tick"] if self.frames else 0))
        return self.frames[start:]

    def step(self) -> dict[str, Any]:
        """Advance one tick; record and return its frame (JSON-ready).

        The frame lists every event of its tick; `self.events` gets only those not
        recorded yet (a control's events were recorded when it was applied).
        """
        if not self.ticking:
            raise SessionError(f"the run is {self.status}, not running")
        frame = self.engine.step().to_json()
        self.frames.append(frame)
        # The engine puts the events of controls applied between ticks first.
        self.events.extend((frame.get("events") or [])[self._announced :])
        self._announced = 0
        record_series(self.series, frame)
        if self.engine.finished:
            self.status = RunStatus.FINISHED
        return frame

    def control(self, control: dict[str, Any], *, by: str = "") -> ControlOutcome:
        """Apply a checked control (see `protocol.ACTIONS`); SessionError if it cannot apply."""
        action = control["action"]
        if self.ended:
            raise SessionError(f"{action}: the run has already {self.status}")
        if action in ENGINE_ACTIONS:
            try:
                events = self.engine.apply(control)
            except ControlError as exc:
                raise SessionError(f"{action}: {exc}") from exc
            # Recorded now, so viewers see them at once, even while the run is paused.
            events = [dict(e) for e in events or ()]
            self.events.extend(events)
            self._announced += len(events)
            return ControlOutcome(events=events)
        return self._steer(action, control, by)

    def _steer(self, action: str, control: dict[str, Any], by: str) -> ControlOutcome:
        if action == "start":
            if self.status != RunStatus.STARTING:
                raise SessionError(f"start: the run is already {self.status}")
            self.status = RunStatus.RUNNING
        elif action == "pause":
            if self.status != RunStatus.RUNNING:
                raise SessionError(f"pause: the run is {self.status}, not running")
            self.status = RunStatus.PAUSED
            self.reason = f"paused by {by}" if by else "paused"
            self.auto_paused = False
        elif action == "resume":
            if self.status not in (RunStatus.PAUSED, RunStatus.STARTING):
                raise SessionError(f"resume: the run is {self.status}, not paused")
            self.status = RunStatus.RUNNING
            self.reason = ""
            self.auto_paused = False
        elif action == "speed":
            self.speed = control["value"]
        elif action == "stop":
            self.stop(f"stopped by {by}" if by else "stopped")
        else:  # the protocol table and this method must list the same actions
            raise SessionError(f"{action}: not a runner action")
        return ControlOutcome(status_changed=True)

    def pause_idle(self) -> None:
        self.status = RunStatus.PAUSED
        self.reason = "paused: nobody is watching"
        self.auto_paused = True

    def resume_idle(self) -> bool:
        """Resume a run paused for lack of viewers; True if it did."""
        if self.auto_paused and self.status == RunStatus.PAUSED:
            self.status = RunStatus.RUNNING
            self.reason = ""
            self.auto_paused = False
            return True
        return False

    def stop(self, reason: str) -> None:
        self.status = RunStatus.STOPPED
        self.reason = reason

    def fail(self, reason: str) -> None:
        self.status = RunStatus.FAILED
        self.reason = reason

    def report(self) -> dict[str, Any] | None:
        """The engine's report, or None if the engine cannot give one (it crashed)."""
        if self.status == RunStatus.FAILED:
            return None
        return self.engine.report()

    def state(self) -> dict[str, Any]:
        """The run's steering state as viewers see it."""
        return {
            "status": str(self.status),
            "reason": self.reason,
            "speed": "max" if self.speed == 0 else self.speed,
            "tick": self.last_tick,
        }
