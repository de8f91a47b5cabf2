"""One tick's numbers, as plain data that serialises to compact JSON."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(slots=True)
class NodeFrame:
    """One component in one tick. Rates in req/s, ``queued`` in requests, latencies in ms.

    ``p95`` is given either as a number or as a function that computes it: inverting a
    latency distribution is the costliest step of a node, and a tick whose frame is
    only summed into the run report never needs it. It is computed once, on first use.
    """

    status: str  # up, down, degraded, starting
    health: str  # ok, warning, critical, down, starting
    reason: str | None
    offered: float
    served: float
    queued: float
    dropped: float
    util: float
    lat: float
    p95_ms: float | Callable[[], float]
    inst: int
    ready: int
    x: dict = field(default_factory=dict)
    queued_before: float = 0.0  # backlog carried in from the previous tick
    var: float = 0.0  # variance of the response time, s^2 (not serialised)

    @property
    def p95(self) -> float:
        """95th percentile of the response time, ms."""
        value = self.p95_ms
        if not isinstance(value, float):
            value = self.p95_ms = float(value())
        return value

    def to_json(self) -> dict:
        return {
            "status": self.status,
            "health": self.health,
            "reason": self.reason,
            "offered": rounded(self.offered),
            "served": rounded(self.served),
            "queued": rounded(self.queued),
            "dropped": rounded(self.dropped),
            "util": round(self.util, 4),
            "lat": rounded(self.lat),
            "p95": rounded(self.p95),
            "inst": self.inst,
            "ready": self.ready,
            "x": {k: rounded(v) if isinstance(v, float) else v for k, v in self.x.items()},
        }


@dataclass(slots=True)
class Frame:
    """The state after one tick: per node, per link, global numbers and the tick's events."""

    tick: int
    t: float  # simulated seconds at the end of the tick
    dt: float
    nodes: dict[str, NodeFrame]
    links: list[tuple[str, str, float]]
    globals: dict
    events: list[dict]
    # The tick's end-to-end latency law: (req/s, mean s, variance s^2) gamma parts of
    # every user request class (not serialised; the run report mixes them).
    latency_parts: list[tuple[float, float, float]] = field(default_factory=list)

    def to_json(self) -> dict:
        """Compact JSON form (architecture.md "Frame JSON"); numbers rounded."""
        g = self.globals
        return {
            "tick": self.tick,
            "t": round(self.t, 6),
            "nodes": {cid: node.to_json() for cid, node in self.nodes.items()},
            "links": [[a, b, rounded(flow)] for a, b, flow in self.links],
            "global": {
                **{
                    k: rounded(v) if isinstance(v, float) else v
                    for k, v in g.items()
                    if k != "classes"
                },
                "classes": {
                    cls: {k: rounded(v) for k, v in values.items()}
                    for cls, values in g["classes"].items()
                },
            },
            "events": list(self.events),
        }


def rounded(x: float) -> float:
    """Round for display: 3 decimals, or 4 significant digits for small numbers."""
    if x == 0.0:
        return 0.0
    if abs(x) >= 1.0:
        return round(x, 3)
    return float(f"{x:.4g}")
