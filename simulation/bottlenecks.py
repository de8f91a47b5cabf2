"""The components that limited a run, in the order they saturated, with the load at
which each did (docs/model.md "Bottlenecks").

A component saturates the first tick its utilisation reaches ``CRITICAL_UTIL`` (the
level health grades critical) while it serves: from there on its queue, and so the
latency of every request through it, grows steeply or without end. The record keeps
what it was offered then, its capacity as the engine computes it and what entered the
whole system, so "what breaks first, and at what load" reads off the list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .explain import describe, gettext_noop
from .health import CRITICAL_UTIL

if TYPE_CHECKING:
    from .frame import Frame
    from .state import State

BOTTLENECK = gettext_noop(
    "{name} saturated at {at_s} s: offered {offered} req/s against a capacity of "
    "{capacity} req/s, while {entering} req/s entered the system."
)


class Bottlenecks:
    """Watches a run's frames for components reaching saturation, first time only."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.found: dict[int, dict] = {}  # component index -> its record, in the order found
        self.last_nodes: dict | None = None

    def add(self, frame: Frame) -> None:
        """Record the components this frame finds saturated for the first time (callers
        skip a frame whose nodes are ``last_nodes``: a repeated quiet tick)."""
        nodes = frame.nodes
        self.last_nodes = nodes
        state = self.state
        found = self.found
        # The frame's nodes are in the model's order (engine.py builds them so).
        for i, node in enumerate(nodes.values()):
            if node.util < CRITICAL_UTIL or i in found or node.ready == 0:
                continue
            c, mu = state.servers[i]
            if c <= 0.0:
                continue  # not a serving component
            found[i] = {
                "component": state.model.ids[i],
                "at_s": frame.t,
                "offered_rps": node.offered,
                "capacity_rps": node.ready * c * mu,
                "entering_rps": frame.globals["offered_rps"],
            }

    def to_json(self) -> list[dict]:
        """The bottlenecks in the order they saturated, each with a ``code``, its numbers
        (with the name users gave) as ``params`` and the English ``text``."""
        out = []
        for i, record in self.found.items():
            params = {
                "name": self.state.names[i],
                "at_s": record["at_s"],
                "offered": record["offered_rps"],
                "capacity": record["capacity_rps"],
                "entering": record["entering_rps"],
            }
            out.append({**record, "code": "saturated_at", "params": params,
                        "text": describe_bottleneck(params)})  # fmt: skip
        return out


def describe_bottleneck(params: dict, translate=gettext_noop) -> str:
    """The text of one bottleneck (``translate``: as for ``explain.describe``)."""
    return describe("saturated_at", params, translate, template=BOTTLENECK)
