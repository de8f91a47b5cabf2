"""Session controls, one record each: how the socket reads it, how it steers the run.

These change the run's pacing and status, not the engine (start, pause, resume,
stop, speed); the engine's controls have their own table,
`simulation.control_table.CONTROLS`. Every refusal is a `ControlError` whose path
names the action or its field.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.live.models import RunStatus
from simulation import ControlError

if TYPE_CHECKING:
    from sandbox.live.session import RunSession

# The speeds a run may be started at or set to (times real time), up to LIVE_MAX_SPEED;
# the run page gets them as page data.
SPEED_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


@dataclass(frozen=True)
class SpeedLimits:
    max_speed: float
    allow_unpaced: bool


def _no_fields(msg: dict[str, Any], limits: SpeedLimits) -> dict[str, Any]:
    return {"action": msg["action"]}


def _read_speed(msg: dict[str, Any], limits: SpeedLimits) -> dict[str, Any]:
    value = msg.get("value")
    if value == "max":
        if not limits.allow_unpaced:
            raise ControlError(
                "speed.value",
                f'"max" is not allowed here; use a number up to {limits.max_speed:g}',
            )
        return {"action": "speed", "value": 0.0}
    hint = ' or "max"' if limits.allow_unpaced else ""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not 1 <= value <= limits.max_speed:
        raise ControlError("speed.value", f"must be a number from 1 to {limits.max_speed:g}{hint}")
    return {"action": "speed", "value": float(value)}


def _start(session: RunSession, control: dict[str, Any], by: str) -> None:
    if session.status != RunStatus.STARTING:
        raise ControlError("start", f"the run is already {session.status}")
    session.status = RunStatus.RUNNING


def _pause(session: RunSession, control: dict[str, Any], by: str) -> None:
    if session.status != RunStatus.RUNNING:
        raise ControlError("pause", f"the run is {session.status}, not running")
    session.status = RunStatus.PAUSED
    session.reason = f"paused by {by}" if by else "paused"
    session.auto_paused = False


def _resume(session: RunSession, control: dict[str, Any], by: str) -> None:
    if session.status not in (RunStatus.PAUSED, RunStatus.STARTING):
        raise ControlError("resume", f"the run is {session.status}, not paused")
    session.status = RunStatus.RUNNING
    session.reason = ""
    session.auto_paused = False


def _stop(session: RunSession, control: dict[str, Any], by: str) -> None:
    session.stop(f"stopped by {by}" if by else "stopped")


def _speed(session: RunSession, control: dict[str, Any], by: str) -> None:
    session.speed = control["value"]


@dataclass(frozen=True)
class Steering:
    """One session control: `read(message, limits)` checks and normalises a viewer's
    message; `steer(session, control, by)` changes the run (ControlError if it cannot)."""

    read: Callable[[dict[str, Any], SpeedLimits], dict[str, Any]]
    steer: Callable[[RunSession, dict[str, Any], str], None]


STEERING: dict[str, Steering] = {
    "start": Steering(_no_fields, _start),
    "pause": Steering(_no_fields, _pause),
    "resume": Steering(_no_fields, _resume),
    "stop": Steering(_no_fields, _stop),
    "speed": Steering(_read_speed, _speed),
}
