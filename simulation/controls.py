"""Live controls and scheduled faults: how the engine's state changes between ticks."""

from __future__ import annotations

from .components.base import EPS
from .control_table import CONTROLS
from .model import GROUP


class Controls:
    """Engine mixin: fail, recover, scale, rates, parameters, flushes and link latency.

    Every change records an event (``_event``), which also marks the engine's
    cached routing as stale and counts in ``changes``.
    """

    # Changes recorded so far: what a kind derives from the live parameters and state
    # (``memo``) holds while this count stays the same.
    changes = 0

    def _event(self, i: int | None, kind: str, text: str) -> None:
        self._dirty = True
        self.changes += 1
        cid = self.model.ids[i] if i is not None else None
        t = round(self.now, 6)
        self._pending_events.append({"t": t, "component": cid, "kind": kind, "text": text})

    def _apply(self, c: dict) -> None:
        CONTROLS[c["action"]].apply(self, c)

    def link_latency(self, from_id: str, to_id: str, ms: float) -> None:
        m = self.model
        for li, (a, b) in enumerate(m.links):
            if (m.ids[a], m.ids[b]) == (from_id, to_id):
                self.link_extra[li] = ms / 1000.0 - m.link_base_s[li]
        self._event(None, "link_latency", f"{from_id} -> {to_id} latency {ms:g} ms")

    def set_rate(self, i: int, rps: float) -> None:
        self.rate[i] = rps
        self.ramps[i] = None
        self._event(i, "rate", f"{self.model.ids[i]} rate set to {rps:g} req/s")

    def set_param(self, i: int, param: str, value) -> None:
        self.params[i][param] = value
        self._event(i, "param", f"{self.model.ids[i]} {param} set to {value}")

    def flush(self, i: int) -> None:
        self.warm[i] = 0.0
        self._event(i, "flushed", self._flush_text(i))

    def _flush_text(self, i: int) -> str:
        """Where a cold cache's or CDN's misses go: a cache's reads to its database,
        a CDN's static requests to the origin."""
        m = self.model
        what, where, k = m.kind_of[i].cold_misses
        ids = ", ".join(m.ids[j] for j, _ in m.routes[i][k])
        if ids:
            where += f" ({ids})"
        warmup = m.kind_of[i].warmup_s(self.params[i])
        return (
            f"{m.ids[i]} flushed: cold, so {what} miss and go on to {where} "
            f"until it warms up over {warmup:g} s"
        )

    def fail(self, i: int, count: int | None) -> None:
        m = self.model
        cid = m.ids[i]
        if m.role[i] == GROUP:
            self.failed[i], self.failed_at[i] = True, self.now
            self._last_failure = self.now
            inside = m.members.get(i, [])
            self._event(i, "failed", f"{cid} failed: {len(inside)} components down")
            return
        if count is None:
            if not self.failed[i]:
                self.failed[i], self.failed_at[i] = True, self.now
            self._last_failure = self.now
            self._event(i, "failed", f"{cid} failed")
            return
        alive = self.inst[i] - len(self.dead_times[i])
        k = min(count, alive)
        self.dead_times[i].extend([self.now] * k)
        self._last_failure = self.now
        self._event(i, "failed", f"{cid}: {k} of {self.inst[i]} instances failed")

    def recover(self, i: int) -> None:
        m = self.model
        was_down = self._unavailable(i) or self.dead_times[i]
        self.failed[i] = False
        self.dead_times[i] = []
        affected = m.members.get(i, []) if m.role[i] == GROUP else [i]
        for j in affected:
            if m.kind_of[j].cold_misses is not None and was_down:
                self.warm[j] = 0.0
        self._event(
            i,
            "recovered",
            f"{m.ids[i]} recovered" + (" (cold: warming up)" if self.warm[i] < 1.0 else ""),
        )
        for ci, cluster in enumerate(m.clusters):
            for j in cluster:
                if j in affected and j != self.primary[ci] and m.params[j]["role"] == "primary":
                    self.params[j]["role"] = "replica"
                    self._event(
                        j,
                        "rejoined",
                        f"{m.ids[j]} rejoined as a replica of {m.ids[self.primary[ci]]}",
                    )

    def resize(self, i: int, size: str) -> None:
        """Move to another size tier: each instance moves to a new box, one at a time,
        out of service for ``resize_s`` while it moves; the tier serves at its old size
        until all have moved. A new target while a resize runs replaces the old one and
        the clock restarts (the move starts over towards the new box)."""
        cid = self.model.ids[i]
        p = self.params[i]
        if size == p["size"] and i not in self.resizing:
            self._event(i, "scaled", f"{cid}: already {size}")
            return
        n = self.inst[i]
        took = p["resize_s"] * n
        if took <= 0.0:
            self.resizing.pop(i, None)
            p["size"] = size
            self._event(i, "resized", f"{cid}: resized to {size}")
            return
        self.resizing[i] = (self.now + took, size)
        if n == 1:
            text = f"{cid}: resizing to {size}, down for {took:g} s"
        else:
            text = (
                f"{cid}: resizing to {size} one instance at a time, "
                f"{n - 1} of {n} serving for {took:g} s"
            )
        self._event(i, "resizing", text)

    def finish_resizes(self) -> None:
        """Resizes whose time is up: the tier serves at its new size with all instances."""
        for i, (ends, size) in list(self.resizing.items()):
            if ends <= self.now + EPS:
                del self.resizing[i]
                self.params[i]["size"] = size
                self._event(i, "resized", f"{self.model.ids[i]}: resized to {size}"
                            + self._cold_after_move(i))  # fmt: skip

    def _cold_after_move(self, i: int) -> str:
        """A cache or CDN on a new box starts empty: a single box comes back cold; in a
        group that rolled one box at a time the last one moved holds none of its share
        yet (the others warmed up again while it moved). Text for the event, if cold."""
        if self.model.kind_of[i].cold_misses is None:
            return ""
        n = self.inst[i]
        self.warm[i] = min(self.warm[i], 1.0 - 1.0 / n) if n > 1 else 0.0
        return " (cold: warming up)" if n == 1 else f" (warming up: {n - 1} of {n} boxes warm)"

    def scale_to(self, i: int, target: int, why: str) -> None:
        cid = self.model.ids[i]
        current = self.inst[i] + len(self.starting[i])
        delay = self.params[i].get("provision_s", 0.0)
        if target > current:
            self.starting[i].extend([self.now + delay] * (target - current))
            self._event(
                i,
                why,
                f"{cid} scaling {current} -> {target} instances"
                + (f" (ready in {delay:g} s)" if delay else ""),
            )
            if delay == 0:
                self.start_ready(i)
        elif target < current:
            drop = current - target
            cut = min(drop, len(self.starting[i]))
            if cut:
                del self.starting[i][-cut:]
            before = self.inst[i]
            self.inst[i] -= drop - cut
            self._event(i, why, f"{cid} scaling {current} -> {target} instances")
            self.model.kind_of[i].resized(self, i, before)
        self.params[i]["instances"] = target

    def start_ready(self, i: int) -> None:
        ready = [t for t in self.starting[i] if t <= self.now + EPS]
        if ready:
            self.starting[i] = [t for t in self.starting[i] if t > self.now + EPS]
            self.inst[i] += len(ready)
            self.model.kind_of[i].resized(self, i, self.inst[i] - len(ready))
