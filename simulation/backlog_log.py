"""Who is in a node's backlog: the waits of the requests completing in each tick.

While a node carries a backlog it keeps, oldest first, when the requests still in it
arrived (one segment per tick, arrivals spread evenly over the tick). The queue is
first come first served, so the requests completing in a tick are the oldest ones, and
each one's wait is its completion time minus its arrival time. Reporting these (not the
wait of the requests arriving in the tick) puts the peak of an overload's latency where
users see it: when the requests that arrived at its end are served.

The wait of a given request is random around that fluid value: the queue it found on
arrival varies between runs (the walk's variance, ``diffusion``, which keeps growing by
``lambda ca2 + capacity`` per second while the backlog drains), and so does the number
served while it waited (about as many as were ahead of it). Those counts are turned into
time at the request's arrival rate: a completion time fixes which request leaves, and
its arrival time moves by 1 / lambda per request. Below capacity the wait is taken as a
normal with that spread cut at zero, which also gives the drain's tail: when the fluid
backlog reaches zero the real queue is still there in many runs, so the log carries on
as a virtual backlog below zero until its excess wait has faded.
"""

from __future__ import annotations

import math
from collections import deque
from statistics import NormalDist

from .latency import gamma_quantile

_SQRT_2PI = math.sqrt(2.0 * math.pi)
_NORMAL = NormalDist()
Z99 = 2.3263478740408408  # the standard normal's 0.99 quantile
MIN_SHAPE = 0.02  # the most skewed gamma fitted to a p99
FADED = 1e-3  # the tail ends when its mean excess wait is below this share of a service


def _cut_normal(m: float, s2: float, r: float) -> tuple[float, float, float]:
    """(E, E^2, p99) of the wait max(0, Y), Y normal with mean ``m`` and variance
    ``s2``, over the requests completing: a run whose queue is still there completes
    them at capacity, one whose queue is gone at the arrival rate (``r`` x capacity)."""
    if s2 <= 0.0:
        y = max(m, 0.0)
        return y, y * y, y
    s = math.sqrt(s2)
    a = m / s
    busy = 0.5 * math.erfc(-a / math.sqrt(2.0))
    small = math.exp(-0.5 * a * a) / _SQRT_2PI
    share = busy + r * (1.0 - busy)  # completions, relative to all runs busy
    e1 = (m * busy + s * small) / share
    e2 = ((m * m + s2) * busy + m * s * small) / share
    above = 0.01 * share  # P(Y > p99) that leaves 1% of the completions above it
    p99 = m + s * _NORMAL.inv_cdf(1.0 - above) if above < busy else 0.0
    return e1, e2, max(p99, 0.0)


class BacklogLog:
    """The arrival times of the requests in one node's backlog (see the module doc)."""

    __slots__ = ("below", "left", "queue_var", "segments")

    def __init__(self, now: float, backlog: float, cap: float) -> None:
        # [count, first arrival, last arrival, the queue's variance when they arrived,
        #  their arrival rate]
        self.segments: deque[list[float]] = deque()
        self.queue_var = 0.0  # variance of the queue length (all instances), requests^2
        self.below = 0.0  # the virtual backlog once the fluid one is gone (<= 0)
        self.left = backlog
        if backlog > 0.0:
            # Taken over without history: as if it had built up over the last wait.
            self.segments.append([backlog, now - backlog / cap, now, 0.0, cap])

    def matches(self, backlog: float) -> bool:
        return abs(self.left - backlog) <= 1e-9 * max(backlog, 1.0)

    def tick(self, now: float, dt: float, arrived: float, done: float, dropped: float,
             cap: float, ca2: float, n: int, walk_var: float | None, skewed: bool = False,
             ) -> tuple[float, float, float | None]:  # fmt: skip
        """Advance one tick: ``arrived`` requests in, the oldest ``done`` out (served at
        an even pace, or at ``cap`` until the backlog is gone), the newest ``dropped``
        off. ``walk_var``: the queue's variance at the tick's end at or above capacity
        (the walk's, kept off zero), None below it; ``skewed``: the walk is still near
        zero (its law far from normal). Returns the mean, variance and (unless skewed)
        p99 of the wait of the requests completed in the tick (s, s^2, s)."""
        before = self.queue_var
        if walk_var is None:
            self.queue_var += arrived * ca2 + cap * dt
        else:
            self.queue_var = walk_var
        if arrived > 0.0:
            var = 0.5 * (before + self.queue_var)
            self.segments.append([arrived, now, now + dt, var, arrived / dt])
        left = self.left + arrived - done
        r = arrived / (cap * dt)
        rate = done / dt if left - dropped > 1e-9 else cap
        total = total2 = weight = free = free2 = 0.0
        x = 0.0  # completions so far this tick
        segments = self.segments
        while x < done - 1e-12 and segments:
            seg = segments[0]
            count, t0, t1, var, lam = seg
            take = min(count, done - x)
            a0, a1 = t0, t0 + (t1 - t0) * take / count
            c0, c1 = now + x / rate, now + (x + take) / rate
            m = 0.5 * ((c0 - a0) + (c1 - a1))
            spread = (c1 - a1) - (c0 - a0)
            s2 = n * (var + max(m, 0.0) * cap) / (lam * lam) + spread * spread / 12.0
            if walk_var is None:
                e1, e2, _ = _cut_normal(m, s2, r)
            else:
                e1, e2 = max(m, 0.0), m * m + s2
            total += take * e1
            total2 += take * e2
            free += take * m
            free2 += take * (m * m + s2)
            weight += take
            x += take
            if take >= count - 1e-12:
                segments.popleft()
            else:
                seg[0] = count - take
                seg[1] = a1
        if dropped > 0.0:
            self._drop_newest(dropped)
        self.left = max(left - dropped, 0.0)
        if self.left <= 1e-9:
            self.left = 0.0
            segments.clear()  # rounding's crumbs
            self.below = min(left + done - cap * dt, 0.0)  # the fluid went this far below
        if weight <= 0.0:
            return 0.0, 0.0, None
        mean = total / weight
        var = max(total2 / weight - mean * mean, 0.0)
        if skewed:
            return mean, var, None
        # The waits are nearly normal (cut at zero): the p99 is that of their normal.
        m = free / weight
        return mean, var, _cut_normal(m, max(free2 / weight - m * m, 0.0), r)[2]

    def _drop_newest(self, dropped: float) -> None:
        segments = self.segments
        while dropped > 1e-12 and segments:
            seg = segments[-1]
            if seg[0] <= dropped:
                dropped -= seg[0]
                segments.pop()
            else:
                keep = (seg[0] - dropped) / seg[0]
                seg[0] -= dropped
                seg[2] = seg[1] + (seg[2] - seg[1]) * keep
                dropped = 0.0

    def tail(self, dt: float, lam: float, cap: float, n: int,
             service: float) -> tuple[float, float, float] | None:  # fmt: skip
        """After the fluid backlog is gone: the extra wait's (mean, variance, p99) of
        this tick's requests, or None once it has faded (the log can then be dropped).
        Those completing at time T arrived while the queue they leave behind built up,
        so their wait is that queue / the arrival rate."""
        if lam <= 0.0:
            return None
        start = self.below
        self.below += (lam - cap) * dt
        s2, r = n * self.queue_var / (lam * lam), lam / cap
        # Over the tick (Simpson's rule), as the drain takes its segments: the wait is
        # convex in the backlog, so its value at the tick's end alone is too low.
        e1 = e2 = 0.0
        for weight, b in ((1.0, start), (4.0, 0.5 * (start + self.below)), (1.0, self.below)):
            w1, w2, _ = _cut_normal(b / lam, s2, r)
            e1 += weight * w1 / 6.0
            e2 += weight * w2 / 6.0
        if e1 < FADED * service:
            return None
        # The p99 at the tick's end: pooled over the tick it is up to 60% high in the
        # tail's last seconds, where the few runs still busy are in the normal's upper
        # tail, which overstates the queue's (docs/model.md, "Transients").
        p99 = _cut_normal(self.below / lam, s2, r)[2]
        return e1, max(e2 - e1 * e1, 0.0), p99


def gamma_var_for_p99(mean: float, p99: float) -> float | None:
    """The variance of the gamma law with this mean and 0.99 quantile; None when the
    quantile is not above the mean. Shapes of 1 and more invert the Wilson-Hilferty cube
    (``q = mean (1 - u^2 + z u)^3``, ``u = 1 / (3 sqrt(shape))``); smaller ones (a law
    more skewed than exponential: the drain's last seconds) are found by bisection."""
    if mean <= 0.0 or p99 <= mean:
        return None
    ratio = p99 / mean
    disc = Z99 * Z99 - 4.0 * (ratio ** (1.0 / 3.0) - 1.0)
    if disc >= 0.0:
        u = 0.5 * (Z99 - math.sqrt(disc))
        if u <= 1.0 / 3.0:
            return 9.0 * u * u * mean * mean
    low, high = math.log(MIN_SHAPE), 0.0  # log shape; the quantile ratio falls with it
    if gamma_quantile(0.99, 1.0, 1.0 / MIN_SHAPE) <= ratio:
        return mean * mean / MIN_SHAPE
    for _ in range(40):
        mid = 0.5 * (low + high)
        if gamma_quantile(0.99, 1.0, math.exp(-mid)) > ratio:
            low = mid
        else:
            high = mid
    return mean * mean * math.exp(-0.5 * (low + high))
