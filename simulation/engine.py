"""The tick engine: a fluid model with analytic queueing latency, one tick at a time."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from .clusters import Clusters
from .components import SIZE_TIERS
from .components.base import EPS, NCLASS, Kind, overrides
from .controls import Controls
from .document import validate_document
from .frame import Frame, NodeFrame
from .limits import Limits
from .metrics import CheckState, Report, exit_latencies, gamma_p95_ms, node_steady_state
from .model import CLIENT, ROUTER, Model, compile_design
from .queueing import mmck
from .scenario import control_or_raise, validate_scenario

SYNC = 4  # classes 0..3 are user requests; BACKGROUND is work taken from queues
CLASS_NAMES = ("read", "write", "static", "job")
WARN_UTIL = 0.7
CRITICAL_UTIL = 0.9
# Shares of a node's offered load it drops (queue limit, timeouts) that grade it warning and
# critical: a limited queue blocks a sliver of its arrivals at any load (M/M/c/K), so some
# drops are normal; 1% of requests failing is not.
DROP_WARN = 0.001
DROP_CRITICAL = 0.01
MIN_RPS = 1e-9


class Engine(Controls, Clusters):
    """Simulates a design tick by tick.

    ``Engine(document, scenario=None, seed=None)`` validates and compiles the
    design once. ``now`` is simulated seconds, ``tick`` the ticks done;
    ``step()`` advances one tick and returns its Frame; ``run(until)`` steps
    until ``now >= until`` (default: the scenario's end or an aborting check).
    ``seed`` overrides the scenario's seed (default 0). ``limits`` bounds the
    document's size (default ``Limits()``; benchmarks of huge designs raise it).
    """

    def __init__(
        self,
        document: dict,
        scenario: dict | None = None,
        seed: int | None = None,
        *,
        limits: Limits | None = None,
    ) -> None:
        self.document = validate_document(document, limits)
        self.scenario = validate_scenario(scenario, self.document)
        self.seed = seed if seed is not None else self.scenario.get("seed", 0)
        self.random = random.Random(self.seed)
        self.model: Model = compile_design(self.document)
        self.dt = self.scenario["tick_s"]
        self.duration = self.scenario["duration_s"]
        self.warmup_s = self.scenario.get("warmup_s", min(60.0, 0.1 * self.duration))
        self.now = 0.0
        self.tick = 0
        self.aborted = False
        self.events: list[dict] = []
        self._pending_events: list[dict] = []
        self._faults = list(self.scenario["faults"])
        self._traffic = sorted(self.scenario["traffic"], key=lambda t: t["at"])
        self.checks = [CheckState(spec) for spec in self.scenario["checks"]]
        self.report_data = Report(self)
        self._steady_memo: dict[tuple, tuple] = {}
        self.frame: Frame | None = None  # the latest frame
        self._last_signature: tuple | None = None
        self._dirty = True  # an event happened: cluster routing and delays need a look
        self._unsettled = True
        self._promotions_pending = False
        self._detection_s = 0.0
        self._last_failure = -math.inf
        self._sources = [i for i in self.model.order if self.model.role[i] == CLIENT]
        self._scalers = [i for i in self.model.order if "autoscale" in self.model.params[i]]
        self._detectors = [i for i, kind in enumerate(self.model.kind_of) if kind.detection_params]
        # Each client's spikes and waves, in scenario order (most clients have none).
        self._shaping: dict[int, tuple[list[dict], list[dict]]] = {}
        for i in self._sources:
            cid = self.model.ids[i]
            spikes = [s for s in self.scenario["spikes"] if s["source"] == cid]
            waves = [w for w in self.scenario["waves"] if w["source"] == cid]
            if spikes or waves:
                self._shaping[i] = (spikes, waves)
        # Nodes whose senders' view of their dead instances moves with time (a balancer
        # pair failing over): refreshed every tick while a failure is being detected.
        self._timed_dead = [
            i for i, kind in enumerate(self.model.kind_of) if overrides(kind, "seen_dead")
        ]
        self._latency_memo: tuple = ((), {})
        self._roles_in_order = [(i, self.model.role[i]) for i in self.model.order]
        self._groups = sorted(set(range(self.model.size)) - set(self.model.order))
        self._sized = [i for i, p in enumerate(self.model.params) if "size" in p]
        self._cost = (-1, 0.0)  # (changes, cost per hour) until an event changes it
        self._link_ids = [(self.model.ids[a], self.model.ids[b]) for a, b in self.model.links]
        kind_of = self.model.kind_of
        self._skipped_when_down = [kind.skipped_when_down for kind in kind_of]
        # Hooks a kind leaves at the base class's do-nothing default are not called.
        self._refuses = [overrides(kind, "refuse") for kind in kind_of]
        self._serves = [overrides(kind, "serve") for kind in kind_of]
        self._answers = [overrides(kind, "answered") for kind in kind_of]
        self._own_service_time = [overrides(kind, "service_time_ms") for kind in kind_of]
        self._extras = [overrides(kind, "extra") for kind in kind_of]
        self._init_state()

    # --- state ---------------------------------------------------------------------------

    def _init_state(self) -> None:
        m = self.model
        n = m.size
        self.params = m.params  # live parameters (set_param, scale change them)
        self.inst = [int(p.get("instances", 1)) for p in self.params]
        self.dead_times: list[list[float]] = [[] for _ in range(n)]
        self.failed = [False] * n
        self.failed_at = [0.0] * n
        self.starting: list[list[float]] = [[] for _ in range(n)]
        # Nodes moving to another size tier -> (when the move ends, the new size).
        self.resizing: dict[int, tuple[float, str]] = {}
        self.backlog = [[0.0] * NCLASS for _ in range(n)]
        self.warm = [1.0] * n
        self.rate = [p.get("rps", 0.0) for p in self.params]
        self.ramps: list[tuple[float, float, float, float] | None] = [None] * n
        self.link_extra = [0.0] * len(m.links)
        self.messages = [0.0] * n
        self.age = [0.0] * n
        self._side_waiting: list[list[tuple]] = [[] for _ in range(n)]  # store -> tiers to forward
        self.repl_backlog = [0.0] * n
        self.lag_s = [p.get("replication_lag_ms", 0.0) / 1000.0 for p in self.params]
        self.lost_writes = [0.0] * n
        self.sessions_lost = [0.0] * n
        # Per node: what its kind derived from the live parameters and state, kept while
        # nothing changes (``components.base.memo``); None until first needed.
        self.kind_memo: list[tuple[int, object] | None] = [None] * n
        self.rehashed: dict[int, tuple[float, float]] = {}  # tier -> (when, share of users kept)
        self.last_scale = [-math.inf] * n
        self.primary = [cluster[0] for cluster in m.clusters]
        self.promote_at: list[float | None] = [None] * len(m.clusters)
        self.cluster_writes = [0.0] * len(m.clusters)
        # Cluster -> {replica: writes it lacks}, while its primary is down.
        self.unreplicated: list[dict[int, float]] = [{} for _ in m.clusters]

    def _unavailable(self, i: int) -> bool:
        dc = self.model.dc_of[i]
        return self.failed[i] or (dc >= 0 and self.failed[dc])

    def _down_since(self, i: int) -> float:
        dc = self.model.dc_of[i]
        t = self.failed_at[i] if self.failed[i] else math.inf
        if dc >= 0 and self.failed[dc]:
            t = min(t, self.failed_at[dc])
        return t

    def _alive(self, i: int) -> int:
        if self._unavailable(i):
            return 0
        alive = self.inst[i] - len(self.dead_times[i])
        if i in self.resizing:
            alive -= 1  # the instance moving to its new box
        return max(alive, 0)

    def _server_constants(self, i: int) -> tuple[float, float]:
        """(servers per instance, service rate of one server in req/s) from the live
        parameters; they change only with an event (a set_param or a resize)."""
        p = self.params[i]
        if "service_ms" not in p:
            return 0.0, 0.0  # not a serving kind
        kind = self.model.kind_of[i]
        c = p["concurrency"] * SIZE_TIERS[p["size"]][0]
        mu = 1000.0 / (kind.service_time_ms(p) if self._own_service_time[i] else p["service_ms"])
        return c, mu

    def _dead_share(self, j: int, detect_s: float | None) -> tuple[float, float]:
        """(instances the sender believes up, share of its flow that reaches dead ones).

        ``detect_s`` None: a sender without health checks spreads over all instances.
        """
        inst = self.inst[j]
        if inst <= 0:
            return 0.0, 0.0
        if self._unavailable(j):
            if detect_s is not None and self.now - self._down_since(j) >= detect_s:
                return 0.0, 0.0
            return float(inst), 1.0
        dead = len(self.dead_times[j])
        if detect_s is None:
            return float(inst), dead / inst
        alive = inst - dead
        undetected = sum(1 for t in self.dead_times[j] if self.now - t < detect_s)
        believed = alive + undetected
        return float(believed), (undetected / believed if believed else 0.0)

    # --- public API --------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        """True once the scenario's duration is reached or an aborting check failed."""
        return self.aborted or self.now >= self.duration - EPS

    def run(self, until: float | None = None) -> Frame:
        """Step until ``now >= until`` (s) or, without ``until``, until finished; last frame.

        With nothing left to run it returns the latest frame (stepping once if there is none).
        """
        while True:
            if until is None and self.finished:
                break
            if until is not None and (self.now >= until - EPS or self.aborted):
                break
            self.step()
        return self.frame if self.frame is not None else self.step()

    def apply(self, control: dict) -> list[dict]:
        """Apply a live control between ticks; return the events it caused.

        Raises ControlError naming what is wrong with a bad control.
        """
        control = control_or_raise(control, self.document)
        before = len(self._pending_events)
        self._apply(control)
        return self._pending_events[before:]

    def report(self) -> dict:
        """The CLI JSON object (DESIGN.md "CLI output"): averages after warm-up, series, checks."""
        return self.report_data.to_json()

    # --- one tick ------------------------------------------------------------------------

    def step(self) -> Frame:
        """Advance one tick of ``tick_s`` seconds and return its Frame."""
        m = self.model
        n = m.size
        dt = self.dt
        t0 = self.now
        while self._faults and self._faults[0]["at"] <= t0 + EPS:
            self._apply(self._faults.pop(0))
        while self._traffic and self._traffic[0]["at"] <= t0 + EPS:
            item = self._traffic.pop(0)
            i = m.index[item["source"]]
            start = self._client_rate(i, t0)
            self.ramps[i] = (t0, item["ramp_s"], start, item["rps"])
            self._event(
                i,
                "traffic",
                f"{item['source']} traffic -> {item['rps']:g} req/s"
                + (f" over {item['ramp_s']:g} s" if item["ramp_s"] else ""),
            )
        if self.resizing:
            self.finish_resizes()
        for i in range(n) if any(self.starting) else ():
            if self.starting[i]:
                before = self.inst[i]
                self.start_ready(i)
                if self.inst[i] != before:
                    ready = self.inst[i] - before
                    plural = "instance" if ready == 1 else "instances"
                    self._event(i, "ready", f"{m.ids[i]}: {ready} {plural} ready")
        if self._dirty or self._promotions_pending:
            self.alive = [self._alive(i) for i in range(n)]
            self._servers = [self._server_constants(i) for i in range(n)]
            self.passive_dead = [self._dead_share(i, None)[1] for i in range(n)]
            self._update_clusters()
            self._detection_s = self._max_detection()
        if self._timed_dead and (
            self._dirty or self._promotions_pending
            or t0 - self._last_failure <= self._detection_s + dt
        ):  # fmt: skip
            for i in self._timed_dead:
                self.passive_dead[i] = m.kind_of[i].seen_dead(self, i)
        rates = {}
        for i in self._sources:
            rate = self._client_rate(i, t0)
            if self.scenario["noise"] and rate > 0.0:
                rate = self._poisson(rate * dt) / dt
            rates[i] = rate
        signature = self._signature(rates)
        self._dirty = False
        if signature is not None and signature == self._last_signature:
            return self._repeat(t0)
        self._last_signature = signature
        self._unsettled = False  # set by any node still changing (backlog, warming, ...)

        # Arrivals this tick, flat by node then class (index i * NCLASS + k): the rate of
        # live arrivals, the rate-weighted first and second moments of the latency they
        # carry, and the rate that reached dead instances.
        size = n * NCLASS
        self.in_r = [0.0] * size
        self.in_m1 = [0.0] * size
        self.in_m2 = [0.0] * size
        self.in_dead = [0.0] * size
        self.in_ca2 = [0.0] * n
        self.link_flow = [0.0] * len(m.links)
        self.exits: list[list[tuple[float, float, float]]] = [[] for _ in range(NCLASS)]
        self.sync_dropped = 0.0
        self.offered_total = 0.0
        nodes: list[NodeFrame | None] = [None] * n
        client, router, server = self._client, self._router, self._server
        for i, role in self._roles_in_order:
            if role == CLIENT:
                nodes[i] = client(i, rates[i])
            elif role == ROUTER:
                nodes[i] = router(i)
            else:
                nodes[i] = server(i)
        for i in self._groups:
            nodes[i] = self._group_frame(i)
        self.now = t0 + dt
        self.tick += 1
        self._autoscale(nodes)
        frame = self._frame(nodes)
        self._last_nodes = nodes
        self._last_frame = frame
        return self._finish(frame, t0)

    def _finish(self, frame: Frame, t0: float) -> Frame:
        self.frame = frame
        self._run_checks(frame, t0)
        self.events.extend(self._pending_events)
        frame.events = self._pending_events
        self._pending_events = []
        self.report_data.add(frame)
        return frame

    def _signature(self, rates: dict[int, float]) -> tuple | None:
        """What a quiet tick's numbers depend on, or None when the tick must be computed.

        Quiet: no events, no noise, no backlog, stored message, cold cache,
        replication backlog, pending promotion or failure still being detected.
        Two quiet ticks with equal signatures have identical numbers.
        """
        if self._pending_events or self.scenario["noise"]:
            return None
        if self._unsettled or self._promotions_pending:
            return None
        if self.now - self._last_failure <= self._detection_s + self.dt:
            return None
        return (tuple(rates.values()), tuple(self.lag_s), tuple(self.cluster_writes),
                tuple(self.inst))  # fmt: skip

    def _max_detection(self) -> float:
        delays = [0.0]
        kind_of = self.model.kind_of
        for i in self._detectors:
            p = self.params[i]
            delays.append(sum(p[name] for name in kind_of[i].detection_params))
        return max(delays)

    def _repeat(self, t0: float) -> Frame:
        """A quiet tick equal to the last one: reuse its numbers."""
        self.now = t0 + self.dt
        self.tick += 1
        last = self._last_frame
        self._autoscale(self._last_nodes)
        frame = Frame(self.tick, self.now, self.dt, last.nodes, last.links, last.globals, [],
                      last.latency_parts)  # fmt: skip
        return self._finish(frame, t0)

    def _client_rate(self, i: int, t: float) -> float:
        ramp = self.ramps[i]
        if ramp is not None:
            start_t, length, start, end = ramp
            frac = min((t - start_t) / length, 1.0) if length > 0.0 else 1.0
            self.rate[i] = start + (end - start) * frac
            if frac >= 1.0:
                self.ramps[i] = None
        rate = self.rate[i]
        shaped = self._shaping.get(i)
        if shaped is not None:
            spikes, waves = shaped
            for spike in spikes:
                if spike["at"] <= t + EPS < spike["at"] + spike["duration_s"]:
                    rate += spike["rps"]
            for wave in waves:
                phase = 2.0 * math.pi * (t - wave["peak_s"]) / wave["period_s"]
                rate *= 1.0 + wave["amplitude"] * math.cos(phase)
        # Below one request in about thirty years a rate is zero: such rates only reach
        # subnormal floats downstream, where sums lose their precision.
        return rate if rate >= MIN_RPS else 0.0

    def _client(self, i: int, rate: float) -> NodeFrame:
        mix = self.params[i]["mix"]
        emitted = [rate * mix[name] for name in CLASS_NAMES]
        self.offered_total += rate
        dropped = 0.0
        for k in range(SYNC):
            if emitted[k] <= 0.0:
                continue
            targets = self.model.routes[i][k]
            if not targets:
                dropped += emitted[k]
                continue
            share = 1.0 / len(targets)
            for j, li in targets:
                dead = self.passive_dead[j]
                self._send(j, li, k, emitted[k] * share, 0.0, 0.0, 1.0, dead)
        self.sync_dropped += dropped
        health, reason = ("critical", "no target") if dropped > 0 else ("ok", None)
        return NodeFrame(
            "up",
            health,
            reason,
            rate,
            rate - dropped,
            0.0,
            dropped,
            0.0,
            0.0,
            0.0,
            1,
            1,
            {"rps": rate},
        )

    def _poisson(self, mean: float) -> float:
        if mean < 30.0:
            limit, k, prod = math.exp(-mean), 0, self.random.random()
            while prod > limit:
                k += 1
                prod *= self.random.random()
            return float(k)
        return max(0.0, round(self.random.gauss(mean, math.sqrt(mean))))

    # --- sending ---------------------------------------------------------------------------

    def _send(
        self, j: int, li: int, k: int, rate: float, m1: float, m2: float, ca2: float, dead: float
    ) -> None:
        """Deliver ``rate`` of class ``k`` over link ``li`` to node ``j``.

        ``m1``, ``m2`` are the first two moments (s, s^2) of the latency so far;
        ``dead`` is the share that reaches dead instances (dropped at ``j``).
        """
        if rate <= 0.0:
            return
        m = self.model
        self.link_flow[li] += rate
        lat = m.link_base_s[li] + self.link_extra[li]
        cluster = m.cluster_of[j]
        if cluster >= 0:
            # The member reached (primary or replica) may sit in another data centre
            # than the linked one: the crossing is paid to that member.
            cross = m.member_cross_s[li]
            for r, frac in self._cluster_targets(cluster, k):
                d = lat + cross[r]
                self._arrive(r, k, rate * frac, m1 + d, m2 + 2.0 * m1 * d + d * d, ca2, 0.0)
            return
        lat += m.link_cross_s[li]
        if lat > 0.0:
            m2 = m2 + 2.0 * m1 * lat + lat * lat
            m1 = m1 + lat
        if self._skipped_when_down[j] and self.alive[j] == 0:
            # A dead node of a skipped kind passes its requests on along its routes
            # (a dead cache: every read goes on to the database, a stampede).
            targets = m.routes[j][k]
            if targets:
                for b, lb in targets:
                    self._send(b, lb, k, rate / len(targets), m1, m2, ca2, 0.0)
                return
        # _arrive, inlined: this is the hottest call of a tick.
        at = j * NCLASS + k
        if dead > 0.0:
            self.in_dead[at] += rate * dead
            rate *= 1.0 - dead
            if rate <= 0.0:
                return
        self.in_r[at] += rate
        self.in_m1[at] += rate * m1
        self.in_m2[at] += rate * m2
        self.in_ca2[j] += rate * ca2

    def _arrive(
        self, j: int, k: int, rate: float, m1: float, m2: float, ca2: float, dead: float
    ) -> None:
        live = rate * (1.0 - dead)
        at = j * NCLASS + k
        if dead > 0.0:
            self.in_dead[at] += rate * dead
        if live > 0.0:
            self.in_r[at] += live
            self.in_m1[at] += live * m1
            self.in_m2[at] += live * m2
            self.in_ca2[j] += live * ca2

    # --- nodes -----------------------------------------------------------------------------

    def _router(self, i: int) -> NodeFrame:
        m = self.model
        base = i * NCLASS
        lam = self.in_r[base : base + NCLASS]
        dead_in = self.in_dead[base : base + NCLASS]
        offered = sum(lam) + sum(dead_in)
        ca2_in = self.in_ca2[i] / sum(lam) if sum(lam) > 0 else 1.0
        dropped = sum(dead_in)
        self._count_drops(dead_in)
        if self.alive[i] == 0:
            # A failed router (or one in a failed data centre) passes nothing on.
            self._count_drops(lam)
            status, health, reason = self._health(i, 0, 0.0, 0.0, 0.0, None, 0.0, offered)
            return NodeFrame(status, health, reason, offered, 0.0, 0.0, offered, 0.0, 0.0, 0.0,
                             1, 0, {})  # fmt: skip
        kind = m.kind_of[i]
        p = self.params[i]
        for k in range(NCLASS):
            if lam[k] <= 0.0:
                continue
            targets = m.routes[i][k]
            weights = kind.weights(self, i, p, targets)
            total = sum(weights)
            if total <= 0.0:
                dropped += lam[k]
                if k < SYNC:
                    self.sync_dropped += lam[k]
                continue
            m1 = self.in_m1[base + k] / lam[k]
            m2 = self.in_m2[base + k] / lam[k]
            for (j, li), w in zip(targets, weights, strict=True):
                if w <= 0.0:
                    continue
                share = w / total
                dead = self.passive_dead[j]
                self._send(j, li, k, lam[k] * share, m1, m2, share * ca2_in + 1 - share, dead)
        served = offered - dropped
        health, reason = ("ok", None)
        if dropped > EPS:
            health, reason = "critical", "no healthy target"
        return NodeFrame(
            "up", health, reason, offered, served, 0.0, dropped, 0.0, 0.0, 0.0, 1, 1, {}
        )

    def _count_drops(self, dropped: list[float]) -> None:
        for k in range(SYNC):
            self.sync_dropped += dropped[k]

    def _server(self, i: int) -> NodeFrame:
        m = self.model
        kind = m.kind_of[i]
        p = self.params[i]
        dt = self.dt
        base = i * NCLASS
        lam = self.in_r[base : base + NCLASS]
        dropped = self.in_dead[base : base + NCLASS]
        dead_total = sum(dropped)
        in_total = sum(lam)
        n = self.alive[i]
        c, mu = self._servers[i]
        cap = n * c * mu
        lam_total = in_total
        reason = None
        if lam_total > 0.0 and n > 0 and self._refuses[i]:
            reason = kind.refuse(self, i, p, n, lam, dropped)
            if reason is not None:
                lam_total = sum(lam)
        ca2 = self.in_ca2[i] / in_total if in_total > 0.0 else 1.0
        if n > 1 and not m.upstream_balanced[i]:
            ca2 = ca2 / n + 1.0 - 1.0 / n
        if self._serves[i]:
            own = kind.serve(self, i, p, lam, dropped, n, c, mu, ca2)
            if own is not None:
                return own
        backlog = self.backlog[i]
        b_before = sum(backlog)
        served = [0.0] * NCLASS
        w = v = p95 = util = 0.0
        cd2 = 1.0
        if n == 0:
            for k in range(NCLASS):
                dropped[k] += lam[k] + backlog[k] / dt
                backlog[k] = 0.0
            if reason is None:
                reason = "dead"
        elif not kind.queues:
            # Workers pull only what they can process: no waiting here (it is in the queue).
            served = lam
            w, v = 1.0 / mu, 1.0 / (mu * mu)
            p95 = gamma_p95_ms(w, v)
            util = min(lam_total / cap, 1.0) if cap > 0 else 0.0
        elif b_before <= EPS and lam_total < cap:
            key = (lam_total / n, mu, c, ca2, p["queue_limit"], p["timeout_ms"])
            steady = self._steady_memo.get(key)
            if steady is None:
                if len(self._steady_memo) > 50_000:
                    self._steady_memo.clear()
                steady = self._steady_memo[key] = node_steady_state(*key)
            drop_frac, w, v, p95, util, cd2 = steady
            if drop_frac == 0.0:
                served = lam
            else:
                for k in range(NCLASS):
                    served[k] = lam[k] * (1.0 - drop_frac)
                    dropped[k] += lam[k] * drop_frac
        elif (
            p["queue_limit"] is not None
            and lam_total >= cap
            and b_before >= p["queue_limit"] * n - EPS
        ):
            # A full limited queue under overload is in M/M/c/K's steady state: it stays
            # full and blocks. Below capacity it drains (the next branch).
            st = mmck(lam_total / n, mu, c, p["queue_limit"])
            full = p["queue_limit"] * n
            keep = full / b_before if b_before > full else 1.0
            for k in range(NCLASS):
                served[k] = lam[k] * (1.0 - st.block_prob)
                dropped[k] += lam[k] * st.block_prob + backlog[k] * (1.0 - keep) / dt
                backlog[k] *= keep
            w, v, util = st.mean_response, st.response_var, st.rho
            p95 = gamma_p95_ms(w, v)
        else:
            arrivals = [lam[k] * dt for k in range(NCLASS)]
            total = b_before + lam_total * dt
            done = min(total, cap * dt)
            frac = done / total if total > 0 else 0.0
            after = total - done
            limit = math.inf
            if p["queue_limit"] is not None:
                limit = p["queue_limit"] * n
            if p["timeout_ms"] is not None:
                limit = min(limit, p["timeout_ms"] / 1000.0 * cap)
            keep = limit / after if after > limit else 1.0
            for k in range(NCLASS):
                have = backlog[k] + arrivals[k]
                served[k] = have * frac / dt
                rest = have * (1.0 - frac)
                backlog[k] = rest * keep
                dropped[k] += (rest - backlog[k]) / dt
            b_after = sum(backlog)
            mean_wait = 0.5 * (b_before + b_after) / cap
            spread = (b_after - b_before) / cap
            w = mean_wait + 1.0 / mu
            v = 1.0 / (mu * mu) + spread * spread / 12.0
            p95 = gamma_p95_ms(w, v)
            util = done / (cap * dt)
        served_total = sum(served)
        if kind.side_store:
            # Its load is the web tiers' session lookups, already counted where they came from.
            return self._side_frame(i, n, util, lam_total, dead_total, served_total, dropped,
                                    backlog, b_before, w, v, p95, reason)  # fmt: skip
        self.sync_dropped += dropped[0] + dropped[1] + dropped[2] + dropped[3]
        forward = self._forward
        side = m.session_store_of[i]
        if side >= 0 and not p.get("stateful", False):
            for k in range(SYNC):
                self._send(side, m.session_link_of[i], k, served[k], 0.0, 0.0, 1.0, 0.0)
            forward = self._forward_after_store
        unplaced = forward(i, kind, p, lam, served, w, v, cd2)
        for k, lost in enumerate(unplaced or ()):
            if lost > 0.0:
                served[k] = max(served[k] - lost, 0.0)
                dropped[k] += lost
                served_total = sum(served)
                reason = reason or "no healthy target"
                if k < SYNC:
                    self.sync_dropped += lost
        drop_total = sum(dropped)
        queued = sum(backlog)
        if queued > 0.0:
            self._unsettled = True
        x = kind.extra(self, i, p) if self._extras[i] else {}
        offered = in_total + dead_total
        status, health, reason = self._health(
            i, n, util, drop_total - dead_total, dead_total, reason, queued, offered
        )
        return NodeFrame(
            status,
            health,
            reason,
            offered,
            served_total,
            queued,
            drop_total,
            util,
            w * 1000.0,
            p95,
            self.inst[i] + len(self.starting[i]),
            n,
            x,
            b_before,
            v,
        )

    def _side_frame(self, i: int, n: int, util: float, lam_total: float, dead_total: float,
                    served_total: float, dropped: list[float], backlog: list[float],
                    b_before: float, w: float, v: float, p95: float | Callable[[], float],
                    reason: str | None) -> NodeFrame:  # fmt: skip
        self._forward_waiting(i, w, v)
        drop_total = sum(dropped)
        queued = sum(backlog)
        if queued > 0.0:
            self._unsettled = True
        status, health, reason = self._health(
            i, n, util, drop_total - dead_total, dead_total, reason, queued, lam_total + dead_total
        )
        return NodeFrame(status, health, reason, lam_total + dead_total, served_total, queued,
                         drop_total, util, w * 1000.0, p95,
                         self.inst[i] + len(self.starting[i]), n, {}, b_before, v)  # fmt: skip

    def _forward_after_store(
        self,
        i: int,
        kind: Kind,
        p: dict,
        lam: list[float],
        served: list[float],
        w: float,
        v: float,
        cd2: float,
    ) -> None:
        """``_forward`` for a stateless tier, held until its session store has run this tick.

        The store runs after every tier that uses it and before their targets, so the
        tier's requests carry the store's latency of this tick. Nothing is lost here:
        only a balancer's forward can lose requests, and this is a web tier.
        """
        self._side_waiting[self.model.session_store_of[i]].append(
            (i, kind, p, lam, served, w, v, cd2)
        )

    def _forward_waiting(self, s: int, sw: float, sv: float) -> None:
        """Session store ``s`` has run: its tiers forward, adding its latency (mean, variance)
        and their link's to it (its latency and any data-centre crossing, as on any hop)."""
        m = self.model
        waiting, self._side_waiting[s] = self._side_waiting[s], []
        for i, kind, p, lam, served, w, v, cd2 in waiting:
            li = m.session_link_of[i]
            hop = m.link_base_s[li] + m.link_cross_s[li] + self.link_extra[li]
            self._forward(i, kind, p, lam, served, w + sw + hop, v + sv, cd2)

    def _forward(
        self,
        i: int,
        kind: Kind,
        p: dict,
        lam: list[float],
        served: list[float],
        w: float,
        v: float,
        cd2: float,
    ) -> list[float] | None:
        """Send each class on (or let it complete here); return what could not be placed
        per class, or None when everything was."""
        total = sum(served)
        lost = None
        base = i * NCLASS
        in_r, in_m1, in_m2 = self.in_r, self.in_m1, self.in_m2
        routes = self.model.routes[i]
        answers = self._answers[i]
        for k in range(NCLASS):
            s = served[k]
            if s <= 0.0:
                continue
            if lam[k] > 0.0:
                at = base + k
                mean_in = in_m1[at] / in_r[at]
                e2_in = in_m2[at] / in_r[at]
            else:
                mean_in = e2_in = 0.0
            m1 = mean_in + w
            m2 = e2_in + 2.0 * mean_in * w + v + w * w
            if not routes[k]:
                done = 1.0
            else:
                done = kind.answered(self, i, p, k) if answers else 0.0
            if done > 0.0:
                self.exits[k].append((s * done, m1, m2))
            rest = s * (1.0 - done)
            if rest <= 0.0:
                continue
            share_out = rest / total if total > 0 else 1.0
            unplaced = kind.send_on(self, i, p, k, rest, m1, m2, cd2, share_out)
            if unplaced > 0.0:
                if lost is None:
                    lost = [0.0] * NCLASS
                lost[k] = unplaced
        return lost

    def _health(
        self,
        i: int,
        n: int,
        util: float,
        dropped: float,
        dead: float,
        reason: str | None,
        queued: float,
        offered: float,
    ) -> tuple[str, str, str | None]:
        """(status, health, reason): graded by utilisation, backlog and the share of the
        ``offered`` req/s that is ``dropped`` (``dead``: sent to dead instances)."""
        total = self.inst[i]
        if n == 0:
            if self.starting[i] and not self._unavailable(i) and not self.dead_times[i]:
                return "starting", "starting", reason or "starting"
            dc = self.model.dc_of[i]
            if dc >= 0 and self.failed[dc]:
                return "down", "down", "datacenter down"
            if i in self.resizing and not self.failed[i] and not self.dead_times[i]:
                return "down", "down", "resizing"
            return "down", "down", reason or "dead"
        status = "degraded" if n < total else "up"
        if dead > EPS:
            return status, "critical", reason or "traffic to a dead instance"
        drop_share = dropped / offered if offered > 0.0 else (1.0 if dropped > EPS else 0.0)
        if queued > EPS and dropped > EPS:
            return status, "critical", reason or "backlog full"
        if drop_share >= DROP_CRITICAL:
            saturated = util >= CRITICAL_UTIL
            return status, "critical", reason or ("saturated" if saturated else "dropping requests")
        if util >= CRITICAL_UTIL or queued > EPS:
            return status, "critical", reason or "saturated"
        if drop_share >= DROP_WARN:
            return status, "warning", reason or "dropping requests"
        if util >= WARN_UTIL:
            return status, "warning", reason or "near saturation"
        if status == "degraded":
            out = "resizing" if i in self.resizing else "instances down"
            return status, "warning", reason or out
        if reason:
            return status, "warning", reason
        return status, "ok", None

    def _group_frame(self, i: int) -> NodeFrame:
        down = self.failed[i]
        return NodeFrame(
            "down" if down else "up",
            "down" if down else "ok",
            "dead" if down else None,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            1,
            0 if down else 1,
            {},
        )

    # --- after the tick ----------------------------------------------------------------------

    def _autoscale(self, nodes: list[NodeFrame]) -> None:
        for i in self._scalers:
            p = self.params[i]
            if not p["autoscale"]:
                continue
            if self.now - self.last_scale[i] < p["cooldown_s"] - EPS:
                continue
            node = nodes[i]
            alive = node.ready
            factor = SIZE_TIERS[p["size"]][0]
            per_instance = p["concurrency"] * factor * 1000.0 / p["service_ms"]
            demand = node.offered + node.queued / self.dt
            current = self.inst[i] + len(self.starting[i]) - len(self.dead_times[i])
            needed = demand / (per_instance * p["target_util"]) if per_instance > 0 else current
            desired = min(max(math.ceil(needed - 1e-6), p["min_instances"]), p["max_instances"])
            if alive == 0 and not self.starting[i] and i not in self.resizing:
                desired = max(desired, current + 1)
            if desired > current or (desired < current and needed < current * 0.8):
                self.scale_to(i, desired + len(self.dead_times[i]), "autoscaled")
                self.last_scale[i] = self.now

    def _frame(self, nodes: list[NodeFrame]) -> Frame:
        m = self.model
        exits = tuple(tuple(self.exits[k]) for k in range(SYNC))
        last_exits, latency = self._latency_memo
        if exits != last_exits:
            latency = exit_latencies(exits)
            self._latency_memo = (exits, latency)
        completed, weighted_mean, classes, overall, parts = latency
        dropped = self.sync_dropped
        attempts = completed + dropped
        error_rate = dropped / attempts if attempts > 0 else 0.0
        cost = self._cost_per_hour()
        glob = {
            "offered_rps": self.offered_total,
            "throughput_rps": completed,
            "dropped_rps": dropped,
            "error_rate": error_rate,
            "availability": 1.0 - error_rate,
            "mean_ms": weighted_mean / completed * 1000.0 if completed > 0 else 0.0,
            **overall,
            "classes": classes,
            "cost_per_hour": cost,
        }
        node_map = dict(zip(m.ids, nodes, strict=True))
        links = [(a, b, flow) for (a, b), flow in zip(self._link_ids, self.link_flow, strict=True)]
        return Frame(self.tick, self.now, self.dt, node_map, links, glob, [], parts)

    def _cost_per_hour(self) -> float:
        """Every serving instance at its size tier's price; kept until the next event
        (only events change instances, starting ones or sizes)."""
        changes, cost = self._cost
        if changes != self.changes:
            cost = 0.0
            for i in self._sized:
                price = SIZE_TIERS[self.params[i]["size"]][1]
                cost += (self.inst[i] + len(self.starting[i])) * price
            self._cost = (self.changes, cost)
        return cost

    def _run_checks(self, frame: Frame, t0: float) -> None:
        for check in self.checks:
            spec = check.spec
            if spec["component"] is not None:
                value = getattr(frame.nodes[spec["component"]], spec["metric"])
            else:
                value = frame.globals[spec["metric"]]
            if check.update(value, t0, self.now):
                self._event(None, "check_failed", f"check failed: {spec['name']}")
                if spec["abort"]:
                    self.aborted = True
                    self._event(None, "aborted", f"run aborted by check: {spec['name']}")
