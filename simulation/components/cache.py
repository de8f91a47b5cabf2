"""Cache: answers reads with a hit ratio; misses go on to the database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import EPS, READ, WARM, Kind, pick
from .look import Look
from .params import Param, serving_params

if TYPE_CHECKING:
    from ..state import State


class Cache(Kind):
    kind = "cache"
    label = "Cache"
    group = "data"
    look = Look("pentagon", "#dc2626")
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
    skipped_when_down = True
    cache_aside = True
    cold_misses = ("reads", "the database", READ)
    state_fields = (WARM,)

    @classmethod
    def route(cls, request_class: str, targets: dict[str, list[str]], params: dict) -> list[str]:
        return pick(targets, "database", "shard_router")

    def answered(self, state: State, i: int, p: dict, k: int) -> float:
        return p["hit_ratio"] * state.warm[i] if k == READ else 0.0

    def extra(self, state: State, i: int, p: dict) -> dict:
        return warm_up(state, i, p)


def warm_up(state: State, i: int, p: dict) -> dict:
    """Warm a cold (flushed or recovered) live cache by one tick; its hit ratio and warmth."""
    if state.warm[i] < 1.0 and state.alive[i] > 0:
        warmup_s = state.model.kind_of[i].warmup_s(p)
        state.warm[i] = min(1.0, state.warm[i] + state.dt / max(warmup_s, EPS))
        state.unsettled = True
    return {"hit_ratio": p["hit_ratio"] * state.warm[i], "warm": state.warm[i]}
