"""One run's state between ticks: the engine, what is kept of it, and the control rules.

No I/O and no clock: the runner (`runner.py`) paces it and publishes what it
returns, and the tests drive it one tick at a time. Whatever grows with the run
is bounded: the newest frames (`window`), the newest ticks of the charts'
numbers in compact columns (`series_window`, `series.py`), the events kept
(`max_events`), the ticks (`max_ticks`); ticks not saved yet wait in `unsaved`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sandbox.live.models import RunStatus
from sandbox.live.series import Series, series_from_frames
from sandbox.live.steering import STEERING
from sandbox.live.ticks import Tick, advance
from sandbox.live.wire import FrameCodec
from simulation import CONTROLS, ControlError, Engine

__all__ = ["RunSession", "SessionLimits", "series_from_frames"]


@dataclass(frozen=True)
class SessionLimits:
    """What one run may grow to (see the `LIVE_MAX_*` settings)."""

    max_ticks: int = 100_000
    max_events: int = 5_000
    # The newest frames kept in memory (a viewer joining gets the newest one).
    window: int = 8
    # The newest ticks of the charts' numbers kept in memory (up to twice as many): at
    # least what a `hello` carries plus what is not saved yet; older ones are read from
    # the recording.
    series_window: int = 2_000
    # A frame is recorded every `frame_step` ticks, chosen from the first frame's size
    # so a recording takes about this many bytes of compact frame text per tick.
    record_bytes_per_tick: int = 8_000


@dataclass
class ControlOutcome:
    events: list[dict[str, Any]] = field(default_factory=list)
    status_changed: bool = False


class RunSession:
    """What the web side keeps of one run, and the rules of its controls.

    `engine` is the run's engine when it ticks in this process (`step()`), or None
    when it ticks in an engine process and the runner hands over each `Tick`
    (`record()`) and each control's events (`applied()`).
    """

    def __init__(
        self,
        engine: Engine | None,
        *,
        codec: FrameCodec,
        tick_s: float,
        speed: float,
        limits: SessionLimits | None = None,
    ) -> None:
        self.engine = engine
        self.codec = codec
        self.tick_s = tick_s
        self.speed = speed
        self.limits = limits or SessionLimits()
        self.status = RunStatus.STARTING
        self.reason = ""
        self.window: deque[Tick] = deque(maxlen=self.limits.window)
        self.series = Series(keep=self.limits.series_window)
        self._ticks = 0
        self.events: list[dict[str, Any]] = []
        # Every event of the run, kept or not (the sequence numbers viewers count).
        self.event_count = 0
        # Ticks to record: the series of each, the frame text of every `frame_step`th.
        self.unsaved: list[Tick] = []
        self.frame_step = 0
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
    def newest(self) -> Tick | None:
        return self.window[-1] if self.window else None

    @property
    def last_tick(self) -> int:
        return self.window[-1].tick if self.window else -1

    @property
    def ticks(self) -> int:
        """Ticks recorded so far (the series in memory may hold only the newest)."""
        return self._ticks

    def step(self) -> dict[str, Any]:
        """Advance the in-process engine one tick; record it and return its full frame."""
        if self.engine is None:
            raise ControlError("", "the run's engine is in an engine process; use record()")
        self.check_ticking()
        tick = self.record(advance(self.engine, self.codec, keep_frame=True))
        frame, tick.frame = tick.frame, None  # the window keeps the compact text only
        return frame

    def record(self, tick: Tick) -> Tick:
        """Keep what is kept of one tick; stop the run at its tick limit.

        The tick lists every event of its frame; `self.events` gets only those not
        recorded yet (a control's events were recorded when it was applied).
        """
        self.window.append(tick)
        self._keep_events(tick.events[self._announced :])
        self._announced = 0
        self.series.append(tick.tick, tick.t, tick.numbers)
        self._ticks += 1
        if not self.frame_step:
            self.frame_step = max(1, len(tick.wire) // self.limits.record_bytes_per_tick)
        self.unsaved.append(tick)
        if tick.finished:
            self.status = RunStatus.FINISHED
        elif self.ticks >= self.limits.max_ticks:
            self.stop(
                f"stopped: this run reached its limit of {self.limits.max_ticks:,} ticks; "
                "export it or start a new one"
            )
        return tick

    def keeps_frame(self, tick: Tick) -> bool:
        """Whether the recording keeps this tick's frame (it keeps every tick's series)."""
        return bool(tick.events) or tick.finished or tick.tick % max(1, self.frame_step) == 0

    def take_unsaved(self) -> list[Tick]:
        unsaved, self.unsaved = self.unsaved, []
        return unsaved

    def _keep_events(self, events: list[dict[str, Any]]) -> None:
        room = self.limits.max_events - len(self.events)
        self.event_count += len(events)
        if room > 0:
            self.events.extend(events[:room])

    @property
    def events_dropped(self) -> int:
        return self.event_count - len(self.events)

    def check_ticking(self) -> None:
        """ControlError unless the run may tick now."""
        if not self.ticking:
            raise ControlError("", f"the run is {self.status}, not running")

    def check_control(self, action: str) -> None:
        if self.ended:
            raise ControlError(action, f"the run has already {self.status}")

    def control(self, control: dict[str, Any], *, by: str = "") -> ControlOutcome:
        """Apply a checked control (see `protocol.ACTIONS`); ControlError if it cannot
        apply, its path naming the action."""
        action = control["action"]
        self.check_control(action)
        steering = STEERING.get(action)
        if steering is not None:
            steering.steer(self, control, by)
            return ControlOutcome(status_changed=True)
        if action not in CONTROLS:
            raise ControlError(action, "not a control")
        if self.engine is None:
            raise ControlError(action, "the engine is in an engine process")
        try:
            events = self.engine.apply(control)
        except ControlError as exc:
            raise ControlError(action, str(exc)) from exc
        return self.applied(events)

    def applied(self, events: list[dict[str, Any]] | None) -> ControlOutcome:
        """Record the events of an engine control (recorded now, so viewers see them at
        once, even while the run is paused)."""
        events = [dict(e) for e in events or ()]
        self._keep_events(events)
        self._announced += len(events)
        return ControlOutcome(events=events)

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
        """The in-process engine's report, or None if it cannot give one (it crashed)."""
        if self.status == RunStatus.FAILED or self.engine is None:
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
