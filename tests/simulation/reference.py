"""Exact end-to-end latency of the feed-forward reference topology, for engine tests.

The topology (issue 2): client -> load balancer -> ``web_servers`` identical web
nodes (each ``web_concurrency`` servers with exponential service of mean
``web_service_s``) -> a fraction ``db_fraction`` of requests goes on to a
database with ``db_connections`` servers (exponential service, mean
``db_service_s``); the rest leave after the web node. The load balancer is an
M/M/c stage in front (``lb_service_s``, ``lb_concurrency``; by default the
engine's load_balancer defaults, 1 ms and 100 servers; ``None`` leaves it out).
Its departures are Poisson (Burke), so the web nodes' arrivals are as below.
Times are in seconds, rates per second.

How the distribution is built
-----------------------------
Every stage's sojourn time is phase-type with exponential phases:

* M/M/c (FIFO): ``T = W + S``, S ~ Exp(mu); W = 0 with probability 1 - C and
  Exp(d), d = c*mu - lam, with probability C (Erlang C). Two phases: "wait" at
  rate d, entered with probability C, then "service" at rate mu.
* E_k/M/1 (round robin, below): T ~ Exp(mu(1 - sigma)), one phase.

A request's end-to-end time is the sum of its stages' sojourns along its path,
and the population is a mixture over paths weighted by their probability, so
the whole thing is one phase-type distribution (alpha, T). Its tail
``P(X > t) = alpha exp(T t) 1`` is computed by uniformization,
``sum_n Poisson(n; Lambda t) * alpha P^n 1`` with ``P = I + T/Lambda`` and
Lambda the largest phase rate: every term is non-negative, so the result is
accurate to about 1e-14 absolutely (the Poisson sum is truncated where its
remaining mass is below 1e-30). Quantiles invert the tail by bisection to
1e-13 relative; the mean is the exact sum of stage means.

Assumptions, and where they hold exactly
----------------------------------------
* Random (Bernoulli) routing: each web node sees Poisson(lam/n) arrivals; by
  Burke's theorem an M/M/c node's departures are Poisson, and Bernoulli
  thinning and superposition keep them Poisson, so every node is an exact
  M/M/c in steady state (a Jackson network). Summing the per-node sojourns as
  independent is exact for tandems of single-server FIFO nodes (Reich 1957,
  Burke 1968, the default here: web concurrency 1, the database last); with a
  multi-server node earlier on the path, sojourns are weakly dependent
  (overtaking), and the independent sum is the standard product-form value.
* Round-robin routing: cyclic assignment of a Poisson(lam) stream to n nodes
  gives each node Erlang-n inter-arrival times (the sum of n Exp(lam) gaps),
  rate lam/n. A single-server FIFO node with such arrivals is E_n/M/1, a
  GI/M/1 queue: sigma is the root in (0, 1) of ``sigma = A*(mu (1 - sigma))``,
  ``A*(s) = (lam/(lam + s))^n`` the transform of the inter-arrival time, and
  the sojourn is Exp(mu (1 - sigma)) exactly. With c servers (E_n/M/c, GI/M/c)
  sigma solves the same equation with c*mu, a waiting arrival waits
  Exp(c mu (1 - sigma)), and P(wait) comes from the node's CTMC on (requests
  present, arrival phase), solved exactly by linear level reduction. The database's arrivals are the
  thinned merge of n E_n/M/1 departure streams; thinning by 0.7 and merging
  four streams bring them close to Poisson (QNA gives ca2 ~ 0.9 at rho 0.9),
  and the reference treats them as Poisson (M/M/c). That part is an
  approximation; the simulation test in test_queueing.py measures its size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulation.queueing import erlang_c

__all__ = [
    "Latency",
    "PhaseType",
    "ek_m1_sigma",
    "ek_mc_arrival_view",
    "ek_mc_wait",
    "random_routing",
    "round_robin",
]

# Reference parameters: web nodes at rho 0.9 and the database at rho 0.7875
# when the client sends 360 req/s. The load balancer stage matches the engine's
# load_balancer defaults (service_ms 1, concurrency 100); pass
# ``lb_service_s=None`` to leave it out.
WEB_SERVICE_S = 0.010
DB_SERVICE_S = 0.025
WEB_SERVERS = 4
DB_FRACTION = 0.7
DB_CONNECTIONS = 8
LB_SERVICE_S = 0.001
LB_CONCURRENCY = 100


@dataclass(frozen=True, slots=True)
class Latency:
    """Mean and percentiles of a latency distribution, in seconds."""

    mean: float
    p50: float
    p95: float
    p99: float

    def ms(self) -> dict[str, float]:
        """The same numbers in milliseconds, keyed like the CLI's ``latency_ms``."""
        return {"mean": self.mean * 1e3, "p50": self.p50 * 1e3, "p95": self.p95 * 1e3,
                "p99": self.p99 * 1e3}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Stage:
    """One node's sojourn: optional wait phase (rate ``wait_rate``, entered w.p. ``wait_prob``)
    followed by a service phase at ``service_rate``."""

    service_rate: float
    wait_rate: float = 0.0
    wait_prob: float = 0.0

    @property
    def mean(self) -> float:
        waiting = self.wait_prob / self.wait_rate if self.wait_prob > 0.0 else 0.0
        return waiting + 1.0 / self.service_rate


def _mmc_stage(lam: float, mu: float, c: int, name: str) -> _Stage:
    if lam >= c * mu:
        raise ValueError(
            f"{name}: offered {lam:g}/s is at or above its capacity {c * mu:g}/s; "
            "the reference needs every node below saturation"
        )
    wait_prob = erlang_c(c, lam / mu) if lam > 0.0 else 0.0
    if wait_prob < 1e-15:
        # A wait branch this unlikely changes no result, but its fast rate would
        # force the uniformization into needlessly many steps.
        return _Stage(service_rate=mu)
    return _Stage(service_rate=mu, wait_rate=c * mu - lam, wait_prob=wait_prob)


class PhaseType:
    """A mixture over paths of sums of independent stage sojourns, as one phase-type law."""

    def __init__(self, paths: list[tuple[float, list[_Stage]]]) -> None:
        total = sum(weight for weight, _ in paths)
        if not math.isclose(total, 1.0, rel_tol=1e-12):
            raise ValueError(f"paths: weights must sum to 1, got {total!r}")
        rates: list[float] = []
        initial: list[float] = []
        # next_phases[i]: (phase, probability) entered when phase i completes.
        next_phases: list[list[tuple[int, float]]] = []
        self.mean = 0.0
        for weight, stages in paths:
            self.mean += weight * sum(stage.mean for stage in stages)
            entry: list[tuple[int, float]] = []  # the path's first stage entry
            previous_exit: int | None = None
            for stage in stages:
                service = len(rates) + (1 if stage.wait_prob > 0.0 else 0)
                stage_entry = [(service, 1.0 - stage.wait_prob)]
                if stage.wait_prob > 0.0:
                    wait = len(rates)
                    rates.append(stage.wait_rate)
                    next_phases.append([(service, 1.0)])
                    initial.append(0.0)
                    stage_entry.append((wait, stage.wait_prob))
                rates.append(stage.service_rate)
                next_phases.append([])
                initial.append(0.0)
                if previous_exit is None:
                    entry = stage_entry
                else:
                    next_phases[previous_exit] = stage_entry
                previous_exit = service
            for phase, probability in entry:
                initial[phase] += weight * probability
        self._rates = rates
        self._next = next_phases
        self._initial = initial
        self._uniform_rate = max(rates)
        self._masses: list[float] = []  # alpha P^n 1 for n = 0, 1, ...
        self._vector = initial[:]

    def _mass(self, n: int) -> float:
        """alpha P^n 1: the probability of not yet being absorbed after n uniformized jumps."""
        big = self._uniform_rate
        while len(self._masses) <= n:
            vector = self._vector
            self._masses.append(sum(vector))
            stepped = [v * (1.0 - rate / big) for v, rate in zip(vector, self._rates, strict=True)]
            for phase, value in enumerate(vector):
                if value:
                    flow = value * self._rates[phase] / big
                    for target, probability in self._next[phase]:
                        stepped[target] += flow * probability
            self._vector = stepped
        return self._masses[n]

    def sf(self, t: float) -> float:
        """P(X > t), accurate to about 1e-14."""
        if t <= 0.0:
            return 1.0
        x = self._uniform_rate * t
        spread = 12.0 * math.sqrt(x) + 40.0
        first = max(0, int(x - spread))
        last = int(x + spread) + 1
        log_x = math.log(x)
        total = 0.0
        for n in range(first, last + 1):
            total += math.exp(-x + n * log_x - math.lgamma(n + 1.0)) * self._mass(n)
        return min(total, 1.0)

    def quantile(self, p: float) -> float:
        """The p quantile (0 < p < 1) in seconds, by bisection to 1e-13 relative."""
        if not 0.0 < p < 1.0:
            raise ValueError(f"p: must be strictly between 0 and 1, got {p!r}")
        tail = 1.0 - p
        lo, hi = 0.0, max(self.mean, 1e-12)
        while self.sf(hi) > tail:
            lo, hi = hi, 2.0 * hi
        while hi - lo > 1e-13 * hi:
            mid = 0.5 * (lo + hi)
            if self.sf(mid) > tail:
                lo = mid
            else:
                hi = mid
        return 0.5 * (lo + hi)

    def summary(self) -> Latency:
        """Mean, p50, p95 and p99 in seconds."""
        return Latency(self.mean, self.quantile(0.5), self.quantile(0.95), self.quantile(0.99))


def _check(rps: float, web_servers: int, db_fraction: float) -> None:
    if not (isinstance(rps, int | float) and math.isfinite(rps) and rps > 0):
        raise ValueError(f"rps: must be a positive number, got {rps!r}")
    if not (isinstance(web_servers, int) and web_servers >= 1):
        raise ValueError(f"web_servers: must be an integer >= 1, got {web_servers!r}")
    if not 0.0 <= db_fraction <= 1.0:
        raise ValueError(f"db_fraction: must be within [0, 1], got {db_fraction!r}")


def _paths(
    web: _Stage, db: _Stage, db_fraction: float, lb: _Stage | None
) -> list[tuple[float, list[_Stage]]]:
    front = [lb] if lb is not None else []
    paths = []
    if db_fraction < 1.0:
        paths.append((1.0 - db_fraction, [*front, web]))
    if db_fraction > 0.0:
        paths.append((db_fraction, [*front, web, db]))
    return paths


def _lb_stage(rps: float, lb_service_s: float | None, lb_concurrency: int) -> _Stage | None:
    if lb_service_s is None:
        return None
    return _mmc_stage(rps, 1.0 / lb_service_s, lb_concurrency, "load balancer")


def random_routing(
    rps: float,
    *,
    web_service_s: float = WEB_SERVICE_S,
    web_concurrency: int = 1,
    web_servers: int = WEB_SERVERS,
    db_fraction: float = DB_FRACTION,
    db_service_s: float = DB_SERVICE_S,
    db_connections: int = DB_CONNECTIONS,
    lb_service_s: float | None = LB_SERVICE_S,
    lb_concurrency: int = LB_CONCURRENCY,
) -> PhaseType:
    """End-to-end latency law when the balancer picks a web node uniformly at random.

    Every node is M/M/c with Poisson arrivals: web nodes at ``rps/web_servers``,
    the database at ``rps*db_fraction``. The law is the mixture over the two
    paths (web only, web then database) of sums of independent M/M/c sojourns;
    call ``.summary()`` for mean/p50/p95/p99 or ``.sf(t)``/``.quantile(p)``.
    """
    _check(rps, web_servers, db_fraction)
    web = _mmc_stage(rps / web_servers, 1.0 / web_service_s, web_concurrency, "web")
    db = _mmc_stage(rps * db_fraction, 1.0 / db_service_s, db_connections, "database")
    return PhaseType(_paths(web, db, db_fraction, _lb_stage(rps, lb_service_s, lb_concurrency)))


def ek_m1_sigma(k: int, lam: float, mu: float) -> float:
    """sigma of the E_k/M/1 queue whose Erlang-k inter-arrival times have mean ``k/lam``.

    The root in (0, 1) of ``g(s) = (lam/(lam + mu(1 - s)))^k - s``. g is convex
    with g(0) > 0, so Newton steps from 0 rise monotonically to that root;
    k = 1 gives rho = lam/mu. Requires rho = lam/(k mu) < 1. For c servers
    (E_k/M/c) sigma is the same root with ``c*mu`` in place of mu.
    """
    if not (isinstance(k, int) and k >= 1):
        raise ValueError(f"k: must be an integer >= 1, got {k!r}")
    if not lam / (k * mu) < 1.0:
        raise ValueError(f"lam: rho = {lam / (k * mu):g} must be below 1 for E_k/M/1")
    sigma = 0.0
    for _ in range(200):
        base = lam / (lam + mu * (1.0 - sigma))
        value = base**k - sigma
        slope = k * base ** (k + 1) * mu / lam - 1.0
        step = value / slope
        sigma -= step
        if abs(step) <= 1e-15:
            break
    return sigma


def _solve(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    """x with matrix @ x = rhs, by Gaussian elimination with partial pivoting."""
    n = len(rhs)
    rows = [[*row, value] for row, value in zip(matrix, rhs, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(col + 1, n):
            factor = rows[r][col] / rows[col][col]
            if factor:
                rows[r] = [x - factor * y for x, y in zip(rows[r], rows[col], strict=True)]
    x = [0.0] * n
    for i in range(n - 1, -1, -1):
        x[i] = (rows[i][n] - sum(rows[i][j] * x[j] for j in range(i + 1, n))) / rows[i][i]
    return x


def ek_mc_arrival_view(k: int, lam: float, mu: float, c: int) -> list[float]:
    """What arrivals see at an E_k/M/c node: ``q[n]``, the probability of finding n present.

    Inter-arrival times are Erlang-k with phase rate ``lam`` (mean ``k/lam``).
    The node is the CTMC on (n present, arrival phase j), with phase steps at
    rate lam, an arrival (n + 1, phase 0) after the last phase, and departures
    at ``min(n, c) mu``. It is solved exactly, level by level (linear level
    reduction: ``pi_{n+1} = pi_n R_{n+1}``, the R matrices computed downward from
    a level N where sigma^(N - c) < 1e-18), and ``q[n]`` is proportional to the
    probability of being in the last phase at level n (arrivals leave from there).
    """
    if not (isinstance(c, int) and c >= 1):
        raise ValueError(f"c: must be an integer >= 1, got {c!r}")
    sigma = ek_m1_sigma(k, lam, c * mu)
    top = c + 10 + math.ceil(math.log(1e-18) / math.log(sigma)) if sigma > 0 else c + 10

    def local(n: int) -> list[list[float]]:
        block = [[0.0] * k for _ in range(k)]
        for j in range(k):
            block[j][j] = -(lam + min(n, c) * mu)
            if j + 1 < k:
                block[j][j + 1] = lam
        if n == top:
            block[k - 1][0] += lam  # the truncation level turns arrivals away
        return block

    def right_inverse_row(matrix: list[list[float]]) -> list[float]:
        # Row 0 of matrix^-1: y with y @ matrix = e_0, i.e. matrix^T y = e_0.
        transposed = [list(col) for col in zip(*matrix, strict=True)]
        return _solve(transposed, [1.0] + [0.0] * (k - 1))

    # Only the arrival entry A0[k-1][0] = lam is non-zero, so R_n = -A0 M^-1 has a
    # single non-zero row (k-1): -lam times row 0 of M^-1.
    r_rows: dict[int, list[float]] = {}
    block = local(top)
    for n in range(top, 0, -1):
        r_rows[n] = [-lam * x for x in right_inverse_row(block)]
        # Level n - 1: M = A1(n-1) + R_n A2(n), with A2(n) = min(n, c) mu I.
        block = local(n - 1)
        down = min(n, c) * mu
        for j in range(k):
            block[k - 1][j] += r_rows[n][j] * down
    # pi_0 @ block = 0 with the phases of level 0 summing to one.
    system = [list(col) for col in zip(*block, strict=True)]
    system[-1] = [1.0] * k
    level = _solve(system, [0.0] * (k - 1) + [1.0])
    last_phase = [level[k - 1]]
    for n in range(1, top + 1):
        level = [level[k - 1] * x for x in r_rows[n]]
        last_phase.append(level[k - 1])
    total = sum(last_phase)
    return [x / total for x in last_phase]


def ek_mc_wait(k: int, lam: float, mu: float, c: int) -> tuple[float, float]:
    """``(P(wait), drain)`` of an E_k/M/c node: a waiting arrival waits Exp(drain).

    GI/M/c theory: from c - 1 up, what arrivals see is geometric with ratio
    sigma (the root of ``sigma = A*(c mu (1 - sigma))``), so the wait of those
    who wait is Exp(c mu (1 - sigma)); P(wait) comes from
    :func:`ek_mc_arrival_view`. For c = 1, P(wait) = sigma.
    """
    sigma = ek_m1_sigma(k, lam, c * mu)
    seen = ek_mc_arrival_view(k, lam, mu, c)
    return sum(seen[c:]), c * mu * (1.0 - sigma)


def round_robin(
    rps: float,
    *,
    web_service_s: float = WEB_SERVICE_S,
    web_concurrency: int = 1,
    web_servers: int = WEB_SERVERS,
    db_fraction: float = DB_FRACTION,
    db_service_s: float = DB_SERVICE_S,
    db_connections: int = DB_CONNECTIONS,
    lb_service_s: float | None = LB_SERVICE_S,
    lb_concurrency: int = LB_CONCURRENCY,
) -> PhaseType:
    """End-to-end latency law when the balancer deals requests to web nodes in turn.

    Each web node is E_n/M/c (n = ``web_servers``, c = ``web_concurrency``):
    waits with probability P(wait) for Exp(c mu (1 - sigma)), then is served
    (for c = 1 the sojourn is Exp(mu (1 - sigma)) exactly); the database is
    taken as M/M/c with Poisson arrivals at ``rps*db_fraction`` (an
    approximation, see the module docstring).
    """
    _check(rps, web_servers, db_fraction)
    mu = 1.0 / web_service_s
    if rps / web_servers >= web_concurrency * mu:
        raise ValueError(
            f"web: offered {rps / web_servers:g}/s is at or above its capacity "
            f"{web_concurrency * mu:g}/s"
        )
    wait_prob, drain = ek_mc_wait(web_servers, rps, mu, web_concurrency)
    web = _Stage(service_rate=mu, wait_rate=drain, wait_prob=wait_prob)
    if wait_prob < 1e-15:
        web = _Stage(service_rate=mu)
    db = _mmc_stage(rps * db_fraction, 1.0 / db_service_s, db_connections, "database")
    return PhaseType(_paths(web, db, db_fraction, _lb_stage(rps, lb_service_s, lb_concurrency)))
