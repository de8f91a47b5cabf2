"""Live controls and scheduled faults: how a run's state changes between ticks."""

from __future__ import annotations

from .clusters import Clusters
from .components.base import EPS
from .control_table import CONTROLS
from .model import GROUP, round_trip_s
from .sources import Sources
from .state import State


class Controls:
    """Fail, recover, scale, rates, parameters, flushes and link latency.

    Every change records an event (``State.event``), which also marks the run's
    routing as stale and counts in ``state.changes``.
    """

    def __init__(self, state: State, sources: Sources, clusters: Clusters) -> None:
        self.state = state
        self.model = state.model
        self.sources = sources
        self.clusters = clusters

    def apply(self, c: dict) -> None:
        """Apply a checked control (``scenario.control_or_raise``): its table entry's apply."""
        CONTROLS[c["action"]].apply(self, c)

    def link_latency(self, from_id: str, to_id: str, ms: float) -> None:
        m = self.model
        for li, (a, b) in enumerate(m.links):
            if (m.ids[a], m.ids[b]) == (from_id, to_id):
                self.state.link_extra[li] = round_trip_s(ms) - m.link_base_s[li]
        names, index = self.state.names, m.index
        self.state.event(
            None,
            "link_latency",
            f"{names[index[from_id]]} -> {names[index[to_id]]} latency {ms:g} ms",
        )

    def set_rate(self, i: int, rps: float) -> None:
        self.sources.set_rate(i, rps)
        self.state.event(i, "rate", f"{self.state.names[i]} rate set to {rps:g} req/s")

    def spike(self, i: int, rps: float, duration_s: float) -> None:
        """Client ``i`` sends ``rps`` more for ``duration_s`` from now, then its rate again."""
        self.sources.add_spike(i, self.state.now, rps, duration_s)
        self.state.event(i, "spike", f"{self.state.names[i]}: a spike of {rps:g} req/s more "
                         f"for {duration_s:g} s")  # fmt: skip

    def set_param(self, i: int, param: str, value) -> None:
        self.state.params[i][param] = value
        self.state.event(i, "param", f"{self.state.names[i]} {param} set to {value}")

    def flush(self, i: int) -> None:
        self.state.reset_fields(i, "flush")
        self.state.event(i, "flushed", self._flush_text(i))

    def _flush_text(self, i: int) -> str:
        """Where a cold cache's or CDN's misses go: a cache's reads to its database,
        a CDN's static requests to the origin."""
        m = self.model
        what, where, k = m.kind_of[i].cold_misses
        targets = ", ".join(self.state.names[j] for j, _ in m.routes[i][k])
        if targets:
            where += f" ({targets})"
        warmup = m.kind_of[i].warmup_s(self.state.params[i])
        return (
            f"{self.state.names[i]} flushed: cold, so {what} miss and go on to {where} "
            f"until it warms up over {warmup:g} s"
        )

    def fail(self, i: int, count: int | None) -> None:
        m = self.model
        name = self.state.names[i]
        if m.role[i] == GROUP:
            self.state.failed[i], self.state.failed_at[i] = True, self.state.now
            self.state.last_failure = self.state.now
            inside = m.members.get(i, [])
            self.state.event(i, "failed", f"{name} failed: {len(inside)} components down")
            return
        if count is None:
            if not self.state.failed[i]:
                self.state.failed[i], self.state.failed_at[i] = True, self.state.now
            self.state.last_failure = self.state.now
            self.state.event(i, "failed", f"{name} failed")
            return
        alive = self.state.inst[i] - len(self.state.dead_times[i])
        k = min(count, alive)
        self.state.dead_times[i].extend([self.state.now] * k)
        self.state.last_failure = self.state.now
        self.state.event(i, "failed", f"{name}: {k} of {self.state.inst[i]} instances failed")

    def recover(self, i: int) -> None:
        m = self.model
        state = self.state
        was_down = state.unavailable(i) or state.dead_times[i]
        state.failed[i] = False
        state.dead_times[i] = []
        affected = m.members.get(i, []) if m.role[i] == GROUP else [i]
        if was_down:
            for j in affected:
                state.reset_fields(j, "recover")
        state.event(
            i,
            "recovered",
            f"{state.names[i]} recovered" + (" (cold: warming up)" if state.warm[i] < 1.0 else ""),
        )
        self.clusters.rejoin(affected)

    def resize(self, i: int, size: str) -> None:
        """Move to another size tier: each instance moves to a new box, one at a time,
        out of service for ``resize_s`` while it moves; the tier serves at its old size
        until all have moved. A new target while a resize runs replaces the old one and
        the clock restarts (the move starts over towards the new box)."""
        name = self.state.names[i]
        p = self.state.params[i]
        if size == p["size"] and i not in self.state.resizing:
            self.state.event(i, "scaled", f"{name}: already {size}")
            return
        n = self.state.inst[i]
        took = p["resize_s"] * n
        if took <= 0.0:
            self.state.resizing.pop(i, None)
            p["size"] = size
            self.state.event(i, "resized", f"{name}: resized to {size}")
            return
        self.state.resizing[i] = (self.state.now + took, size)
        if n == 1:
            text = f"{name}: resizing to {size}, down for {took:g} s"
        else:
            text = (
                f"{name}: resizing to {size} one instance at a time, "
                f"{n - 1} of {n} serving for {took:g} s"
            )
        self.state.event(i, "resizing", text)

    def finish_resizes(self) -> None:
        """Resizes whose time is up: the tier serves at its new size with all instances."""
        for i, (ends, size) in list(self.state.resizing.items()):
            if ends <= self.state.now + EPS:
                del self.state.resizing[i]
                self.state.params[i]["size"] = size
                self.state.event(i, "resized", f"{self.state.names[i]}: resized to {size}"
                            + self._cold_after_move(i))  # fmt: skip

    def _cold_after_move(self, i: int) -> str:
        """A cache or CDN on a new box starts empty: a single box comes back cold; in a
        group that rolled one box at a time the last one moved holds none of its share
        yet (the others warmed up again while it moved). Text for the event, if cold."""
        if self.model.kind_of[i].cold_misses is None:
            return ""
        n = self.state.inst[i]
        self.state.warm[i] = min(self.state.warm[i], 1.0 - 1.0 / n) if n > 1 else 0.0
        return " (cold: warming up)" if n == 1 else f" (warming up: {n - 1} of {n} boxes warm)"

    def scale_to(self, i: int, target: int, why: str) -> None:
        name = self.state.names[i]
        current = self.state.inst[i] + len(self.state.starting[i])
        delay = self.state.params[i].get("provision_s", 0.0)
        if target > current:
            self.state.starting[i].extend([self.state.now + delay] * (target - current))
            self.state.event(
                i,
                why,
                f"{name} scaling {current} -> {target} instances"
                + (f" (ready in {delay:g} s)" if delay else ""),
            )
            if delay == 0:
                self.start_ready(i)
        elif target < current:
            drop = current - target
            cut = min(drop, len(self.state.starting[i]))
            if cut:
                del self.state.starting[i][-cut:]
            before = self.state.inst[i]
            self.state.inst[i] -= drop - cut
            self.state.event(i, why, f"{name} scaling {current} -> {target} instances")
            self.model.kind_of[i].resized(self.state, i, before)
        self.state.params[i]["instances"] = target

    def ready_all(self) -> None:
        """New instances whose provisioning time is up start serving."""
        state = self.state
        for i in range(self.model.size):
            if state.starting[i]:
                before = state.inst[i]
                self.start_ready(i)
                if state.inst[i] != before:
                    ready = state.inst[i] - before
                    plural = "instance" if ready == 1 else "instances"
                    state.event(i, "ready", f"{state.names[i]}: {ready} {plural} ready")

    def start_ready(self, i: int) -> None:
        ready = [t for t in self.state.starting[i] if t <= self.state.now + EPS]
        if ready:
            self.state.starting[i] = [t for t in self.state.starting[i] if t > self.state.now + EPS]
            self.state.inst[i] += len(ready)
            self.model.kind_of[i].resized(self.state, i, self.state.inst[i] - len(ready))
