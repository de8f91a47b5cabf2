"""Clients' deadlines, retries and circuit breakers, and the goodput they leave.

A client with ``timeout_ms`` T judges each attempt: it fails if it is dropped anywhere
or its end-to-end latency passes T. The server still serves a request its client gave
up on (wasted work), which is why a retry storm outlasts its trigger. A failed attempt
is sent again after a back-off (``backoff_ms`` doubling each retry, jittered) up to
``retries`` times; the client's offered load is its new requests plus the retries due.
A breaker opens when the failed share of a tick reaches ``breaker_errors``: for
``breaker_open_s`` the client fails its requests at once, sending nothing.

The failed share of a tick is known only once every node has run, so it acts on the
next tick: a retry is sent one tick after its attempt at the earliest, and the breaker
opens one tick after the failures that open it. A tick's failed share is that of the
requests completing in it (the end-to-end latency law of the exits, a mixture of
gammas) plus the dropped share; with several clients every client gets the same share.
"""

from __future__ import annotations

from .frame import Frame, NodeFrame
from .health import DROP_CRITICAL, DROP_WARN
from .latency import mixture_cdf
from .state import State

# Below this a pending retry rate is nothing (keeps quiet ticks quiet once a storm ends).
TINY_RPS = 1e-9


def uses_retries(params: dict) -> bool:
    """True when a client's parameters ask for any of this module's behaviour."""
    return bool(
        params.get("timeout_ms") is not None
        or params.get("retries", 0)
        or params.get("breaker_errors") is not None
    )


class _Client:
    """One client's policy and its state: the retries due in the coming ticks."""

    def __init__(self, params: dict) -> None:
        timeout_ms = params.get("timeout_ms")
        self.deadline = timeout_ms / 1000.0 if timeout_ms is not None else None
        self.retries = params.get("retries", 0)
        self.backoff = params.get("backoff_ms", 0.0) / 1000.0
        jitter = params.get("jitter", 0.0)
        self.jitter = 1.0 if jitter is True else float(jitter or 0.0)
        self.breaker = params.get("breaker_errors")
        self.open_s = params.get("breaker_open_s", 10.0)
        # due[j][n]: req/s of retry number j + 1 due n + 1 ticks from now.
        self.due: list[list[float]] = [[] for _ in range(self.retries)]
        self.sent = [0.0] * (self.retries + 1)  # this tick, by attempt number (0: new)
        self.open_until = -1.0
        self.was_open = False  # the breaker was open in this tick
        self.new = 0.0  # the users' new requests this tick (req/s)
        self.share = 0.0  # its share of the requests sent in the last tick anyone sent
        self.failed_fast = 0.0  # requests failed at once by the open breaker (req/s)


class Retries:
    """The clients' retry policies over a run (only built when a client has one)."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.clients = {
            i: _Client(state.params[i]) for i in state.sources if uses_retries(state.params[i])
        }

    def offered(self, rates: dict[int, float], t0: float) -> dict[int, float]:
        """Each client's rate to send this tick: its new requests plus the retries due,
        or nothing while its breaker is open."""
        out = dict(rates)
        for i, c in self.clients.items():
            new = rates[i]
            due = [line.pop(0) if line else 0.0 for line in c.due]
            c.new = new
            c.was_open = t0 < c.open_until - 1e-9
            if c.was_open:
                c.sent = [0.0] * (c.retries + 1)
                c.failed_fast = new + sum(due)
                out[i] = 0.0
            else:
                c.sent = [new, *due]
                c.failed_fast = 0.0
                out[i] = new + sum(due)
        return out

    def after_tick(self, frame: Frame) -> None:
        """Judge the tick's attempts, schedule their retries, set goodput and the x fields."""
        state = self.state
        g = frame.globals
        completed = g["throughput_rps"]
        offered = g["offered_rps"]
        drop_share = g["dropped_rps"] / offered if offered > 0.0 else 0.0
        total = completed if completed > 0.0 else 1.0
        parts = [(rate / total, mean, var) for rate, mean, var in frame.latency_parts]
        late_rps = 0.0
        pending = False
        dt = frame.dt
        for i, c in self.clients.items():
            sent = sum(c.sent)
            late = 0.0
            if c.deadline is not None and parts:
                late = max(0.0, 1.0 - mixture_cdf(c.deadline, parts))
            fail = drop_share + (1.0 - drop_share) * late
            # This client's share of the tick's completions (all of them when it is alone);
            # while nothing is sent (an open breaker) the queue drains the earlier mix.
            if offered > 0.0:
                c.share = sent / offered
            share = c.share
            client_late = completed * share * late
            late_rps += client_late
            gave_up = c.failed_fast + fail * c.sent[-1]
            for j in range(c.retries):
                failed = fail * c.sent[j]
                if failed > TINY_RPS:
                    spread = c.backoff * 2.0**j
                    lo, hi = (1.0 - c.jitter) * spread, spread
                    on_deadline = failed * (1.0 - drop_share) * late / fail if fail > 0 else 0.0
                    _schedule(c.due[j], on_deadline, (c.deadline or 0.0) + lo,
                              (c.deadline or 0.0) + hi, dt)  # fmt: skip
                    _schedule(c.due[j], failed - on_deadline, lo, hi, dt)
                if any(r > TINY_RPS for r in c.due[j]):
                    pending = True
            if c.breaker is not None and sent > 0.0 and fail >= c.breaker:
                c.open_until = state.now + c.open_s
                state.event(i, "breaker", f"circuit breaker of {state.names[i]} opens for "
                            f"{c.open_s:g} s: {fail:.0%} of its requests failed")  # fmt: skip
            if state.now < c.open_until - 1e-9:
                pending = True
            node = frame.nodes[state.model.ids[i]]
            _grade_client(node, fail, c.was_open)
            x = node.x
            x["new_rps"] = c.new
            x["retry_rps"] = sent - c.sent[0]
            x["gave_up_rps"] = gave_up
            x["goodput_rps"] = completed * share - client_late
            x["late_rps"] = client_late
            x["breaker_open"] = 1.0 if c.was_open else 0.0
        g["late_rps"] = late_rps
        g["goodput_rps"] = completed - late_rps
        # As users count: what an open breaker failed at once was tried and failed, and an
        # answer after the deadline is a failure though it was served.
        failed_fast = sum(c.failed_fast for c in self.clients.values())
        g["offered_rps"] += failed_fast
        g["dropped_rps"] += failed_fast
        attempts = completed + g["dropped_rps"]
        g["error_rate"] = (g["dropped_rps"] + late_rps) / attempts if attempts > 0.0 else 0.0
        g["availability"] = 1.0 - g["error_rate"]
        if pending:
            state.unsettled = True


def _grade_client(node: NodeFrame, fail: float, breaker_open: bool) -> None:
    """A client is graded by what its users see: the share of its attempts failing."""
    if breaker_open:
        node.health, node.reason = "critical", "circuit breaker open"
    elif fail >= DROP_CRITICAL:
        node.health, node.reason = "critical", f"{fail:.0%} of requests failing"
    elif fail >= DROP_WARN:
        node.health, node.reason = "warning", f"{fail:.1%} of requests failing"


def _schedule(line: list[float], rate: float, lo: float, hi: float, dt: float) -> None:
    """Add ``rate`` (req/s failing this tick) to the ticks its retry delay covers.

    The delay, uniform on ``[lo, hi]`` s, counts from the middle of this tick;
    ``line[0]`` is the next tick (the earliest a retry can go, see the module's text).
    """
    if rate <= 0.0:
        return
    a = 0.5 * dt + lo
    b = 0.5 * dt + hi
    if b - a < 1e-9 * dt:
        _add(line, max(int(a / dt), 1) - 1, rate)
        return
    n = int(a / dt)
    while n * dt < b:
        overlap = min(b, (n + 1) * dt) - max(a, n * dt)
        if overlap > 0.0:
            _add(line, max(n, 1) - 1, rate * overlap / (b - a))
        n += 1


def _add(line: list[float], n: int, rate: float) -> None:
    if len(line) <= n:
        line.extend([0.0] * (n + 1 - len(line)))
    line[n] += rate
