"""The engine at arrival rate = capacity against its references (issue 13, item 3).

Unlimited queues started empty: the engine's queue and mean response after ``t`` seconds
against the event-by-event reference (``tests/simulation/edge_reference.py``; its
standard error is printed). Limited queues (10 places): drops and mean response against
M/M/c/K's closed form. Approached from below: one server from empty at rho 0.9 to 1.01
after 1 to 120 s (the queue climbs to its steady state, ``simulation/approach.py``).
Run: ``.venv/bin/python -m bench.bench_capacity_edge``.
"""

from __future__ import annotations

from simulation import Engine
from simulation.queueing import mmck
from tests.simulation.designs import single_server
from tests.simulation.edge_reference import transient

MU = 100.0


def node_after(servers: int, lam: float, seconds: int, limit: int | None = None):
    engine = Engine(single_server(rps=lam, concurrency=servers, service_ms=10.0,
                                  queue_limit=limit), {"duration_s": 1000})  # fmt: skip
    for _ in range(seconds):
        node = engine.step().nodes["web"]
    return node


def main() -> None:
    print(
        "| servers | rho | t (s) | queue: engine | reference (± se) | error "
        "| response ms: engine | reference (± se) | error | p95 ms: engine | reference | error |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for servers, rho, seconds, reps in [
        (1, 1.0, 10, 1600), (1, 1.0, 30, 800), (1, 1.01, 30, 800), (1, 1.05, 30, 800),
        (4, 1.0, 10, 600), (4, 1.02, 10, 600), (16, 1.0, 5, 240), (16, 1.01, 5, 240),
    ]:  # fmt: skip
        lam = rho * servers * MU
        ref = transient(lam, MU, servers, float(seconds), reps=reps, seed=11)
        node = node_after(servers, lam, seconds)
        q, r = ref.waiting, ref.response
        print(
            f"| {servers} | {rho} | {seconds} | {node.queued:.1f} | {q.mean:.1f} ± "
            f"{q.stderr:.1f} | {node.queued / q.mean - 1:+.1%} | {node.lat:.0f} | "
            f"{r.mean * 1000:.0f} ± {r.stderr * 1000:.0f} | "
            f"{node.lat / (r.mean * 1000) - 1:+.1%} | {node.p95:.0f} | {ref.p95 * 1000:.0f} | "
            f"{node.p95 / (ref.p95 * 1000) - 1:+.1%} |"
        )
    print()
    print("| rho | t (s) | response ms: engine | reference (± se) | error | steady state "
          "| p95 ms: engine | reference | error |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for rho in (0.9, 0.97, 0.99, 0.999, 1.0, 1.01):
        for seconds in (1, 5, 30, 120):
            lam = rho * MU
            reps = {1: 800, 5: 400, 30: 200, 120: 80}[seconds]
            ref = transient(lam, MU, 1, float(seconds), reps=reps, seed=17)
            node = node_after(1, lam, seconds)
            r = ref.response
            steady = f"{1000.0 / (MU - lam):.0f}" if rho < 1.0 else "none"
            print(
                f"| {rho} | {seconds} | {node.lat:.0f} | {r.mean * 1000:.0f} ± "
                f"{r.stderr * 1000:.0f} | {node.lat / (r.mean * 1000) - 1:+.1%} | {steady} | "
                f"{node.p95:.0f} | {ref.p95 * 1000:.0f} | "
                f"{node.p95 / (ref.p95 * 1000) - 1:+.1%} |"
            )
    print()
    print("| servers | rho | drops: engine | M/M/c/K | response ms: engine | M/M/c/K |")
    print("|---|---|---|---|---|---|")
    for servers in (1, 4, 16):
        for rho in (0.999, 1.0, 1.001):
            lam = rho * servers * MU
            node = node_after(servers, lam, 1, limit=10)
            st = mmck(lam, MU, servers, 10)
            print(
                f"| {servers} | {rho} | {node.dropped / node.offered:.4f} | "
                f"{st.block_prob:.4f} | {node.lat:.1f} | {st.mean_response * 1000:.1f} |"
            )


if __name__ == "__main__":
    main()
