"""A run's state between ticks: per-node parallel lists, the clock and the event log.

The lists stay flat (one list per quantity, indexed by node number) because the tick
loop reads them for every node of every tick. The kinds read and change them through
this object (``state``), which is also their port to this tick's flow (``state.flow``)
and to the event log (``state.event``); they never see the engine itself.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .components import KINDS
from .components.base import NCLASS, Field
from .components.params import servers_per_instance
from .flow import Flow
from .model import CLIENT, Model

if TYPE_CHECKING:
    from .backlog_log import BacklogLog
    from .clusters import Clusters


def declared_fields() -> list[Field]:
    """Every state field the registered kinds declare, once each by name."""
    fields: dict[str, Field] = {}
    for kind in KINDS.values():
        for f in kind.state_fields:
            fields.setdefault(f.name, f)
    return list(fields.values())


class State:
    """The live state of one run, shared by the engine's parts and the kinds' hooks."""

    def __init__(self, model: Model, dt: float, names: list[str]) -> None:
        n = model.size
        self.model = model
        # Per node: the name users gave it (``explain.names``), for the texts people read.
        self.names = names
        self.dt = dt
        self.now = 0.0
        self.params = model.params  # live parameters (set_param, scale change them)
        self.inst = [int(p.get("instances", 1)) for p in self.params]
        self.dead_times: list[list[float]] = [[] for _ in range(n)]
        self.failed = [False] * n
        self.failed_at = [0.0] * n
        self.starting: list[list[float]] = [[] for _ in range(n)]  # when each new one is ready
        # Nodes moving to another size tier -> (when the move ends, the new size).
        self.resizing: dict[int, tuple[float, str]] = {}
        self.backlog = [[0.0] * NCLASS for _ in range(n)]
        # Per node while a backlog (or its fading tail) lasts: when its requests arrived.
        self.backlog_log: list[BacklogLog | None] = [None] * n
        # Per node, an unlimited queue below capacity (``approach``): its walk's expected
        # length per instance (from empty), and the load (arrivals / capacity) at which it
        # settled into the steady state (-1 while it climbs).
        self.walk_level = [0.0] * n
        self.settled_rho = [-1.0] * n
        self.link_extra = [0.0] * len(model.links)  # latency added by link_latency controls
        self.last_scale = [-math.inf] * n
        # Per node: what its kind derived from the live parameters and state, kept while
        # nothing changes (``components.base.memo``); None until first needed.
        self.kind_memo: list[tuple[int, object] | None] = [None] * n
        self.sources = [i for i in model.order if model.role[i] == CLIENT]
        # Refreshed after every event (``refresh``): serving instances, (servers per
        # instance, service rate), and the share of senders' flow reaching dead instances.
        self.alive = [0] * n
        self.servers: list[tuple[float, float]] = [(0.0, 0.0)] * n
        self.passive_dead = [0.0] * n
        # Per node: how many instances a least-connections balancer pools it with
        # (join the shortest queue, steady.py), 0 when it is not fed that way.
        self.jsq_pool = [0] * n
        self.fields = declared_fields()
        for f in self.fields:
            setattr(self, f.name, self._field_list(f))
        # Lists a quiet tick's numbers depend on besides the rates (``Engine._signature``).
        self.watched = [getattr(self, f.name) for f in self.fields if f.watched]
        self.flow = Flow(model, self.link_extra)
        self.clusters: Clusters | None = None  # set by the engine: primaries, write rates
        self.pending_events: list[dict] = []
        self.changes = 0  # events so far: what ``memo`` keeps holds while this stays the same
        self.dirty = True  # an event happened: routing and delays need a look
        self.unsettled = True  # some node is still changing (backlog, warming, lag ...)
        self.last_failure = -math.inf

    def _field_list(self, f: Field) -> list[Any]:
        mine = tuple(type(k) for k in KINDS.values() if f in k.state_fields)
        return [
            f.initial(p) if f.initial is not None and isinstance(kind, mine) else f.blank
            for kind, p in zip(self.model.kind_of, self.params, strict=True)
        ]

    # --- events ------------------------------------------------------------------------

    def event(self, i: int | None, kind: str, text: str) -> None:
        """Record an event of node ``i`` (None: of the run); it marks routing as stale."""
        self.dirty = True
        self.changes += 1
        cid = self.model.ids[i] if i is not None else None
        self.pending_events.append({"t": round(self.now, 6), "component": cid, "kind": kind,
                                    "text": text})  # fmt: skip

    def reset_fields(self, i: int, why: str) -> None:
        """Set node ``i``'s fields its kind declares a value for on ``why`` (flush, recover)."""
        for f in self.model.kind_of[i].state_fields:
            value = getattr(f, why)
            if value is not None:
                getattr(self, f.name)[i] = value

    # --- who is up -----------------------------------------------------------------------

    def unavailable(self, i: int) -> bool:
        """Node ``i`` or its data centre has failed as a whole."""
        dc = self.model.dc_of[i]
        return self.failed[i] or (dc >= 0 and self.failed[dc])

    def down_since(self, i: int) -> float:
        """When node ``i`` (or its data centre) failed as a whole; inf while it is up."""
        dc = self.model.dc_of[i]
        t = self.failed_at[i] if self.failed[i] else math.inf
        if dc >= 0 and self.failed[dc]:
            t = min(t, self.failed_at[dc])
        return t

    def down_since_any(self, i: int) -> float:
        """When node ``i`` lost its last instance, by any cause; at most now."""
        t = self.down_since(i)
        if t == math.inf and self.dead_times[i]:
            t = max(self.dead_times[i])
        return min(t, self.now)

    def count_alive(self, i: int) -> int:
        """Instances of node ``i`` serving now (not dead, not moving to a new size)."""
        if self.unavailable(i):
            return 0
        alive = self.inst[i] - len(self.dead_times[i])
        if i in self.resizing:
            alive -= 1  # the instance moving to its new box
        return max(alive, 0)

    def dead_share(self, j: int, detect_s: float | None) -> tuple[float, float]:
        """(instances a sender believes up, share of its flow that reaches dead ones).

        ``detect_s`` None: a sender without health checks spreads over all instances.
        """
        inst = self.inst[j]
        if inst <= 0:
            return 0.0, 0.0
        if self.unavailable(j):
            if detect_s is not None and self.now - self.down_since(j) >= detect_s:
                return 0.0, 0.0
            return float(inst), 1.0
        dead = len(self.dead_times[j])
        if detect_s is None:
            return float(inst), dead / inst
        alive = inst - dead
        undetected = sum(1 for t in self.dead_times[j] if self.now - t < detect_s)
        believed = alive + undetected
        return float(believed), (undetected / believed if believed else 0.0)

    def server_constants(self, i: int) -> tuple[float, float]:
        """(servers per instance, service rate of one server in req/s) from the live
        parameters; they change only with an event (a set_param or a resize)."""
        p = self.params[i]
        if "service_ms" not in p:
            return 0.0, 0.0  # not a serving kind
        return servers_per_instance(p), 1000.0 / self.model.kind_of[i].service_time_ms(p)

    def refresh(self) -> None:
        """After an event: who serves, at what rate, and what senders lose to dead ones."""
        n = self.model.size
        self.alive = [self.count_alive(i) for i in range(n)]
        self.servers = [self.server_constants(i) for i in range(n)]
        self.passive_dead = [self.dead_share(i, None)[1] for i in range(n)]
        self.flow.alive = self.alive
