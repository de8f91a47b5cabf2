"""Where traffic comes from: each client's rate over time, and a client's tick."""

from __future__ import annotations

import math
import random

from .components.base import CLASSES, EPS, SYNC
from .frame import NodeFrame
from .state import State

# Below one request in about thirty years a rate is zero: such rates only reach
# subnormal floats downstream, where sums lose their precision.
MIN_RPS = 1e-9


class Sources:
    """The clients' rates: set rates, scheduled traffic changes with ramps, spikes, waves,
    and Poisson noise when the scenario asks for it."""

    def __init__(self, state: State, scenario: dict, seed: int) -> None:
        self.state = state
        m = state.model
        self.random = random.Random(seed)
        self.noise = scenario["noise"]
        self.counts: dict[int, float] = {}  # client -> this tick's count over its rate
        self.rate = [p.get("rps", 0.0) for p in state.params]
        self.ramps: list[tuple[float, float, float, float] | None] = [None] * m.size
        self.schedule = sorted(scenario["traffic"], key=lambda t: t["at"])
        # Each client's spikes and waves, in scenario order (most clients have none).
        self.shaping: dict[int, tuple[list[dict], list[dict]]] = {}
        for i in state.sources:
            cid = m.ids[i]
            spikes = [s for s in scenario["spikes"] if s["source"] == cid]
            waves = [w for w in scenario["waves"] if w["source"] == cid]
            if spikes or waves:
                self.shaping[i] = (spikes, waves)

    def set_rate(self, i: int, rps: float) -> None:
        self.rate[i] = rps
        self.ramps[i] = None

    def add_spike(self, i: int, at: float, rps: float, duration_s: float) -> None:
        """A spike of client ``i`` from ``at``, as a scenario's (its list is copied: the
        scenario's own stays as it was given)."""
        spikes, waves = self.shaping.get(i, ([], []))
        spikes = [*spikes, {"at": at, "source": self.state.model.ids[i], "rps": rps,
                            "duration_s": duration_s}]  # fmt: skip
        self.shaping[i] = (spikes, waves)

    def start_traffic(self, t0: float) -> None:
        """Start the scheduled traffic changes due at ``t0``."""
        state = self.state
        while self.schedule and self.schedule[0]["at"] <= t0 + EPS:
            item = self.schedule.pop(0)
            i = state.model.index[item["source"]]
            start = self.rate_at(i, t0)
            self.ramps[i] = (t0, item["ramp_s"], start, item["rps"])
            state.event(i, "traffic", f"{state.names[i]} traffic -> {item['rps']:g} req/s"
                        + (f" over {item['ramp_s']:g} s" if item["ramp_s"] else ""))  # fmt: skip

    def rates(self, t0: float, dt: float) -> dict[int, float]:
        """Each client's rate for the tick starting at ``t0`` (req/s). With noise, also
        each client's Poisson count over the tick as a share of its rate (``counts``):
        the rate drives the queueing maths, the count the tick's tallies (noise.py)."""
        rates = {}
        for i in self.state.sources:
            rates[i] = self.rate_at(i, t0)
        if self.noise:
            counts = self.counts
            for i, rate in rates.items():
                mean = rate * dt
                counts[i] = self.poisson(mean) / mean if mean > 0.0 else 1.0
        return rates

    def rate_at(self, i: int, t: float) -> float:
        """Client ``i``'s rate at ``t``: its ramp, then its spikes and waves."""
        ramp = self.ramps[i]
        if ramp is not None:
            start_t, length, start, end = ramp
            frac = min((t - start_t) / length, 1.0) if length > 0.0 else 1.0
            self.rate[i] = start + (end - start) * frac
            if frac >= 1.0:
                self.ramps[i] = None
        rate = self.rate[i]
        shaped = self.shaping.get(i)
        if shaped is not None:
            spikes, waves = shaped
            for spike in spikes:
                if spike["at"] <= t + EPS < spike["at"] + spike["duration_s"]:
                    rate += spike["rps"]
            for wave in waves:
                phase = 2.0 * math.pi * (t - wave["peak_s"]) / wave["period_s"]
                rate *= 1.0 + wave["amplitude"] * math.cos(phase)
        return rate if rate >= MIN_RPS else 0.0

    def poisson(self, mean: float) -> float:
        if mean < 30.0:
            limit, k, prod = math.exp(-mean), 0, self.random.random()
            while prod > limit:
                k += 1
                prod *= self.random.random()
            return float(k)
        return max(0.0, round(self.random.gauss(mean, math.sqrt(mean))))


def client_tick(state: State, i: int, rate: float) -> NodeFrame:
    """A client emits ``rate`` req/s, split by its mix over its routes."""
    mix = state.params[i]["mix"]
    emitted = [rate * mix[name] for name in CLASSES]
    flow = state.flow
    flow.offered_total += rate
    dropped = 0.0
    routes = state.model.routes[i]
    for k in range(SYNC):
        if emitted[k] <= 0.0:
            continue
        targets = routes[k]
        if not targets:
            dropped += emitted[k]
            continue
        share = 1.0 / len(targets)
        for j, li in targets:
            flow.send(j, li, k, emitted[k] * share, 0.0, 0.0, 1.0, state.passive_dead[j])
    flow.sync_dropped += dropped
    health, reason = ("critical", "no target") if dropped > 0 else ("ok", None)
    # NodeFrame's fields in order (status, health, reason, offered, served, queued, dropped,
    # util, lat, p95, inst, ready, x): keywords cost about a microsecond per node here.
    return NodeFrame("up", health, reason, rate, rate - dropped, 0.0, dropped, 0.0, 0.0, 0.0,
                     1, 1, {"rps": rate})  # fmt: skip
