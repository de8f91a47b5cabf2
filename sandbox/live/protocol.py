"""The live protocol's client messages: the table of allowed actions and their checks.

Every message a viewer sends goes through `parse_message`; anything not in
`ACTIONS`, or with a field out of range, raises `ProtocolError` naming the
field, and the consumer answers with an `error` frame.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox import jsontext

MAX_MESSAGE_BYTES = 4096
MAX_INSTANCES = 1000
MAX_RPS = 10_000_000
# The newest events a joining viewer gets in `hello` (its event log shows no more).
HELLO_EVENTS = 500
# The newest ticks of the charts' numbers a `hello` carries (about 100 kB); the page
# fetches older ones from `series.json`, so no greeting grows with the run.
HELLO_SERIES_TICKS = 1_000


class ProtocolError(ValueError):
    """A client message the server refuses; the text says which field and why."""


@dataclass(frozen=True)
class SpeedLimits:
    max_speed: float
    allow_unpaced: bool


def _no_fields(msg: dict[str, Any], limits: SpeedLimits) -> dict[str, Any]:
    return {"action": msg["action"]}


def _target(msg: dict[str, Any]) -> str:
    target = msg.get("target")
    # Ids are printable; a lone surrogate (JSON can escape one) is not, and the Redis
    # channel layer could not even pack it to pass the control on to the runner.
    if not isinstance(target, str) or not 0 < len(target) <= 100 or not target.isprintable():
        raise ProtocolError(f"{msg['action']}.target: must be a component id (a short string)")
    return target


def _number(msg: dict[str, Any], name: str, low: float, high: float) -> float:
    value = msg.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProtocolError(f"{msg['action']}.{name}: must be a number from {low:g} to {high:g}")
    if not low <= value <= high:
        raise ProtocolError(f"{msg['action']}.{name}: must be a number from {low:g} to {high:g}")
    return float(value)


def _fail_or_recover(msg: dict[str, Any], limits: SpeedLimits) -> dict[str, Any]:
    return {"action": msg["action"], "target": _target(msg)}


def _scale(msg: dict[str, Any], limits: SpeedLimits) -> dict[str, Any]:
    target = _target(msg)
    instances = msg.get("instances")
    if isinstance(instances, bool) or not isinstance(instances, int):
        raise ProtocolError(f"scale.instances: must be an integer from 1 to {MAX_INSTANCES}")
    if not 1 <= instances <= MAX_INSTANCES:
        raise ProtocolError(f"scale.instances: must be an integer from 1 to {MAX_INSTANCES}")
    return {"action": "scale", "target": target, "instances": instances}


def _set_rate(msg: dict[str, Any], limits: SpeedLimits) -> dict[str, Any]:
    target = _target(msg)
    rps = _number(msg, "rps", 0, MAX_RPS)
    return {"action": "set_rate", "target": target, "rps": rps}


def _speed(msg: dict[str, Any], limits: SpeedLimits) -> dict[str, Any]:
    value = msg.get("value")
    if value == "max":
        if not limits.allow_unpaced:
            raise ProtocolError(
                f'speed.value: "max" is not allowed here; use a number up to {limits.max_speed:g}'
            )
        return {"action": "speed", "value": 0.0}
    hint = ' or "max"' if limits.allow_unpaced else ""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProtocolError(f"speed.value: must be a number from 1 to {limits.max_speed:g}{hint}")
    if not 1 <= value <= limits.max_speed:
        raise ProtocolError(f"speed.value: must be a number from 1 to {limits.max_speed:g}{hint}")
    return {"action": "speed", "value": float(value)}


# The only actions a client may send; each entry checks and normalises its fields.
ACTIONS: dict[str, Callable[[dict[str, Any], SpeedLimits], dict[str, Any]]] = {
    "start": _no_fields,
    "pause": _no_fields,
    "resume": _no_fields,
    "stop": _no_fields,
    "speed": _speed,
    "set_rate": _set_rate,
    "fail": _fail_or_recover,
    "recover": _fail_or_recover,
    "scale": _scale,
}

# Actions the engine itself applies (the others steer the runner).
ENGINE_ACTIONS = frozenset({"set_rate", "fail", "recover", "scale"})


def parse_message(text: str | None, limits: SpeedLimits) -> dict[str, Any]:
    """Check one client text message and return the normalised control."""
    if text is None:
        raise ProtocolError("message: must be a JSON text frame, not binary")
    # Servers refuse text frames that are not UTF-8, but the consumer may be called
    # directly: a lone surrogate is counted, not a crash.
    if len(text.encode(errors="surrogatepass")) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message: longer than {MAX_MESSAGE_BYTES} bytes")
    try:
        msg = jsontext.loads(text)
    except jsontext.JSONTextError as exc:
        raise ProtocolError(f"message: not valid JSON ({exc})") from exc
    if not isinstance(msg, dict):
        raise ProtocolError("message: must be a JSON object")
    action = msg.get("action")
    if not isinstance(action, str):
        raise ProtocolError("action: missing; one of " + ", ".join(ACTIONS))
    check = ACTIONS.get(action)
    if check is None:
        raise ProtocolError(f"action: unknown action {action[:40]!r}; one of " + ", ".join(ACTIONS))
    return check(msg, limits)


@dataclass
class TokenBucket:
    """At most `rate` messages a second on average, bursts up to `burst`."""

    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    updated: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self.updated = self.clock()

    def allow(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
