"""Parameter descriptions shared by every kind: type, unit, default, range, help, and checking."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import Problem

# Size tiers (scale up): capacity factor multiplies the servers of one instance;
# the price per hour rises faster than the capacity, and the largest tier cannot grow.
SIZE_TIERS: dict[str, tuple[int, float]] = {
    "small": (1, 0.05),
    "medium": (2, 0.12),
    "large": (4, 0.30),
    "xlarge": (8, 0.80),
    "2xlarge": (16, 2.40),
}
SIZE_ORDER: tuple[str, ...] = tuple(SIZE_TIERS)
LARGEST_SIZE = SIZE_ORDER[-1]


@dataclass(frozen=True)
class Param:
    """One parameter of a component kind; ``check`` validates a value and returns it normalised."""

    name: str
    type: str  # int, float, bool, choice, str, map
    default: Any
    help: str
    unit: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = False
    section: str = "general"
    keys: tuple[str, ...] = ()  # fixed keys of a map; empty = any key
    max_length: int = 200

    def to_json(self) -> dict:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "unit": self.unit,
            "default": self.default,
            "min": self.min,
            "max": self.max,
            "choices": list(self.choices) or None,
            "nullable": self.nullable,
            "section": self.section,
            "help": self.help,
        }
        if self.type == "map":
            out["keys"] = list(self.keys) or None
        return out

    def _range_text(self, kind: str) -> str:
        if self.min is not None and self.max is not None:
            return f"must be {kind} from {_num(self.min)} to {_num(self.max)}"
        if self.min is not None:
            return f"must be {kind} of at least {_num(self.min)}"
        return f"must be {kind}"

    def check(self, value: Any, path: str, problems: list[Problem]) -> Any:
        """Return the value normalised (ints stay ints) or record a problem and the default."""
        if value is None:
            if self.nullable:
                return None
            problems.append(Problem(path, "must not be empty"))
            return self.default
        if self.type == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
            if isinstance(value, float) and value.is_integer():
                value, ok = int(value), True
            if not ok or not self._in_range(value):
                problems.append(Problem(path, self._range_text("an integer")))
                return self.default
            return value
        if self.type == "float":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not math.isfinite(value) or not self._in_range(value):
                problems.append(Problem(path, self._range_text("a number")))
                return self.default
            return float(value)
        if self.type == "bool":
            if not isinstance(value, bool):
                problems.append(Problem(path, "must be true or false"))
                return self.default
            return value
        if self.type == "choice":
            if value not in self.choices:
                problems.append(Problem(path, f"must be one of: {', '.join(self.choices)}"))
                return self.default
            return value
        if self.type == "str":
            if not isinstance(value, str) or len(value) > self.max_length:
                problems.append(Problem(path, f"must be text of at most {self.max_length} chars"))
                return self.default
            return value
        if self.type == "map":
            return self._check_map(value, path, problems)
        raise AssertionError(f"unknown parameter type {self.type}")

    def _in_range(self, value: float) -> bool:
        if self.min is not None and value < self.min:
            return False
        return not (self.max is not None and value > self.max)

    def _check_map(self, value: Any, path: str, problems: list[Problem]) -> Any:
        if not isinstance(value, dict):
            problems.append(Problem(path, "must be an object of names to numbers"))
            return dict(self.default)
        out: dict[str, float] = {}
        for key, item in value.items():
            if self.keys and key not in self.keys:
                problems.append(
                    Problem(f"{path}.{key}", f"unknown key; use {', '.join(self.keys)}")
                )
                continue
            ok = isinstance(item, int | float) and not isinstance(item, bool)
            if not ok or not math.isfinite(item) or not self._in_range(item):
                problems.append(Problem(f"{path}.{key}", self._range_text("a number")))
                continue
            out[key] = float(item)
        if self.keys:
            for key in self.keys:
                out.setdefault(key, 0.0)
        return out


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def serving_params(
    *,
    instances: int = 1,
    size: str = "small",
    concurrency: int = 8,
    service_ms: float = 20.0,
    queue_limit: int | None = None,
    timeout_ms: float | None = None,
) -> tuple[Param, ...]:
    """The parameters every serving kind shares, with that kind's defaults."""
    s = "serving"
    return (
        Param(
            "instances",
            "int",
            instances,
            "Identical instances (scale out); each fails on its own.",
            unit="instances",
            min=1,
            max=1000,
            section=s,
        ),
        Param(
            "size",
            "choice",
            size,
            "Size tier (scale up): multiplies servers per instance and "
            "the price; 2xlarge is the largest and cannot grow.",
            choices=SIZE_ORDER,
            section=s,
        ),
        Param(
            "concurrency",
            "int",
            concurrency,
            "Requests one instance serves at once (threads, connections) at the small size.",
            unit="servers",
            min=1,
            max=10000,
            section=s,
        ),
        Param(
            "service_ms",
            "float",
            service_ms,
            "Mean service time of one request at one server (exponentially distributed).",
            unit="ms",
            min=0.001,
            max=600000,
            section=s,
        ),
        Param(
            "queue_limit",
            "int",
            queue_limit,
            "Most requests waiting per instance before new ones are dropped; empty = unbounded.",
            unit="requests",
            min=0,
            max=100_000_000,
            nullable=True,
            section=s,
        ),
        Param(
            "timeout_ms",
            "float",
            timeout_ms,
            "Requests that have waited this long give up (errors, no server time); empty = none.",
            unit="ms",
            min=1,
            max=3_600_000,
            nullable=True,
            section=s,
        ),
        Param(
            "resize_s",
            "float",
            30.0,
            "Time to move one instance to a new size tier (a new box: restart, copy the "
            "data). One instance is down meanwhile; two or more move one at a time, so "
            "one is out for instances x this. 0 = instant.",
            unit="s",
            min=0,
            max=86400,
            section=s,
        ),
    )


def autoscaling_params() -> tuple[Param, ...]:
    """The autoscaling policy block of a group (web_server, worker)."""
    s = "autoscaling"
    return (
        Param(
            "autoscale",
            "bool",
            False,
            "Add and remove instances to hold the target utilisation.",
            section=s,
        ),
        Param(
            "target_util",
            "float",
            0.6,
            "Utilisation the policy aims for.",
            min=0.05,
            max=0.95,
            section=s,
        ),
        Param(
            "min_instances",
            "int",
            1,
            "Fewest instances the policy keeps.",
            unit="instances",
            min=1,
            max=1000,
            section=s,
        ),
        Param(
            "max_instances",
            "int",
            10,
            "Most instances the policy starts.",
            unit="instances",
            min=1,
            max=1000,
            section=s,
        ),
        Param(
            "cooldown_s",
            "float",
            60.0,
            "Least time between two scaling decisions.",
            unit="s",
            min=0,
            max=86400,
            section=s,
        ),
        Param(
            "provision_s",
            "float",
            30.0,
            "Time a new instance takes to start serving.",
            unit="s",
            min=0,
            max=86400,
            section=s,
        ),
    )


@dataclass(frozen=True)
class LinkParams:
    """Parameters a link may carry."""

    params: tuple[Param, ...] = field(
        default=(
            Param(
                "latency_ms",
                "float",
                0.0,
                "Network latency of this link, one way; a request pays it twice (there and back).",
                unit="ms",
                min=0,
                max=60000,
            ),
        )
    )


LINK_PARAMS = LinkParams().params


def servers_per_instance(p: dict) -> int:
    """Requests one instance serves at once: its concurrency times its size tier's factor."""
    return p["concurrency"] * SIZE_TIERS[p["size"]][0]


def instance_capacity(p: dict) -> float:
    """Requests per second one instance serves at full load, from its ``service_ms``."""
    return servers_per_instance(p) * 1000.0 / p["service_ms"]
