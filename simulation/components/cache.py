"""Cache: answers reads with a hit ratio; misses go on to the database."""

from __future__ import annotations

from .base import Kind, pick
from .params import Param, serving_params


class Cache(Kind):
    kind = "cache"
    label = "Cache"
    group = "data"
    help = (
        "An in-memory cache in front of the database. Reads hit with the hit ratio; misses "
        "go to the database (the one this cache links to, or else the ones its web servers "
        "link to). When it fails or is flushed every read hits the database (a stampede); "
        "after recovery it is cold and warms up over the warm-up time."
    )
    params = (
        *serving_params(concurrency=50, service_ms=0.5),
        Param("hit_ratio", "float", 0.8, "Share of reads found in a warm cache.", min=0, max=1),
        Param(
            "warmup_s",
            "float",
            60.0,
            "Time for a cold cache to reach its hit ratio.",
            unit="s",
            min=0,
            max=86400,
        ),
    )
    links_to = ("database", "shard_router")

    @classmethod
    def route(cls, request_class: str, targets: dict[str, list[str]], params: dict) -> list[str]:
        return pick(targets, "database", "shard_router")
