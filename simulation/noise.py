"""Poisson noise as tick-to-tick variation around the steady state (docs/model.md "Noise").

The queueing formulas already describe a random system: their numbers are the long-run
law of Poisson arrivals. So the flow carries each client's set rate, and noise shows only
as what one tick of a real system would show:

- counts: each client's tick draws a Poisson count around its rate; every node's offered,
  served and dropped numbers follow the counts of the clients that feed it
  (``count_factors``);
- latency: a serving node's mean response in one tick wanders around its steady value
  (``LatencyNoise``): the queue's state persists from tick to tick, near capacity for
  many seconds, and a tick averages only the requests it completes.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING

from .frame import NodeFrame
from .model import Model

if TYPE_CHECKING:
    from .state import State

NOISE_MEMO_SIZE = 50_000  # (spread, lag-one coefficient) pairs kept before starting over
_TWO_PI = 2.0 * math.pi


def wandering(lam: float, mu: float, c: float, n: int, w: float, v: float, util: float,
              dt: float) -> tuple[float, float]:  # fmt: skip
    """How one node's mean response over a tick of ``dt`` s wanders: (standard deviation
    as a share of the steady mean ``w``, lag-one autocorrelation from tick to tick).

    ``lam`` is the node's arrival rate (all ``n`` instances), ``mu``, ``c`` each
    instance's service rate and servers, ``w``, ``v`` the response time's steady mean and
    variance (s, s^2), ``util`` the busy share. The wait splits into the part set by the
    queue's state (variance ``Var(W) - E[W] / (c mu)``: a request behind k others waits
    an Erlang of k + 1 stages) and the spread around it; the state's part is averaged over
    the tick as an Ornstein-Uhlenbeck process with the waits' integrated relaxation time
    (M/M/1's, from its asymptotic variance, with c servers draining at c mu);
    the spread around it over the tick's ``lam dt`` requests; the ``n`` instances' queues
    are independent.
    """
    if w <= 0.0 or lam <= 0.0:
        return 0.0, 0.0
    mean_wait = max(w - 1.0 / mu, 0.0)
    var_wait = max(v - 1.0 / (mu * mu), 0.0)
    state_var = max(var_wait - mean_wait / (c * mu), 0.0)
    rho = min(max(util, 1e-6), 0.9999)
    # Integrated relaxation time of the wait seen request by request: M/M/1's waits have
    # asymptotic variance rho (2 + 5 rho - 4 rho^2 + rho^3) / (mu^2 (1 - rho)^4), which
    # over their stationary variance's state part gives this; c servers drain c mu.
    relax = (2.0 + rho * (5.0 - rho * (4.0 - rho))) / (2.0 * rho * c * mu * (1.0 - rho) ** 2)
    a = dt / relax
    averaged = 1.0 - a / 3.0 if a < 1e-4 else 2.0 * (a - 1.0 + math.exp(-a)) / (a * a)
    # From one tick to the next the state's correlation falls at its initial rate, about
    # twice the integrated one (M/M/1: mu (1 - rho)^2 against mu (1 - rho)^2 / 2 near 1).
    kept = (-math.expm1(-1.5 * a) / (1.5 * a)) ** 2
    correlated = state_var * averaged / n
    sampled = (v - state_var) / max(lam * dt, 1.0)
    total = correlated + sampled
    if total <= 0.0:
        return 0.0, 0.0
    return math.sqrt(total) / w, state_var * kept / n / total


class LatencyNoise:
    """Each serving node's wandering factor on its mean response, one tick at a time.

    The factor is ``1 - s + s G`` with ``G`` half the sum of two squared unit AR(1)
    processes: exponential (a queue's length is geometric), mean 1 and variance 1, with
    lag-one autocorrelation ``phi^2``. So the factor's mean is exactly 1 (no bias in the
    run's mean latency), its spread ``s`` and it is never negative (``s`` at most 1).
    """

    def __init__(self, model: Model, rng: random.Random) -> None:
        self.random = rng
        self.memo: dict[tuple, tuple[float, float, float]] = {}
        self.z: list[tuple[float, float] | None] = [None] * model.size

    def factor(self, i: int, key: tuple) -> tuple[float, float]:
        """Node ``i``'s factor this tick and its spread ``s`` (``key``: ``wandering``'s
        arguments)."""
        shape = self.memo.get(key)
        if shape is None:
            if len(self.memo) > NOISE_MEMO_SIZE:
                self.memo.clear()
            spread, lag = wandering(*key)
            phi = math.sqrt(max(lag, 0.0))
            shape = self.memo[key] = (min(spread, 1.0), phi, math.sqrt(1.0 - phi * phi))
        spread, phi, fresh = shape
        g1, g2 = normal_pair(self.random)
        z = self.z[i]
        if z is None:
            z1, z2 = g1, g2
        else:
            z1 = phi * z[0] + fresh * g1
            z2 = phi * z[1] + fresh * g2
        self.z[i] = (z1, z2)
        return 1.0 - spread + spread * 0.5 * (z1 * z1 + z2 * z2), spread


def normal_pair(rng: random.Random) -> tuple[float, float]:
    """Two standard normals, the very numbers of two calls of ``rng.gauss(0.0, 1.0)``, at
    a third of the cost: ``random.gauss`` draws them in Box-Muller pairs and keeps the
    second in ``gauss_next`` (a client's Poisson draw may leave one there)."""
    kept = rng.gauss_next
    x2pi = rng.random() * _TWO_PI
    radius = math.sqrt(-2.0 * math.log(1.0 - rng.random()))
    if kept is None:
        return math.cos(x2pi) * radius, math.sin(x2pi) * radius
    rng.gauss_next = math.sin(x2pi) * radius
    return kept, math.cos(x2pi) * radius


def count_factors(model: Model, client_factor: dict[int, float], link_flow: list[float],
                  whole: float) -> list[float]:  # fmt: skip
    """Each node's count this tick as a share of its rate: a client's is its Poisson draw
    over its rate; any other node's the mix of its senders' over its incoming links
    (``whole``, all clients' together, for a node reached without a link)."""
    factors = [whole] * model.size
    weight = [0.0] * model.size
    mixed = [0.0] * model.size
    for i in model.order:
        if i in client_factor:
            factors[i] = client_factor[i]
        elif weight[i] > 0.0:
            factors[i] = mixed[i] / weight[i]
        f = factors[i]
        for b, li in model.targets[i]:
            rate = link_flow[li]
            if rate > 0.0:
                weight[b] += rate
                mixed[b] += rate * f
    return factors


def counted_tick(state: State, counts: dict[int, float], nodes: list[NodeFrame | None],
                 ) -> tuple[float, list[float]]:  # fmt: skip
    """Turn this tick's node frames' offered, served and dropped rates into counts (per
    second): ``counts`` holds each client's Poisson count over its rate. Returns (all
    clients' count over their rate, each node's) for the links and the run's totals."""
    flow = state.flow
    total = flow.offered_total
    drawn = sum([counts[i] * nodes[i].offered for i in state.sources])
    whole = drawn / total if total > 0.0 else 1.0
    factors = count_factors(state.model, counts, flow.link_flow, whole)
    # Every computed tick's frames are new (a repeated quiet tick, never with noise, is the
    # only reuse), so they are changed in place.
    for i, node in enumerate(nodes):
        f = factors[i]
        # A backlog is the fluid's: a node holding one keeps its rates, which add up.
        if f != 1.0 and node is not None and not (node.queued or node.queued_before):
            node.offered *= f
            node.served *= f
            node.dropped *= f
            if i in counts:
                node.x["rps"] = node.offered
    return whole, factors
