"""Retries: the engine against a per-request simulation of the same retry policy.

Usage: ``python bench/bench_retries.py [--seconds S]`` prints the two Markdown tables
quoted in docs/model.md ("Retries and goodput"): the retry multiplier (attempts sent per
new request) at steady loads, and a storm (a 10-s spike of +80 req/s on 120 req/s at
eight servers of 50 ms, clients with a 1-s deadline and 3 retries) with and without the
ways out. The simulation is ``tests/simulation/retry_sim.py`` (``S`` simulated seconds
per steady point, 600 by default).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation import Engine  # noqa: E402
from tests.simulation.designs import single_server  # noqa: E402
from tests.simulation.retry_sim import simulate  # noqa: E402
from tests.simulation.test_retry_fidelity import engine_multiplier  # noqa: E402

# (utilisation of new requests, servers, service ms, queue limit, deadline s, retries,
# back-off s with full jitter)
STEADY = [
    (0.5, 2, 20.0, 2, 1.0, 1, 1.0),
    (0.8, 2, 20.0, 4, 1.0, 3, 1.0),
    (0.9, 1, 10.0, 5, 1.0, 4, 1.0),
    (1.0, 2, 20.0, 8, 1.0, 5, 1.0),
    (1.1, 8, 50.0, 5, 1.0, 3, 1.0),
    (1.2, 2, 20.0, 8, 1.0, 2, 1.0),
    (1.2, 4, 40.0, 4, 1.0, 5, 1.0),
    (0.5, 1, 10.0, None, 0.05, 1, 1.0),
    (0.5, 4, 40.0, None, 0.15, 2, 1.0),
    (1.2, 2, 20.0, 8, 1.0, 2, 0.0),
    (0.8, 2, 20.0, 4, 1.0, 3, 0.0),
]
C, SERVICE_MS, BASE, SPIKE, AT, UNTIL, END = 8, 50.0, 120.0, 80.0, 20, 30, 150
STORMS = [
    ("3 retries at once", {"timeout_ms": 1000.0, "retries": 3}, None),
    ("+ back-off 1 s, full jitter, breaker 0.5 / 5 s",
     {"timeout_ms": 1000.0, "retries": 3, "backoff_ms": 1000.0, "jitter": 1.0,
      "breaker_errors": 0.5, "breaker_open_s": 5.0}, None),
    ("3 retries at once, queue limit 40", {"timeout_ms": 1000.0, "retries": 3}, 40),
    ("back-off 1 s, full jitter, no breaker",
     {"timeout_ms": 1000.0, "retries": 3, "backoff_ms": 1000.0, "jitter": 1.0}, None),
]  # fmt: skip


def storm_runs(policy: dict, limit) -> tuple[list, list, list, list]:
    doc = single_server(rps=BASE, service_ms=SERVICE_MS, concurrency=C, queue_limit=limit)
    doc["components"][0]["params"].update(policy)
    spike = {"source": "users", "at": AT, "duration_s": UNTIL - AT, "rps": SPIKE}
    engine = Engine(doc, {"duration_s": END, "spikes": [spike]})
    frames = [engine.step() for _ in range(END)]
    breaker = (
        (policy["breaker_errors"], policy["breaker_open_s"]) if "breaker_errors" in policy else None
    )
    ref = simulate([(AT, BASE), (UNTIL, BASE + SPIKE), (END, BASE)], 1000.0 / SERVICE_MS, C,
                   deadline=policy["timeout_ms"] / 1000.0, retries=policy["retries"],
                   backoff=policy.get("backoff_ms", 0.0) / 1000.0,
                   jitter=policy.get("jitter", 0.0), queue_limit=limit, breaker=breaker,
                   seed=2)  # fmt: skip
    return ([f.globals["offered_rps"] for f in frames], [f.globals["goodput_rps"] for f in frames],
            ref["attempts"], ref["goodput"])  # fmt: skip


def recovered(goodput: list) -> str:
    for t in range(UNTIL, END - 5):
        if sum(goodput[t : t + 5]) / 5 >= 0.9 * BASE:
            return f"{t - UNTIL} s"
    return "never"


def outage(goodput: list) -> int:
    """Seconds from the spike on with goodput below half the new requests."""
    return sum(1 for x in goodput[AT:] if x < 0.5 * BASE)


def mean(xs: list) -> float:
    return sum(xs) / len(xs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    args = parser.parse_args()
    print("| utilisation | servers | queue limit | deadline (s) | retries | back-off (s) "
          "| multiplier (sim) | engine | error |")  # fmt: skip
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for rho, c, service_ms, limit, deadline, r, backoff in STEADY:
        lam = rho * c * 1000.0 / service_ms
        ref = simulate([(args.seconds, lam)], 1000.0 / service_ms, c, deadline=deadline,
                       retries=r, queue_limit=limit, backoff=backoff, jitter=1.0,
                       seed=11)  # fmt: skip
        sim = sum(ref["attempts"][40:]) / sum(ref["new"][40:])
        got = engine_multiplier(lam, c, service_ms, limit, deadline, r, backoff)
        print(f"| {rho:g} | {c} | {limit if limit is not None else '-'} | {deadline:g} | {r} "
              f"| {backoff:g} | {sim:.3f} | {got:.3f} | {got / sim - 1:+.1%} |")  # fmt: skip
    print()
    print("| clients | attempts / new, 60-80 s after (sim) | engine | recovered (sim) | engine "
          "| seconds under half goodput (sim) | engine |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    late = slice(UNTIL + 60, UNTIL + 80)
    for name, policy, limit in STORMS:
        offered, goodput, attempts, ref_goodput = storm_runs(policy, limit)
        print(f"| {name} | {mean(attempts[late]) / BASE:.2f} | {mean(offered[late]) / BASE:.2f} "
              f"| {recovered(ref_goodput)} | {recovered(goodput)} "
              f"| {outage(ref_goodput)} | {outage(goodput)} |")  # fmt: skip


if __name__ == "__main__":
    main()
