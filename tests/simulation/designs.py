"""Small design documents the simulation tests build on."""

from __future__ import annotations

from typing import Any


def single_server(
    rps: float = 50.0,
    concurrency: int = 1,
    service_ms: float = 10.0,
    instances: int = 1,
    queue_limit: int | None = None,
    mix: dict | None = None,
) -> dict:
    """A client sending to one web server group: the M/M/c test bench."""
    return {
        "format": 1,
        "name": "single server",
        "components": [
            {
                "id": "users",
                "kind": "client",
                "params": {
                    "rps": rps,
                    "mix": mix or {"read": 0.0, "write": 0.0, "static": 1.0, "job": 0.0},
                },
            },
            {
                "id": "web",
                "kind": "web_server",
                "params": {
                    "instances": instances,
                    "concurrency": concurrency,
                    "service_ms": service_ms,
                    "queue_limit": queue_limit,
                },
            },
        ],
        "links": [{"from": "users", "to": "web"}],
    }


def web_stack() -> dict:
    """Users -> LB -> web -> cache -> primary + replica, plus a queue and workers, in one DC."""
    return {
        "format": 1,
        "name": "web stack",
        "description": "A typical stack.",
        "components": [
            {"id": "users", "kind": "client", "params": {"rps": 400}},
            {"id": "dc", "kind": "datacenter", "params": {"region": "east"}},
            {"id": "lb", "kind": "load_balancer", "parent": "dc", "params": {}},
            {"id": "web", "kind": "web_server", "parent": "dc", "params": {"instances": 3}},
            {"id": "cache", "kind": "cache", "parent": "dc", "params": {"hit_ratio": 0.8}},
            {"id": "db", "kind": "database", "parent": "dc", "params": {"role": "primary"}},
            {"id": "db-r1", "kind": "database", "parent": "dc", "params": {"role": "replica"}},
            {"id": "queue", "kind": "message_queue", "parent": "dc", "params": {}},
            {"id": "workers", "kind": "worker", "parent": "dc", "params": {"instances": 2}},
        ],
        "links": [
            {"from": "users", "to": "lb"},
            {"from": "lb", "to": "web"},
            {"from": "web", "to": "cache"},
            {"from": "web", "to": "db"},
            {"from": "cache", "to": "db"},
            {"from": "db", "to": "db-r1"},
            {"from": "web", "to": "queue"},
            {"from": "queue", "to": "workers"},
            {"from": "workers", "to": "db"},
        ],
    }


def cell(k: int, x0: int) -> tuple[list[dict], list[dict]]:
    """Ten components: users, CDN, balancer, web, session store, cache, primary, replica,
    queue, workers; every kind of request path the engine knows."""
    p = f"c{k}-"

    def comp(name: str, kind: str, col: int, row: int, **params: Any) -> dict:
        return {"id": p + name, "kind": kind, "x": x0 + 200 * col, "y": 120 * row,
                "params": params}  # fmt: skip

    components = [
        comp("users", "client", 0, 0, rps=900 + 10 * (k % 7),
             mix={"read": 0.6, "write": 0.15, "static": 0.15, "job": 0.1}),
        comp("cdn", "cdn", 1, -1, hit_ratio=0.9),
        comp("lb", "load_balancer", 1, 0, algorithm="round_robin"),
        comp("web", "web_server", 2, 0, instances=4),
        comp("sessions", "session_store", 3, -1),
        comp("cache", "cache", 3, 0, hit_ratio=0.8),
        comp("db", "database", 4, 0, role="primary", size="medium"),
        comp("replica", "database", 5, 0, role="replica", size="medium"),
        comp("queue", "message_queue", 3, 1),
        comp("workers", "worker", 4, 1, instances=8),
    ]  # fmt: skip
    pairs = [
        ("users", "cdn"), ("users", "lb"), ("cdn", "lb"), ("lb", "web"), ("web", "sessions"),
        ("web", "cache"), ("web", "db"), ("cache", "db"), ("db", "replica"), ("web", "queue"),
        ("queue", "workers"), ("workers", "db"),
    ]  # fmt: skip
    return components, [{"from": p + a, "to": p + b} for a, b in pairs]


def generated_design(size: int) -> dict:
    """``size`` components (a multiple of 10) made of independent ten-component cells."""
    components: list[dict] = []
    links: list[dict] = []
    for k in range(size // 10):
        more, more_links = cell(k, 1400 * k)
        components += more
        links += more_links
    return {"format": 1, "name": f"generated, {size} components", "components": components,
            "links": links}  # fmt: skip


def settled(engine: Any, most: int = 5_000) -> Any:
    """The first frame once every node is in its steady state: a queue near capacity
    that starts empty climbs there for a while (``simulation/approach.py``)."""
    frame = engine.step()
    for _ in range(most):
        if not engine.state.unsettled:
            return frame
        frame = engine.step()
    raise AssertionError(f"not settled after {most} ticks")
