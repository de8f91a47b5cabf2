"""Checks of one field of an input object (a scenario entry, a control): numbers,
integers, true/false. Each records a Problem at the field's path and returns a
usable value, so validation goes on and reports every problem at once."""

from __future__ import annotations

import math
from typing import Any

from .errors import Problem


def field_path(path: str, key: str) -> str:
    """``faults[2].rps`` inside an object at ``faults[2]``; ``rps`` at the top level."""
    return f"{path}.{key}" if path else key


def number_rule(lo: float, hi: float) -> str:
    return f"must be a number from {lo:g} to {hi:g}"


def integer_rule(lo: int, hi: int) -> str:
    return f"must be an integer from {lo} to {hi}"


def is_number(value: Any, lo: float, hi: float) -> bool:
    """A finite int or float (not a bool) from ``lo`` to ``hi``."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return ok and math.isfinite(value) and lo <= value <= hi


def is_integer(value: Any, lo: int, hi: int) -> bool:
    """An int (not a bool) from ``lo`` to ``hi``."""
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi


def number(
    obj: dict,
    key: str,
    default: float | None,
    lo: float,
    hi: float,
    path: str,
    problems: list[Problem],
) -> float:
    """``obj[key]`` as a float (``default`` when absent; None: required)."""
    value = obj.get(key, default)
    if not is_number(value, lo, hi):
        text = "is required: " if value is None else ""
        problems.append(Problem(field_path(path, key), text + number_rule(lo, hi)))
        return float(default if default is not None else lo)
    return float(value)


def integer(
    obj: dict, key: str, default: int, lo: int, hi: int, path: str, problems: list[Problem]
) -> int:
    """``obj[key]`` as an int (``default`` when absent)."""
    value = obj.get(key, default)
    if not is_integer(value, lo, hi):
        problems.append(Problem(field_path(path, key), integer_rule(lo, hi)))
        return default
    return value


def boolean(obj: dict, key: str, default: bool, path: str, problems: list[Problem]) -> bool:
    """``obj[key]`` as true or false (``default`` when absent)."""
    value = obj.get(key, default)
    if not isinstance(value, bool):
        problems.append(Problem(field_path(path, key), "must be true or false"))
        return default
    return value
