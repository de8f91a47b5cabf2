"""A serving node's tick: queue and serve this tick's arrivals, then send them on.

A node either is in steady state (nothing waiting from the last tick and below capacity:
M/M/c or M/M/c/K numbers), holds a full limited queue under overload (M/M/c/K blocking),
or carries a backlog, which drains or grows as a fluid (bounded by its queue limit). A
node with a timeout is in steady state at every load (M/M/c+D, or M/M/c/K+D with a
limit). Kinds differ through their hooks (``components.base.Kind``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .approach import SETTLE_U, climb
from .backlog_log import BacklogLog, gamma_var_for_p99
from .components.base import EPS, NCLASS, SYNC, Arrivals, Kind, Outflow, overrides, send_evenly
from .diffusion import advance, step, walk
from .frame import NodeFrame
from .health import serving_frame
from .latency import gamma_p95_ms, gamma_quantile
from .noise import LatencyNoise
from .queueing import mmck_unchecked
from .state import State
from .steady import node_steady_state

# A walk whose squared mean is this many times its variance is off zero and nearly normal
# (at capacity it is a half-normal: 1.75; 4 at a = m sqrt(t / s2) = 1.4, 6 at 2).
NORMAL_WALK = 4.0
STEADY_MEMO_SIZE = 50_000  # steady states kept (by load and parameters) before starting over


def approach_numbers(mu: float, w: float, v: float, share: float, share_var: float) -> tuple:
    """A climbing queue's numbers: the steady wait scaled by the walk's share of its
    stationary mean, its variance by the walk's variance over the stationary one's."""
    service_var = 1.0 / (mu * mu)
    w = 1.0 / mu + (w - 1.0 / mu) * share
    v = service_var + (v - service_var) * share_var
    return w, v, gamma_p95_ms(w, v)


class Serving:
    """Serving nodes' ticks. Hooks a kind leaves at the base class's do-nothing default
    are not called: the per-node flags below say which to call."""

    def __init__(self, state: State, noise: LatencyNoise | None = None) -> None:
        self.state = state
        self.noise = noise  # with Poisson noise on: each node's wandering mean response
        kind_of = state.model.kind_of
        self.refuses = [overrides(kind, "refuse") for kind in kind_of]
        self.serves = [overrides(kind, "serve") for kind in kind_of]
        self.answers = [overrides(kind, "answered") for kind in kind_of]
        self.extras = [overrides(kind, "extra") for kind in kind_of]
        self.sends_own_way = [overrides(kind, "send_on") for kind in kind_of]
        self.steady_memo: dict[tuple, tuple] = {}
        # Session store -> the tiers waiting for it to run before they forward (this tick).
        self.side_waiting: list[list[tuple]] = [[] for _ in range(state.model.size)]

    def tick(self, i: int) -> NodeFrame:
        state = self.state
        flow = state.flow
        m = state.model
        kind = m.kind_of[i]
        p = state.params[i]
        dt = state.dt
        base = i * NCLASS
        lam = flow.in_r[base : base + NCLASS]
        dropped = flow.in_dead[base : base + NCLASS]
        dead_total = sum(dropped)
        in_total = sum(lam)
        n = state.alive[i]
        c, mu = state.servers[i]
        cap = n * c * mu
        lam_total = in_total
        reason = None
        arrivals = None
        if self.refuses[i] or self.serves[i]:
            arrivals = Arrivals(lam, dropped, n, c, mu, 1.0)
        if lam_total > 0.0 and n > 0 and self.refuses[i]:
            reason = kind.refuse(state, i, p, arrivals)
            if reason is not None:
                lam_total = sum(lam)
        ca2 = flow.in_ca2[i] / in_total if in_total > 0.0 else 1.0
        if n > 1 and not m.upstream_balanced[i]:
            ca2 = ca2 / n + 1.0 - 1.0 / n
        if self.serves[i]:
            arrivals.ca2 = ca2
            own = kind.serve(state, i, p, arrivals)
            if own is not None:
                return own
        backlog = state.backlog[i]
        b_before = sum(backlog)
        served = [0.0] * NCLASS
        w = v = p95 = util = 0.0
        cd2 = 1.0
        if n == 0:
            for k in range(NCLASS):
                dropped[k] += lam[k] + backlog[k] / dt
                backlog[k] = 0.0
            state.walk_level[i], state.settled_rho[i] = 0.0, -1.0  # back empty
            if reason is None:
                reason = "dead"
        elif not kind.queues:
            # Workers pull only what they can process: no waiting here (it is in the queue).
            served = lam
            w, v = 1.0 / mu, 1.0 / (mu * mu)
            p95 = gamma_p95_ms(w, v)
            util = min(lam_total / cap, 1.0) if cap > 0 else 0.0
        elif (b_before <= EPS and lam_total < cap) or p["timeout_ms"] is not None:
            # Below capacity, or at any load with a timeout: requests that have waited
            # timeout_ms give up, which keeps the queue stable (M/M/c+D, or M/M/c/K+D
            # with a queue limit: steady.py). A backlog carried from before the timeout
            # applied has waited that long.
            for k in range(NCLASS) if b_before > EPS else ():
                dropped[k] += backlog[k] / dt
                backlog[k] = 0.0
            drop_frac, w, v, p95, util, cd2 = self._steady(i, lam_total / n, mu, c, ca2, p)
            if state.backlog_log[i] is not None:
                # The tail of a drain: still above the steady state (backlog_log.py).
                w, v, p95 = self._tail(i, lam_total, cap, n, mu, w, v, p95)
            elif (
                lam_total / cap != state.settled_rho[i]
                and p["timeout_ms"] is None
                and p["queue_limit"] is None
                and (shares := self._climbing(i, lam_total, cap, n, ca2)) is not None
            ):
                # Not yet in the steady state: the queue still climbs (approach.py).
                w, v, p95 = approach_numbers(mu, w, v, *shares)
            elif self.noise is not None and w > 0.0:
                # Poisson noise: this tick's mean response wanders around the steady one,
                # the run's spread kept (noise.py).
                # The spread around the tick's mean grows with it, as an Erlang wait's does.
                f, spread = self.noise.factor(i, (lam_total, mu, c, n, w, v, util, state.dt))
                v = (v - (spread * w) ** 2) * f
                w *= f
                p95 = gamma_p95_ms(w, v)
            if drop_frac == 0.0:
                served = lam
            else:
                for k in range(NCLASS):
                    served[k] = lam[k] * (1.0 - drop_frac)
                    dropped[k] += lam[k] * drop_frac
        elif (
            p["queue_limit"] is not None
            and lam_total >= cap
            and self._settles(b_before, lam_total, cap, n, mu, c, p["queue_limit"], ca2)
        ):
            # A limited queue at or above capacity whose walk has reached (or this tick
            # reaches) M/M/c/K's mean queue is in that steady state: it blocks, and holds
            # that queue (shown as queued). Below capacity it drains (the next branch).
            st = mmck_unchecked(lam_total / n, mu, c, p["queue_limit"])
            held = n * st.throughput * st.mean_wait  # Little's law, all instances
            full = p["queue_limit"] * n
            keep = full / b_before if b_before > full else 1.0
            settled = abs(min(b_before, full) - held) <= EPS
            for k in range(NCLASS):
                kept = backlog[k] * keep
                blocked = lam[k] * st.block_prob
                dropped[k] += (backlog[k] - kept) / dt
                served[k] = lam[k] * (1.0 - st.block_prob)
                if not settled:
                    # Entering: the queue fills (or empties) to the held level this tick.
                    # At capacity the fill is service the walk idled away; far above it,
                    # requests that would have been blocked (the server is never idle).
                    gain = held * lam[k] / lam_total - kept
                    if gain > 0.0:
                        from_served = min(gain * cap / lam_total, served[k] * dt)
                        from_blocked = min(gain - from_served, blocked * dt)
                        served[k] -= from_served / dt
                        blocked -= from_blocked / dt
                        gain = from_served + from_blocked
                    else:
                        served[k] -= gain / dt
                    kept += gain
                dropped[k] += blocked
                backlog[k] = kept
            w, v, util = st.mean_response, st.response_var, st.rho
            if state.backlog_log[i] is not None:
                w, v = self._filling(i, b_before, sum(served), sum(backlog), cap, ca2, n, mu,
                                     w, v)  # fmt: skip
            p95 = gamma_p95_ms(w, v)
        else:
            w, v, p95, util = self._drain(i, lam, served, dropped, backlog, b_before,
                                          lam_total, cap, n, mu, p, ca2)  # fmt: skip
        served_total = sum(served)
        if kind.side_store:
            # Its load is the web tiers' session lookups, already counted where they came
            # from: their tiers forward now, carrying its latency.
            self.forward_waiting(i, w, v)
            queued = sum(backlog)
            if queued > 0.0:
                state.unsettled = True
            return serving_frame(state, i, n, lam_total + dead_total, served_total, queued,
                                 sum(dropped), dead_total, util, w, v, p95, reason, {},
                                 b_before)  # fmt: skip
        flow.sync_dropped += dropped[0] + dropped[1] + dropped[2] + dropped[3]
        side = m.session_store_of[i]
        if side >= 0 and not p.get("stateful", False):
            send = flow.send
            for k in range(SYNC):
                send(side, m.session_link_of[i], k, served[k], 0.0, 0.0, 1.0, 0.0)
            # Forwarded once the session store has run this tick (``forward_waiting``).
            # Nothing is lost there: only a balancer's forward can lose requests.
            self.side_waiting[side].append((i, kind, p, lam, served, w, v, cd2))
        else:
            unplaced = self.forward(i, kind, p, lam, served, w, v, cd2)
            for k, lost in enumerate(unplaced or ()):
                if lost > 0.0:
                    served[k] = max(served[k] - lost, 0.0)
                    dropped[k] += lost
                    served_total = sum(served)
                    reason = reason or "no healthy target"
                    if k < SYNC:
                        flow.sync_dropped += lost
        queued = sum(backlog)
        if queued > 0.0:
            state.unsettled = True
        x = kind.extra(state, i, p) if self.extras[i] else {}
        return serving_frame(state, i, n, in_total + dead_total, served_total, queued,
                             sum(dropped), dead_total, util, w, v, p95, reason, x,
                             b_before)  # fmt: skip

    def _steady(self, i: int, lam_i: float, mu: float, c: float, ca2: float, p: dict) -> tuple:
        key = (lam_i, mu, c, ca2, p["queue_limit"], p["timeout_ms"], self.state.jsq_pool[i])
        steady = self.steady_memo.get(key)
        if steady is None:
            if len(self.steady_memo) > STEADY_MEMO_SIZE:
                self.steady_memo.clear()
            steady = self.steady_memo[key] = node_steady_state(*key)
        return steady

    def _climbing(self, i: int, lam_total: float, cap: float, n: int, ca2: float,
                  ) -> tuple[float, float] | None:  # fmt: skip
        """Advance an unlimited queue's walk below capacity: its (share of the stationary
        mean, share of the stationary variance) this tick, or None once it has settled
        (then it walks again only when the load changes)."""
        state = self.state
        gap = cap - lam_total
        if gap * gap * state.dt >= SETTLE_U * n * (lam_total * ca2 + cap):
            # Settles within a tick (far below capacity): no walk to keep.
            state.settled_rho[i] = lam_total / cap
            state.walk_level[i] = (lam_total * ca2 + cap) / (2.0 * gap)  # stationary mean
            return None
        m_i, s2_i = walk(lam_total, cap, n, ca2)
        got = climb(m_i, s2_i, state.walk_level[i], state.dt)
        if got is None:
            state.walk_level[i] = s2_i / (-2.0 * m_i)
            state.settled_rho[i] = lam_total / cap
            return None
        state.walk_level[i], share, share_var = got
        state.settled_rho[i] = -1.0
        state.unsettled = True
        return share, share_var

    def _settles(self, b_before: float, lam_total: float, cap: float, n: int, mu: float,
                 c: int, limit: int, ca2: float) -> bool:  # fmt: skip
        """Whether a limited queue at or above capacity has reached M/M/c/K's mean queue
        by the tick's end (its expected length, a random walk at capacity, gets there)."""
        st = mmck_unchecked(lam_total / n, mu, c, limit)
        held = st.throughput * st.mean_wait  # per instance
        if b_before >= n * held - EPS:
            return True
        m_i, s2_i = walk(lam_total, cap, n, ca2)
        return advance(m_i, s2_i, b_before / n, self.state.dt) >= held - EPS

    def _tail(self, i: int, lam_total: float, cap: float, n: int, mu: float, w: float,
              v: float, p95: float | Callable[[], float]) -> tuple:  # fmt: skip
        """Below capacity just after a backlog drained: the steady numbers plus the
        fading excess wait of the runs whose queue is still there (``backlog_log``)."""
        log = self.state.backlog_log[i]
        extra = None
        if not log.segments and log.left == 0.0:
            extra = log.tail(self.state.dt, lam_total, cap, n, 1.0 / mu)
        if extra is None:
            self.state.backlog_log[i] = None
            return w, v, p95
        self.state.unsettled = True
        # Its p99: the delayed requests' (when they are more than 1%), else the steady one.
        p99 = max(extra[2] + w, gamma_quantile(0.99, w, v))
        w, v = self._fit(w + extra[0], v + extra[1], p99)
        return w, v, gamma_p95_ms(w, v)

    def _filling(self, i: int, b_before: float, served: float, b_after: float, cap: float,
                 ca2: float, n: int, mu: float, w: float, v: float,
                 ) -> tuple[float, float]:  # fmt: skip
        """A limited queue that filled as a walk has just settled: the requests leaving it
        arrived while it filled and waited less than M/M/c/K's mean, until they catch up
        (then the log is dropped and M/M/c/K's numbers hold)."""
        state = self.state
        log = state.backlog_log[i]
        if log.matches(b_before):
            dt = state.dt
            arrived = served * dt + b_after - b_before  # below zero: the queue let go
            wait, wait_var, _ = log.tick(state.now, dt, max(arrived, 0.0), served * dt,
                                         max(-arrived, 0.0), cap, ca2, n, 0.0)  # fmt: skip
            if wait + 1.0 / mu < w:
                return wait + 1.0 / mu, wait_var + 1.0 / (mu * mu)
        state.backlog_log[i] = None
        return w, v

    @staticmethod
    def _fit(w: float, v: float, p99: float) -> tuple[float, float]:
        """A draining backlog's waits are nearly normal, which a gamma with their mean and
        variance skews (its p99 too high by up to 30%): report the variance of the gamma
        with their mean and p99 instead, where there is one."""
        fitted = gamma_var_for_p99(w, p99)
        return w, v if fitted is None else fitted

    def _drain(self, i: int, lam: list[float], served: list[float], dropped: list[float],
               backlog: list[float], b_before: float, lam_total: float, cap: float, n: int,
               mu: float, p: dict, ca2: float,
               ) -> tuple[float, float, Callable[[], float], float]:  # fmt: skip
        """A backlog drains as a fluid below capacity, or grows at and above it as reflected
        Brownian motion (``diffusion``: a random walk at capacity, the fluid far above it),
        bounded by the queue limit; fills ``served``, ``dropped`` and
        ``backlog`` per class and returns the response time's (mean s, variance s^2, p95,
        utilisation)."""
        dt = self.state.dt
        arrivals = [lam[k] * dt for k in range(NCLASS)]
        total = b_before + lam_total * dt
        queue_var = 0.0
        skewed = False
        if lam_total >= cap:
            # Each instance's queue is its own walk: drift and variance per instance.
            m_i, s2_i = walk(lam_total, cap, n, ca2)
            per_instance, var_i = step(m_i, s2_i, b_before / n, dt)
            skewed = per_instance * per_instance < NORMAL_WALK * var_i
            after = min(n * per_instance, total)  # a slow node: no more than it holds
            done = total - after
            queue_var = n * var_i
        else:
            done = min(total, cap * dt)
            after = total - done
        frac = done / total if total > 0 else 0.0
        limit = math.inf
        if p["queue_limit"] is not None:
            limit = p["queue_limit"] * n
        keep = limit / after if after > limit else 1.0
        for k in range(NCLASS):
            have = backlog[k] + arrivals[k]
            served[k] = have * frac / dt
            rest = have * (1.0 - frac)
            backlog[k] = rest * keep
            dropped[k] += (rest - backlog[k]) / dt
        b_after = sum(backlog)
        state = self.state
        state.walk_level[i] = math.inf  # once drained, the queue is at its steady level
        log = state.backlog_log[i]
        if log is None or not log.matches(b_before):
            log = state.backlog_log[i] = BacklogLog(state.now, b_before, cap)
        # The requests completing in this tick: the oldest, first come first served.
        walk_var = queue_var if lam_total >= cap else None
        wait, wait_var, p99 = log.tick(state.now, dt, lam_total * dt, done,
                                       total - done - b_after, cap, ca2, n, walk_var,
                                       walk_var is not None and skewed)  # fmt: skip
        w = wait + 1.0 / mu
        v = 1.0 / (mu * mu) + wait_var
        if p99 is not None:
            w, v = self._fit(w, v, p99 + 1.0 / mu)
        return w, v, gamma_p95_ms(w, v), done / (cap * dt)

    def forward_waiting(self, s: int, sw: float, sv: float) -> None:
        """Session store ``s`` has run: its tiers forward, adding its latency (mean, variance)
        and their link's to it (its latency and any data-centre crossing, as on any hop)."""
        m = self.state.model
        link_extra = self.state.link_extra
        waiting, self.side_waiting[s] = self.side_waiting[s], []
        for i, kind, p, lam, served, w, v, cd2 in waiting:
            li = m.session_link_of[i]
            hop = m.link_base_s[li] + m.link_cross_s[li] + link_extra[li]
            self.forward(i, kind, p, lam, served, w + sw + hop, v + sv, cd2)

    def forward(
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
        state = self.state
        flow = state.flow
        total = sum(served)
        lost = None
        base = i * NCLASS
        in_r, in_m1, in_m2, exits = flow.in_r, flow.in_m1, flow.in_m2, flow.exits
        routes = state.model.routes[i]
        answers = self.answers[i]
        own_way = self.sends_own_way[i]
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
                done = kind.answered(state, i, p, k) if answers else 0.0
            if done > 0.0:
                exits[k].append((s * done, m1, m2))
            rest = s * (1.0 - done)
            if rest <= 0.0:
                continue
            share_out = rest / total if total > 0 else 1.0
            if own_way:
                unplaced = kind.send_on(state, i, p, k, Outflow(rest, m1, m2, cd2, share_out))
            else:
                unplaced = send_evenly(state, i, k, rest, m1, m2, cd2, share_out)
            if unplaced > 0.0:
                if lost is None:
                    lost = [0.0] * NCLASS
                lost[k] = unplaced
        return lost
