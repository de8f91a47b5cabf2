"""The live protocol's client messages: the table of allowed actions and their checks.

Every message a viewer sends goes through `parse_message`; anything not in
`ACTIONS`, or with a field out of range, raises `ControlError` naming the
field, and the consumer answers with an `error` frame. The checks come from the
two control tables: `steering.STEERING` and `simulation.control_table.CONTROLS`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox import jsontext
from sandbox.live.steering import STEERING, SpeedLimits
from simulation import CONTROLS, ControlError

MAX_MESSAGE_BYTES = 4096
# The newest events a joining viewer gets in `hello` (its event log shows no more).
HELLO_EVENTS = 500
# The newest ticks of the charts' numbers a `hello` carries (about 100 kB); the page
# fetches older ones from `series.json`, so no greeting grows with the run.
HELLO_SERIES_TICKS = 1_000


# The engine controls a viewer may send, and the number fields each takes from the socket
# (checked by the control table's own field records). The engine takes more controls and
# fields (scheduled faults): the socket lets only these through.
SOCKET_FIELDS: dict[str, tuple[str, ...]] = {
    "set_rate": ("rps",),
    "fail": ("count",),
    "recover": (),
    "scale": ("instances",),
    "flush": (),
    "spike": ("rps", "duration_s"),
}
# Fields a message may leave out (the engine's default applies: every instance fails).
OPTIONAL_FIELDS = {("fail", "count")}
MAX_INSTANCES = int(CONTROLS["scale"].field("instances").hi)
MAX_RPS = int(CONTROLS["set_rate"].field("rps").hi)


def _target(msg: dict[str, Any]) -> str:
    target = msg.get("target")
    # Ids are printable; a lone surrogate (JSON can escape one) is not, and the Redis
    # channel layer could not even pack it to pass the control on to the runner.
    if not isinstance(target, str) or not 0 < len(target) <= 100 or not target.isprintable():
        raise ControlError(f"{msg['action']}.target", "must be a component id (a short string)")
    return target


def _engine_control(msg: dict[str, Any], limits: SpeedLimits) -> dict[str, Any]:
    action = msg["action"]
    out = {"action": action, "target": _target(msg)}
    for name in SOCKET_FIELDS[action]:
        number = CONTROLS[action].field(name)
        value = msg.get(name)
        if value is None and (action, name) in OPTIONAL_FIELDS:
            continue
        if not number.fits(value):
            raise ControlError(f"{action}.{name}", number.rule)
        out[name] = number.normal(value)
    return out


MAX_PARAM_NAME = 64


def _set_param(msg: dict[str, Any], limits: SpeedLimits) -> dict[str, Any]:
    """A parameter change: its name and a JSON scalar here; whether the component has
    that parameter and the value fits it is the engine's check (control_table)."""
    name = msg.get("param")
    if not isinstance(name, str) or not 0 < len(name) <= MAX_PARAM_NAME or not name.isprintable():
        raise ControlError("set_param.param", "must be a parameter's name (a short string)")
    value = msg.get("value")
    scalar = value is None or isinstance(value, (bool, int, float))
    short_text = isinstance(value, str) and len(value) <= MAX_PARAM_NAME and value.isprintable()
    if not scalar and not short_text:
        raise ControlError("set_param.value", "must be a number, true/false, null or a short text")
    return {"action": "set_param", "target": _target(msg), "param": name, "value": value}


# The only actions a client may send; each entry checks and normalises its fields.
ACTIONS: dict[str, Callable[[dict[str, Any], SpeedLimits], dict[str, Any]]] = {
    **{action: steering.read for action, steering in STEERING.items()},
    **dict.fromkeys(SOCKET_FIELDS, _engine_control),
    "set_param": _set_param,
}

# Actions the engine itself applies (the others steer the runner).
ENGINE_ACTIONS = frozenset(CONTROLS)


def parse_message(text: str | None, limits: SpeedLimits) -> dict[str, Any]:
    """Check one client text message and return the normalised control."""
    if text is None:
        raise ControlError("message", "must be a JSON text frame, not binary")
    # Servers refuse text frames that are not UTF-8, but the consumer may be called
    # directly: a lone surrogate is counted, not a crash.
    if len(text.encode(errors="surrogatepass")) > MAX_MESSAGE_BYTES:
        raise ControlError("message", f"longer than {MAX_MESSAGE_BYTES} bytes")
    try:
        msg = jsontext.loads(text)
    except jsontext.JSONTextError as exc:
        raise ControlError("message", f"not valid JSON ({exc})") from exc
    if not isinstance(msg, dict):
        raise ControlError("message", "must be a JSON object")
    action = msg.get("action")
    if not isinstance(action, str):
        raise ControlError("action", "missing; one of " + ", ".join(ACTIONS))
    check = ACTIONS.get(action)
    if check is None:
        raise ControlError(
            "action", f"unknown action {action[:40]!r}; one of " + ", ".join(ACTIONS)
        )
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
