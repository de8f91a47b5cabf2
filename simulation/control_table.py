"""Engine controls, one record each: its number fields, what a design allows, how it applies.

``scenario.check_control`` (scheduled faults and live controls) checks a control
with its record, ``Controls.apply`` applies it with its record, and the web
side's socket checks its subset of fields with the record's ``fields``. Adding a
control is one check function, one apply function and one line in ``CONTROLS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .components import KINDS, SIZE_ORDER, kinds_with_role
from .errors import Problem, named
from .fields import field_path, integer, integer_rule, is_integer, is_number, number, number_rule


@dataclass(frozen=True)
class NumberField:
    """A number field of a control from ``lo`` to ``hi`` (``whole``: an integer)."""

    name: str
    lo: float
    hi: float
    whole: bool = False

    @property
    def rule(self) -> str:
        """What a value must be, for messages (``must be a number from 0 to 1e+07``)."""
        if self.whole:
            return integer_rule(int(self.lo), int(self.hi))
        return number_rule(self.lo, self.hi)

    def fits(self, value: Any) -> bool:
        if self.whole:
            return is_integer(value, int(self.lo), int(self.hi))
        return is_number(value, self.lo, self.hi)

    def normal(self, value: Any) -> int | float:
        """A value that fits, as the engine takes it (an int, or a float)."""
        return value if self.whole else float(value)

    def check(self, control: dict, path: str, problems: list[Problem]) -> int | float:
        """The field's value; a missing or bad one is a problem."""
        if self.whole:
            lo, hi = int(self.lo), int(self.hi)
            return integer(control, self.name, lo, lo, hi, path, problems)
        return number(control, self.name, None, self.lo, self.hi, path, problems)


COUNT = NumberField("count", 1, 1000, whole=True)
INSTANCES = NumberField("instances", 1, 1000, whole=True)
RPS = NumberField("rps", 0.0, 10_000_000.0)
MS = NumberField("ms", 0.0, 60000.0)
SPIKE_S = NumberField("duration_s", 0.001, 86400.0)  # a scenario's spikes take the same


def source_kinds() -> str:
    """The names of the kinds that emit traffic, for messages (``client``)."""
    return " or ".join(kinds_with_role("source"))


# -- checks: (control, its component, path, problems) -> the control's checked fields ------
# The target is already known to exist; each check adds what its action needs.


def _check_fail_or_recover(control: dict, comp: dict, path: str, problems: list) -> dict:
    out: dict[str, Any] = {}
    if KINDS[comp["kind"]].role == "source":
        problems.append(
            Problem(field_path(path, "target"), f"{named(comp)} is a {comp['kind']}; use set_rate")
        )
    if control.get("count") is not None:
        out["count"] = COUNT.check(control, path, problems)
    return out


def _check_scale(control: dict, comp: dict, path: str, problems: list) -> dict:
    out: dict[str, Any] = {}
    if "instances" not in comp["params"]:
        problems.append(
            Problem(
                field_path(path, "target"),
                f"{named(comp)} ({comp['kind']}) has no instances to scale",
            )
        )
    if "instances" not in control and "size" not in control:
        problems.append(Problem(path, "give instances (scale out) or size (scale up)"))
    if "instances" in control:
        out["instances"] = INSTANCES.check(control, path, problems)
    if "size" in control:
        if control["size"] not in SIZE_ORDER:
            problems.append(
                Problem(field_path(path, "size"), f"must be one of: {', '.join(SIZE_ORDER)}")
            )
        out["size"] = control["size"]
    return out


def _check_set_rate(control: dict, comp: dict, path: str, problems: list) -> dict:
    if KINDS[comp["kind"]].role != "source":
        problems.append(
            Problem(
                field_path(path, "target"),
                f"{named(comp)} is a {comp['kind']}, not a {source_kinds()}",
            )
        )
    return {"rps": RPS.check(control, path, problems)}


def _check_spike(control: dict, comp: dict, path: str, problems: list) -> dict:
    out = _check_set_rate(control, comp, path, problems)
    out["duration_s"] = SPIKE_S.check(control, path, problems)
    return out


def _check_set_param(control: dict, comp: dict, path: str, problems: list) -> dict:
    kind = comp["kind"]
    name = control.get("param")
    params = {p.name: p for p in KINDS[kind].params}
    if not isinstance(name, str) or name not in params or name == "role":
        problems.append(
            Problem(field_path(path, "param"), f"{kind} has no parameter {name!r} to change")
        )
        return {}
    if name == "instances":
        problems.append(
            Problem(field_path(path, "param"), "instances change with scale (new ones start "
                    "after provision_s), not set_param")
        )  # fmt: skip
        return {}
    if params[name].section == "retries":
        # A run plans its clients' retries when it starts (retries.py).
        problems.append(
            Problem(field_path(path, "param"), f"{name} cannot change during a run; change "
                    "it in the design and run again")
        )  # fmt: skip
        return {}
    before = len(problems)
    value = params[name].check(control.get("value"), field_path(path, "value"), problems)
    if len(problems) == before:
        merged = {**comp["params"], name: value}
        KINDS[kind].check(merged, field_path(path, "value"), problems)
    return {"param": name, "value": value}


def _check_flush(control: dict, comp: dict, path: str, problems: list) -> dict:
    if KINDS[comp["kind"]].cold_misses is None:
        caching = " or ".join(sorted(name for name, kind in KINDS.items() if kind.cold_misses))
        problems.append(
            Problem(
                field_path(path, "target"),
                f"{named(comp)} is a {comp['kind']}; only a {caching} flushes",
            )
        )
    return {}


def _check_link_latency(control: dict, document: dict, path: str, problems: list) -> dict:
    """On a link (``from``, ``to``), not a component: gets the whole document."""
    pair = (control.get("from"), control.get("to"))
    if not any((link["from"], link["to"]) == pair for link in document["links"]):
        problems.append(Problem(field_path(path, "from"), f"no link {pair[0]} -> {pair[1]}"))
    return {"from": pair[0], "to": pair[1], "ms": MS.check(control, path, problems)}


# -- applying: (the engine's controls, a checked control) -> None ------------------------


def _index(controls: Any, control: dict) -> int:
    return controls.model.index[control["target"]]


def _apply_fail(controls: Any, control: dict) -> None:
    controls.fail(_index(controls, control), control.get("count"))


def _apply_recover(controls: Any, control: dict) -> None:
    controls.recover(_index(controls, control))


def _apply_scale(controls: Any, control: dict) -> None:
    i = _index(controls, control)
    if "size" in control:
        controls.resize(i, control["size"])
    if "instances" in control:
        controls.scale_to(i, control["instances"], "scaled")


def _apply_set_rate(controls: Any, control: dict) -> None:
    controls.set_rate(_index(controls, control), control["rps"])


def _apply_spike(controls: Any, control: dict) -> None:
    controls.spike(_index(controls, control), control["rps"], control["duration_s"])


def _apply_set_param(controls: Any, control: dict) -> None:
    controls.set_param(_index(controls, control), control["param"], control["value"])


def _apply_flush(controls: Any, control: dict) -> None:
    controls.flush(_index(controls, control))


def _apply_link_latency(controls: Any, control: dict) -> None:
    controls.link_latency(control["from"], control["to"], control["ms"])


@dataclass(frozen=True)
class EngineControl:
    """One engine control.

    ``check(control, component, path, problems)`` returns the checked fields besides
    ``action`` and ``target`` (a control ``on`` a ``link`` gets the document instead of
    a component and returns ``from`` and ``to`` too); ``apply(controls, control)`` calls
    the engine's public control methods; ``fields`` are its number fields.
    """

    check: Callable[[dict, dict, str, list[Problem]], dict]
    apply: Callable[[Any, dict], None]
    fields: tuple[NumberField, ...] = ()
    on: str = "component"

    def field(self, name: str) -> NumberField:
        """The number field called ``name`` (KeyError if it has none)."""
        for number_field in self.fields:
            if number_field.name == name:
                return number_field
        raise KeyError(name)


CONTROLS: dict[str, EngineControl] = {
    "fail": EngineControl(_check_fail_or_recover, _apply_fail, (COUNT,)),
    "recover": EngineControl(_check_fail_or_recover, _apply_recover, (COUNT,)),
    "scale": EngineControl(_check_scale, _apply_scale, (INSTANCES,)),
    "set_rate": EngineControl(_check_set_rate, _apply_set_rate, (RPS,)),
    "spike": EngineControl(_check_spike, _apply_spike, (RPS, SPIKE_S)),
    "set_param": EngineControl(_check_set_param, _apply_set_param),
    "flush": EngineControl(_check_flush, _apply_flush),
    "link_latency": EngineControl(_check_link_latency, _apply_link_latency, (MS,), on="link"),
}
