"""CDN: serves static content at the edge; misses and dynamic requests go to the origin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import STATIC, WARM, Kind
from .cache import warm_up
from .look import Look
from .params import Param, serving_params

if TYPE_CHECKING:
    from ..state import State


class Cdn(Kind):
    kind = "cdn"
    label = "CDN"
    group = "edge"
    look = Look("hexagon", "#0891b2")
    help = (
        "Serves static requests from edge caches with a hit ratio; misses and dynamic "
        "requests go on to the origin it links to."
    )
    params = (
        *serving_params(concurrency=1000, service_ms=5.0, size="small"),
        Param(
            "hit_ratio",
            "float",
            0.95,
            "Share of static requests served from the edge.",
            min=0,
            max=1,
        ),
    )
    links_to = ("load_balancer", "web_server")
    cold_misses = ("static requests", "the origin", STATIC)
    state_fields = (WARM,)

    def answered(self, state: State, i: int, p: dict, k: int) -> float:
        return p["hit_ratio"] * state.warm[i] if k == STATIC else 0.0

    def extra(self, state: State, i: int, p: dict) -> dict:
        return warm_up(state, i, p)
