"""The tick engine: a clock over the parts of a run, one tick at a time.

Each tick applies the faults and traffic changes that are due, refreshes routing after
any event, then runs every node in topological order (``sources.client_tick``,
``routing.router_tick``, ``serving.Serving.tick``) over one shared ``State`` and builds
the Frame. A quiet tick (nothing changed, nothing still settling) reuses the last one.
"""

from __future__ import annotations

from .autoscale import Autoscaler
from .checks import CheckState
from .clusters import Clusters
from .components import SIZE_TIERS
from .components.base import EPS, SYNC, overrides
from .controls import Controls
from .document import validate_document
from .explain import explanations, names
from .frame import Frame, NodeFrame
from .latency import exit_latencies
from .limits import Limits
from .model import CLIENT, ROUTER, Model, compile_design
from .noise import LatencyNoise, counted_tick
from .report import Report
from .retries import Retries, uses_retries
from .routing import group_frame, router_tick
from .scenario import control_or_raise, validate_scenario
from .serving import Serving
from .sources import Sources, client_tick
from .state import State


class Engine:
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
        self.model: Model = compile_design(self.document)
        self.dt = self.scenario["tick_s"]
        self.duration = self.scenario["duration_s"]
        self.warmup_s = self.scenario.get("warmup_s", min(60.0, 0.1 * self.duration))
        self.tick = 0
        self.aborted = False
        self.events: list[dict] = []
        self.frame: Frame | None = None  # the latest frame

        m = self.model
        labels = names(self.document)
        self.state = state = State(m, self.dt, [labels[cid] for cid in m.ids])
        self.sources = Sources(state, self.scenario, self.seed)
        self.clusters = Clusters(state)
        state.clusters = state.flow.clusters = self.clusters
        self.controls = Controls(state, self.sources, self.clusters)
        noise = LatencyNoise(m, self.sources.random) if self.sources.noise else None
        self.serving = Serving(state, noise)
        self.autoscaler = Autoscaler(state, self.controls)
        # Clients' deadlines, retries and breakers: None when no client has any.
        retrying = any(uses_retries(state.params[i]) for i in state.sources)
        self.retries = Retries(state) if retrying else None
        self.checks = [CheckState(spec) for spec in self.scenario["checks"]]
        self.report_data = Report(self)

        self._faults = list(self.scenario["faults"])
        self._roles_in_order = [(i, m.role[i]) for i in m.order]
        self._groups = sorted(set(range(m.size)) - set(m.order))
        self._detectors = [i for i, kind in enumerate(m.kind_of) if kind.detection_params]
        self._detection_s = 0.0
        # Nodes whose senders' view of their dead instances moves with time (a balancer
        # pair failing over): refreshed every tick while a failure is being detected.
        self._timed_dead = [i for i, kind in enumerate(m.kind_of) if overrides(kind, "seen_dead")]
        self._sized = [i for i, p in enumerate(m.params) if "size" in p]
        self._link_ids = [(m.ids[a], m.ids[b]) for a, b in m.links]
        self._last_signature: tuple | None = None
        self._last_nodes: list[NodeFrame] = []
        self._last_frame: Frame | None = None
        self._latency_memo: tuple = ((), {})
        # With noise: the last tick's percentiles, to solve the next tick's from.
        self._warm_latency: dict | None = {} if self.sources.noise else None
        self._cost = (-1, 0.0)  # (changes, cost per hour) until an event changes it
        self._explained: tuple = (None, {})  # (the frame's nodes, their explanations)

    # --- public API --------------------------------------------------------------------

    @property
    def now(self) -> float:
        """Simulated seconds since the start."""
        return self.state.now

    @property
    def finished(self) -> bool:
        """True once the scenario's duration is reached or an aborting check failed."""
        return self.aborted or self.state.now >= self.duration - EPS

    def run(self, until: float | None = None) -> Frame:
        """Step until ``now >= until`` (s) or, without ``until``, until finished; last frame.

        With nothing left to run it returns the latest frame (stepping once if there is none).
        """
        while True:
            if until is None and self.finished:
                break
            if until is not None and (self.state.now >= until - EPS or self.aborted):
                break
            self.step()
        return self.frame if self.frame is not None else self.step()

    def apply(self, control: dict) -> list[dict]:
        """Apply a live control between ticks; return the events it caused.

        Raises ControlError naming what is wrong with a bad control.
        """
        control = control_or_raise(control, self.document)
        pending = self.state.pending_events
        before = len(pending)
        self.controls.apply(control)
        return pending[before:]

    def explain(self) -> dict[str, dict]:
        """Why each unhealthy component of the latest frame is so, and what would fix it
        (``explain.explanations``): by component id."""
        if self.frame is None:
            return {}
        nodes, explained = self._explained
        if nodes is not self.frame.nodes:  # a repeated quiet tick keeps its nodes
            explained = explanations(self.state, self.frame)
            self._explained = (self.frame.nodes, explained)
        return explained

    def report(self) -> dict:
        """The CLI JSON object (DESIGN.md "CLI output"): averages after warm-up, series, checks."""
        return self.report_data.to_json()

    # --- one tick ------------------------------------------------------------------------

    def step(self) -> Frame:
        """Advance one tick of ``tick_s`` seconds and return its Frame."""
        state = self.state
        controls = self.controls
        dt = self.dt
        t0 = state.now
        while self._faults and self._faults[0]["at"] <= t0 + EPS:
            controls.apply(self._faults.pop(0))
        if self.sources.schedule:
            self.sources.start_traffic(t0)
        if state.resizing:
            controls.finish_resizes()
        if any(state.starting):
            controls.ready_all()
        clusters = self.clusters
        if state.dirty or clusters.promotions_pending:
            state.refresh()
            clusters.update()
            self._detection_s = self._max_detection()
        if self._timed_dead and (
            state.dirty or clusters.promotions_pending
            or t0 - state.last_failure <= self._detection_s + dt
        ):  # fmt: skip
            kind_of = self.model.kind_of
            for i in self._timed_dead:
                state.passive_dead[i] = kind_of[i].seen_dead(state, i)
        rates = self.sources.rates(t0, dt)
        if self.retries is not None:
            rates = self.retries.offered(rates, t0)
        signature = self._signature(rates)
        state.dirty = False
        if signature is not None and signature == self._last_signature:
            return self._repeat(t0)
        self._last_signature = signature
        state.unsettled = False  # set by any node still changing (backlog, warming, ...)

        state.flow.reset()
        nodes: list[NodeFrame | None] = [None] * self.model.size
        serve = self.serving.tick
        for i, role in self._roles_in_order:
            if role == CLIENT:
                nodes[i] = client_tick(state, i, rates[i])
            elif role == ROUTER:
                nodes[i] = router_tick(state, i)
            else:
                nodes[i] = serve(i)
        for i in self._groups:
            nodes[i] = group_frame(state, i)
        counted = counted_tick(state, self.sources.counts, nodes) if self.sources.noise else None
        state.now = t0 + dt
        self.tick += 1
        if self.autoscaler.scalers:
            self.autoscaler.after_tick(nodes)
        frame = self._frame(nodes, counted)
        if self.retries is not None:
            self.retries.after_tick(frame)
        self._last_nodes = nodes
        self._last_frame = frame
        return self._finish(frame, t0)

    def _finish(self, frame: Frame, t0: float) -> Frame:
        state = self.state
        self.frame = frame
        self._run_checks(frame, t0)
        self.events.extend(state.pending_events)
        frame.events = state.pending_events
        state.pending_events = []
        self.report_data.add(frame)
        return frame

    def _signature(self, rates: dict[int, float]) -> tuple | None:
        """What a quiet tick's numbers depend on, or None when the tick must be computed.

        Quiet: no events, no noise, no backlog, stored message, cold cache,
        replication backlog, pending promotion or failure still being detected.
        Two quiet ticks with equal signatures have identical numbers.
        """
        state = self.state
        if state.pending_events or self.sources.noise:
            return None
        if state.unsettled or self.clusters.promotions_pending:
            return None
        if state.now - state.last_failure <= self._detection_s + self.dt:
            return None
        watched = tuple([tuple(values) for values in state.watched])
        return (tuple(rates.values()), watched, tuple(self.clusters.writes), tuple(state.inst))

    def _max_detection(self) -> float:
        kind_of = self.model.kind_of
        params = self.state.params
        return max([0.0] + [sum(params[i][name] for name in kind_of[i].detection_params)
                            for i in self._detectors])  # fmt: skip

    def _repeat(self, t0: float) -> Frame:
        """A quiet tick equal to the last one: reuse its numbers."""
        self.state.now = t0 + self.dt
        self.tick += 1
        last = self._last_frame
        if self.autoscaler.scalers:
            self.autoscaler.after_tick(self._last_nodes)
        frame = Frame(self.tick, self.state.now, self.dt, last.nodes, last.links, last.globals,
                      [], last.latency_parts)  # fmt: skip
        return self._finish(frame, t0)

    # --- after the tick ----------------------------------------------------------------------

    def _frame(self, nodes: list[NodeFrame], counted: tuple | None = None) -> Frame:
        flow = self.state.flow
        exits = tuple(tuple(flow.exits[k]) for k in range(SYNC))
        last_exits, latency = self._latency_memo
        if exits != last_exits:
            latency = exit_latencies(exits, self._warm_latency)
            self._latency_memo = (exits, latency)
        completed, weighted_mean, classes, overall, parts = latency
        dropped = flow.sync_dropped
        offered = flow.offered_total
        mean_ms = weighted_mean / completed * 1000.0 if completed > 0 else 0.0
        link_flow = flow.link_flow
        if counted is not None:
            whole, factors = counted
            offered, completed, dropped = offered * whole, completed * whole, dropped * whole
            classes = {name: {**law, "rps": law["rps"] * whole} for name, law in classes.items()}
            senders = self.model.links
            link_flow = [rate * factors[a] for rate, (a, _) in zip(link_flow, senders, strict=True)]
        attempts = completed + dropped
        error_rate = dropped / attempts if attempts > 0 else 0.0
        glob = {
            "offered_rps": offered,
            "throughput_rps": completed,
            "dropped_rps": dropped,
            "error_rate": error_rate,
            "availability": 1.0 - error_rate,
            "mean_ms": mean_ms,
            **overall,
            "classes": classes,
            "cost_per_hour": self._cost_per_hour(),
            "goodput_rps": completed,  # served within the clients' deadlines (retries.py)
            "late_rps": 0.0,  # served after their client gave up
        }
        node_map = dict(zip(self.model.ids, nodes, strict=True))
        links = [(a, b, f) for (a, b), f in zip(self._link_ids, link_flow, strict=True)]
        return Frame(self.tick, self.state.now, self.dt, node_map, links, glob, [], parts)

    def _cost_per_hour(self) -> float:
        """Every serving instance at its size tier's price; kept until the next event
        (only events change instances, starting ones or sizes)."""
        state = self.state
        changes, cost = self._cost
        if changes != state.changes:
            cost = 0.0
            for i in self._sized:
                price = SIZE_TIERS[state.params[i]["size"]][1]
                cost += (state.inst[i] + len(state.starting[i])) * price
            self._cost = (state.changes, cost)
        return cost

    def _run_checks(self, frame: Frame, t0: float) -> None:
        for check in self.checks:
            spec = check.spec
            if spec["component"] is not None:
                value = getattr(frame.nodes[spec["component"]], spec["metric"])
            else:
                value = frame.globals[spec["metric"]]
            if check.update(value, t0, self.state.now):
                self.state.event(None, "check_failed", f"check failed: {spec['name']}")
                if spec["abort"]:
                    self.aborted = True
                    self.state.event(None, "aborted", f"run aborted by check: {spec['name']}")
