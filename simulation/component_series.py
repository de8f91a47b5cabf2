"""Per-component time series for the headless run (``python -m simulation run --components``).

Each sampled tick adds, for each chosen component, the frame's numbers as the frame JSON
gives them (rounded alike), its p99 from the tick's latency law (a gamma with the node's
mean and variance, as the frame's p95) and the kind's own numbers (the frame's ``x``).
"""

from __future__ import annotations

from typing import Any

from .frame import Frame, NodeFrame, rounded
from .latency import gamma_quantile
from .metric_names import COMPONENT_SERIES

# At most this many component-ticks (components x sampled ticks) in one run's output:
# about 100 bytes of JSON each, so some 20 MB at the limit.
MAX_POINTS = 200_000


class ComponentSeries:
    """Collects every ``every``-th frame's numbers for the components ``ids``.

    A sample is the tick's own numbers (not an average over the ``every`` ticks).
    Kind numbers a component gains or loses during the run (a replica promoted to
    primary swaps ``lag_ms`` for ``lost_writes``) are ``None`` in the ticks without them.
    """

    def __init__(self, ids: list[str], every: int = 1) -> None:
        self.ids = ids
        self.every = every
        self.t: list[float] = []
        self._rows: dict[str, list[dict[str, Any]]] = {cid: [] for cid in ids}

    def add(self, frame: Frame) -> None:
        if frame.tick % self.every:
            return
        self.t.append(round(frame.t, 6))
        for cid, rows in self._rows.items():
            rows.append(_numbers(frame.nodes[cid]))

    def kind_keys(self, cid: str) -> list[str]:
        """The kind's own numbers this component reported, in order of first appearance."""
        keys: dict[str, None] = {}
        for row in self._rows[cid]:
            keys.update(dict.fromkeys(row["x"]))
        return list(keys)

    def to_json(self) -> dict[str, dict[str, list[Any]]]:
        """``{id: {"t": [...], "status": [...], ..., "hit_ratio": [...]}}``."""
        series = {}
        for cid, rows in self._rows.items():
            columns: dict[str, list[Any]] = {"t": list(self.t)}
            for key in COMPONENT_SERIES:
                columns[key] = [row[key] for row in rows]
            for key in self.kind_keys(cid):
                columns[key] = [row["x"].get(key) for row in rows]
            series[cid] = columns
        return series

    def csv_rows(self) -> list[list[Any]]:
        """The long table: a header ``t, component, <numbers>, <every kind number>``, then
        one row per sampled tick and component (empty cells for numbers it lacks)."""
        kind_keys: dict[str, None] = {}
        for cid in self.ids:
            kind_keys.update(dict.fromkeys(self.kind_keys(cid)))
        rows: list[list[Any]] = [["t", "component", *COMPONENT_SERIES, *kind_keys]]
        for index, t in enumerate(self.t):
            for cid, numbers in self._rows.items():
                row = numbers[index]
                x = row["x"]
                rows.append(
                    [
                        t,
                        cid,
                        *(row[key] for key in COMPONENT_SERIES),
                        *(_blank(x.get(key)) for key in kind_keys),
                    ]
                )
        return rows


def _numbers(node: NodeFrame) -> dict[str, Any]:
    numbers = node.to_json()
    numbers["p99"] = rounded(gamma_quantile(0.99, node.lat / 1000.0, node.var) * 1000.0)
    return numbers


def _blank(value: Any) -> Any:
    return "" if value is None else value
