"""Scenario checks: a condition on a metric that fails once it holds long enough."""

from __future__ import annotations

import math

OPS = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


class CheckState:
    """A scenario check: fails once its condition holds for ``for_s`` seconds in a row."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.compare = OPS[spec["op"]]
        self.since: float | None = None
        self.failed_at: float | None = None

    def update(self, value: float, t_start: float, t_end: float) -> bool:
        """Record one tick's value; True when the check fails at this tick."""
        if self.failed_at is not None or not math.isfinite(value):
            return False
        if not self.compare(value, self.spec["value"]):
            self.since = None
            return False
        if self.since is None:
            self.since = t_start
        if t_end - self.since >= self.spec["for_s"] - 1e-9:
            self.failed_at = t_end
            return True
        return False

    def to_json(self) -> dict:
        return {
            "name": self.spec["name"],
            "passed": self.failed_at is None,
            "failed_at": self.failed_at,
            "metric": self.spec["metric"],
            "component": self.spec["component"],
            "op": self.spec["op"],
            "value": self.spec["value"],
            "for_s": self.spec["for_s"],
            "abort": self.spec["abort"],
        }
