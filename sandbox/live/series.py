"""The charts' numbers of a run: one row of global metrics per tick, kept column-wise.

No Django here: the engine processes (`enginehost.py`) import it. A column is an
`array` of 8-byte numbers (NaN where a frame had no value): 112 bytes a tick for
the fourteen columns, whatever the design's size.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from typing import Any

from simulation.metric_names import SERIES_COLUMNS

# The global metrics recorded per tick, in the order of the CSV export's columns.
GLOBAL_COLUMNS = SERIES_COLUMNS[1:]


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


def _value(x: float) -> float | None:
    return None if math.isnan(x) else x


class Series:
    """Per-tick rows appended in tick order; read back as JSON-ready columns.

    With `keep`, only the newest `keep` to `2 * keep` rows stay (older ones are in the
    recording): memory then does not grow with the run.
    """

    def __init__(self, keep: int | None = None) -> None:
        self.keep = keep
        self.ticks = array("q")
        self.columns = {name: array("d") for name in SERIES_COLUMNS}

    def __len__(self) -> int:
        return len(self.ticks)

    @property
    def nbytes(self) -> int:
        return sum(c.itemsize * len(c) for c in (self.ticks, *self.columns.values()))

    def append(self, tick: int, t: float, numbers: dict[str, Any]) -> None:
        self.ticks.append(tick)
        self.columns["t"].append(_number(t))
        for name in GLOBAL_COLUMNS:
            self.columns[name].append(_number(numbers.get(name)))
        if self.keep is not None and len(self.ticks) >= 2 * self.keep:
            # Dropping in one go, every `keep` rows, keeps appends cheap.
            for column in (self.ticks, *self.columns.values()):
                del column[: -self.keep]

    def rows_after(self, since: int, *, at_most: int | None = None) -> dict[str, list[Any]]:
        """Columns `tick`, `t` and the metrics of the ticks after `since` (None where a
        tick had no value); only the newest `at_most` of them when given."""
        start = bisect_right(self.ticks, since)
        if at_most is not None:
            start = max(start, len(self.ticks) - at_most)
        out: dict[str, list[Any]] = {"tick": list(self.ticks[start:])}
        for name, column in self.columns.items():
            out[name] = [_value(x) for x in column[start:]]
        return out


def series_from_frames(frames: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The columns `t` and the global metrics of full frames (None where absent)."""
    series: dict[str, list[Any]] = {c: [] for c in SERIES_COLUMNS}
    for frame in frames:
        glob = frame.get("global") or {}
        series["t"].append(frame.get("t"))
        for key in GLOBAL_COLUMNS:
            series[key].append(glob.get(key))
    return series
