"""Small design documents the simulation tests build on."""

from __future__ import annotations


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
