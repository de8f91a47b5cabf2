"""Latency distributions at the exits, scenario checks, and the run report's averages."""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

from .queueing import _lower_gamma_regularized, gamma_percentile, mmc, mmck, response_percentile

# Above this shape the gamma CDF is evaluated by Wilson-Hilferty (error below 1e-4 in
# probability there), which costs one normal CDF instead of a long series.
WILSON_HILFERTY_SHAPE = 200.0
_NORMAL = NormalDist()

CLASS_NAMES = ("read", "write", "static", "job")

OPS = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


def mixture_percentile(p: float, parts: tuple[tuple[float, float, float], ...]) -> float:
    """The ``p`` quantile (s) of a mixture of gammas given as ``(weight, mean, var)`` parts.

    Each exit stream of a request class is fitted with the gamma of its first two
    moments; the class's latency is their mixture, weighted by rate.
    """
    parts = tuple(part for part in parts if part[0] > 0.0)
    if not parts:
        return 0.0
    if len(parts) == 1:
        _, mean, var = parts[0]
        return gamma_quantile(p, mean, var)
    return _mixture_percentile(p, _rounded(parts))


def _rounded(parts: tuple[tuple[float, float, float], ...]) -> tuple:
    total = sum(w for w, _, _ in parts)
    return tuple(
        (float(f"{w / total:.6g}"), float(f"{m:.6g}"), float(f"{v:.6g}")) for w, m, v in parts
    )


@lru_cache(maxsize=8192)
def _mixture_percentile(p: float, parts: tuple[tuple[float, float, float], ...]) -> float:
    # The mixture's quantile lies between the smallest and largest part quantiles.
    # Newton steps on the CDF, kept inside that bracket (bisecting when a step leaves it).
    quantiles = [gamma_quantile(p, m, v) for _, m, v in parts]
    lo, hi = min(quantiles), max(quantiles)
    if hi - lo <= 1e-12 * max(hi, 1e-12):
        return hi
    x = sum(w * q for (w, _, _), q in zip(parts, quantiles, strict=True))
    for _ in range(60):
        excess = _mixture_cdf(x, parts) - p
        if excess < 0.0:
            lo = x
        else:
            hi = x
        density = _mixture_pdf(x, parts)
        step = excess / density if density > 0.0 else math.inf
        candidate = x - step
        if not lo < candidate < hi:
            candidate = 0.5 * (lo + hi)
        if abs(candidate - x) <= 1e-9 * x or hi - lo <= 1e-9 * hi:
            return candidate
        x = candidate
    return x


def _mixture_pdf(x: float, parts: tuple[tuple[float, float, float], ...]) -> float:
    total = 0.0
    for w, mean, var in parts:
        if mean <= 0.0 or var <= 0.0 or x <= 0.0:
            continue
        shape = mean * mean / var
        rate = mean / var
        log_pdf = shape * math.log(rate) + (shape - 1.0) * math.log(x) - rate * x
        total += w * math.exp(log_pdf - math.lgamma(shape))
    return total


def _mixture_cdf(x: float, parts: tuple[tuple[float, float, float], ...]) -> float:
    total = 0.0
    for w, mean, var in parts:
        if mean <= 0.0:
            total += w
        elif var <= 0.0:
            total += w if x >= mean else 0.0
        else:
            shape = mean * mean / var
            if shape > WILSON_HILFERTY_SHAPE:
                total += w * _wilson_hilferty_cdf(shape, x * mean / var)
            else:
                total += w * _lower_gamma_regularized(shape, x * mean / var)
    return total


def gamma_quantile(p: float, mean: float, var: float) -> float:
    """The ``p`` quantile of the gamma with this mean and variance (s); 0 for a zero mean.

    Large shapes (nearly deterministic latencies, as in a long backlog) use the
    Wilson-Hilferty cube, which is accurate there and far cheaper than inverting
    the incomplete gamma.
    """
    if mean <= 0.0:
        return 0.0
    if var <= 0.0:
        return mean
    shape = mean * mean / var
    if shape > WILSON_HILFERTY_SHAPE:
        spread = 1.0 / (9.0 * shape)
        cube = 1.0 - spread + _NORMAL.inv_cdf(p) * math.sqrt(spread)
        return mean * cube**3
    return gamma_percentile(p, mean, var)


def _wilson_hilferty_cdf(shape: float, x: float) -> float:
    """P(shape, x) by the Wilson-Hilferty cube-root normal approximation (large shapes)."""
    if x <= 0.0:
        return 0.0
    spread = 1.0 / (9.0 * shape)
    return _NORMAL.cdf(((x / shape) ** (1.0 / 3.0) - (1.0 - spread)) / math.sqrt(spread))


def mixture_moments(parts: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Total weight, mean and variance of a mixture of ``(weight, mean, second_moment)``."""
    weight = sum(w for w, _, _ in parts)
    if weight <= 0.0:
        return 0.0, 0.0, 0.0
    mean = sum(w * m for w, m, _ in parts) / weight
    second = sum(w * s for w, _, s in parts) / weight
    return weight, mean, max(second - mean * mean, 0.0)


class CheckState:
    """A scenario check: fails once its condition holds for ``for_s`` seconds in a row."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.compare = OPS[spec["op"]]
        self.since: float | None = None
        self.failed_at: float | None = None

    def update(self, value: float, t_start: float, t_end: float) -> bool:
        """Record one tick's value; True when the check fails at this tick."""
        if self.failed_at is not None or not math.isfinite(value):
            return False
        if not self.compare(value, self.spec["value"]):
            self.since = None
            return False
        if self.since is None:
            self.since = t_start
        if t_end - self.since >= self.spec["for_s"] - 1e-9:
            self.failed_at = t_end
            return True
        return False

    def to_json(self) -> dict:
        return {
            "name": self.spec["name"],
            "passed": self.failed_at is None,
            "failed_at": self.failed_at,
            "metric": self.spec["metric"],
            "component": self.spec["component"],
            "op": self.spec["op"],
            "value": self.spec["value"],
            "for_s": self.spec["for_s"],
            "abort": self.spec["abort"],
        }


class Report:
    """Collects frames into the CLI JSON object: averages after warm-up, series, events."""

    def __init__(self, engine: object) -> None:
        self.engine = engine
        self.ticks = 0
        self.kept = 0
        self._last_nodes: dict | None = None
        self._repeats = 0
        self.sums: dict[str, float] = {}
        self.nodes: dict[str, dict[str, float]] = {}
        self.series: dict[str, list[float]] = {
            "t": [], "offered_rps": [], "throughput_rps": [], "error_rate": [], "p50_ms": [],
            "p95_ms": [], "p99_ms": [], "cost_per_hour": [],
        }  # fmt: skip

    def add(self, frame: object) -> None:
        g = frame.globals
        self.ticks += 1
        for key in self.series:
            self.series[key].append(round(frame.t if key == "t" else g[key], 6))
        if frame.t - frame.dt < self.engine.warmup_s - 1e-9:
            return
        self.kept += 1
        sums = self.sums
        tput = g["throughput_rps"]
        for key in ("offered_rps", "throughput_rps", "dropped_rps", "cost_per_hour"):
            sums[key] = sums.get(key, 0.0) + g[key]
        for key in ("mean_ms", "p50_ms", "p95_ms", "p99_ms"):
            sums[key] = sums.get(key, 0.0) + g[key] * tput
        if frame.nodes is self._last_nodes:
            self._repeats += 1  # a repeated quiet tick: added up when the nodes change
            return
        self._flush()
        self._last_nodes = frame.nodes
        self._repeats = 1

    def _flush(self) -> None:
        if self._last_nodes is None:
            return
        count = self._repeats
        for cid, node in self._last_nodes.items():
            acc = self.nodes.setdefault(cid, {})
            served = node.served
            for key, value in (
                ("offered_rps", node.offered), ("served_rps", served),
                ("dropped_rps", node.dropped), ("utilization", node.util),
                ("queue", node.queued), ("lat_w", node.lat / 1000.0 * served),
                ("e2_w", (node.var + (node.lat / 1000.0) ** 2) * served),
            ):  # fmt: skip
                acc[key] = acc.get(key, 0.0) + value * count
            acc["status"] = node.status
        self._last_nodes = None

    def to_json(self) -> dict:
        self._flush()
        engine = self.engine
        kept = max(self.kept, 1)
        s = self.sums
        tput = s.get("throughput_rps", 0.0)
        dropped = s.get("dropped_rps", 0.0)
        attempts = tput + dropped
        error_rate = dropped / attempts if attempts > 0 else 0.0

        def lat(key: str) -> float:
            return s.get(key, 0.0) / tput if tput > 0 else 0.0

        components = {}
        for cid, acc in self.nodes.items():
            served = acc["served_rps"]
            mean = acc["lat_w"] / served if served > 0 else 0.0
            var = max(acc["e2_w"] / served - mean * mean, 0.0) if served > 0 else 0.0
            components[cid] = {
                "offered_rps": acc["offered_rps"] / kept,
                "served_rps": served / kept,
                "dropped_rps": acc["dropped_rps"] / kept,
                "utilization": acc["utilization"] / kept,
                "queue": acc["queue"] / kept,
                "status": acc["status"],
                "latency_ms": {
                    "mean": mean * 1000.0,
                    "p50": _gamma_ms(0.5, mean, var),
                    "p95": _gamma_ms(0.95, mean, var),
                    "p99": _gamma_ms(0.99, mean, var),
                },
            }
        return {
            "design": engine.document["name"],
            "seed": engine.seed,
            "tick_s": engine.dt,
            "ticks": self.ticks,
            "duration_s": engine.now,
            "warmup_s": engine.warmup_s,
            "aborted": engine.aborted,
            "summary": {
                "offered_rps": s.get("offered_rps", 0.0) / kept,
                "served_rps": tput / kept,
                "dropped_rps": dropped / kept,
                "availability": 1.0 - error_rate,
                "error_rate": error_rate,
                "cost_per_hour": s.get("cost_per_hour", 0.0) / kept,
                "latency_ms": {
                    "mean": lat("mean_ms"),
                    "p50": lat("p50_ms"),
                    "p95": lat("p95_ms"),
                    "p99": lat("p99_ms"),
                },
            },
            "components": components,
            "series": {k: list(v) for k, v in self.series.items()},
            "events": list(engine.events),
            "checks": [check.to_json() for check in engine.checks],
        }


def _gamma_ms(p: float, mean: float, var: float) -> float:
    return gamma_quantile(p, mean, var) * 1000.0


def node_steady_state(
    lam_i: float, mu: float, c: int, ca2: float, limit: int | None, timeout_ms: float | None
) -> tuple[float, float, float, float, float, float]:
    """One instance in steady state: (drop fraction, mean s, variance s^2, p95 s, rho, cd2)."""
    st = mmc(lam_i, mu, c, ca2) if limit is None else mmck(lam_i, mu, c, limit)
    drop_frac = st.block_prob
    if timeout_ms is not None and st.wait_prob > 0.0:
        # Waits past the timeout: the M/M/c wait tail, stretched by Allen-Cunneen's factor.
        drain = (c * mu - lam_i) if limit is None else c * mu
        tail = st.wait_prob * math.exp(-drain * timeout_ms / 1000.0 * 2.0 / (ca2 + 1.0))
        drop_frac += (1.0 - drop_frac) * tail
    w, v = st.mean_response, st.response_var
    if limit is None and timeout_ms is None and abs(ca2 - 1.0) < 1e-9:
        p95 = response_percentile(0.95, lam_i, mu, c)
    else:
        p95 = gamma_quantile(0.95, w, v)
    util = st.rho
    # Whitt's QNA departure variability for exponential service (cs2 = 1).
    cd2 = 1.0 + (1.0 - util * util) * (ca2 - 1.0)
    return drop_frac, w, v, p95, util, cd2


def _merge(exits: tuple[tuple[float, float, float], ...]) -> list[tuple[float, float, float]]:
    """Exit streams as (rate, mean, variance), streams with equal moments merged."""
    merged: dict[tuple[float, float], float] = {}
    for rate, m1, m2 in exits:
        if rate > 0.0:
            merged[(m1, m2)] = merged.get((m1, m2), 0.0) + rate
    return [(rate, m1, max(m2 - m1 * m1, 0.0)) for (m1, m2), rate in merged.items()]


def _percentiles(parts: tuple[tuple[float, float, float], ...]) -> dict[str, float]:
    return {
        "p50_ms": mixture_percentile(0.5, parts) * 1000.0,
        "p95_ms": mixture_percentile(0.95, parts) * 1000.0,
        "p99_ms": mixture_percentile(0.99, parts) * 1000.0,
    }


def exit_latencies(exits: tuple[tuple[tuple[float, float, float], ...], ...]) -> tuple:
    """(completed req/s, sum of rate x mean, per-class numbers, overall percentiles)."""
    classes = {}
    completed = weighted_mean = 0.0
    everything: list[tuple[float, float, float]] = []
    for k, streams in enumerate(exits):
        parts = _merge(streams)
        rate = sum(r for r, _, _ in parts)
        if rate <= 0.0:
            continue
        mean = sum(r * m1 for r, m1, _ in parts) / rate
        completed += rate
        weighted_mean += rate * mean
        everything.extend(streams)
        classes[CLASS_NAMES[k]] = {"rps": rate, "mean_ms": mean * 1000.0,
                                   **_percentiles(tuple(parts))}  # fmt: skip
    return completed, weighted_mean, classes, _percentiles(tuple(_merge(tuple(everything))))
