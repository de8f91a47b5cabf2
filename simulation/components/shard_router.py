"""Shard router: splits data by key over the database shards it links to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Kind
from .look import Look
from .params import Param

if TYPE_CHECKING:
    from ..state import State


class ShardRouter(Kind):
    kind = "shard_router"
    label = "Shard router"
    group = "data"
    look = Look("rhomboid", "#b45309", "router")
    role = "router"
    help = (
        "Splits requests by key over the shards it links to (each a database with the same "
        "schema and no overlap). With skewed keys the first shard gets the most (a hot "
        "shard)."
    )
    params = (
        Param(
            "skew",
            "float",
            0.0,
            "Key skew: 0 spreads keys evenly; above 0 shard i gets a "
            "share proportional to 1/i^skew (Zipf), in link order.",
            min=0,
            max=4,
        ),
    )
    links_to = ("database",)
    data_tier = True

    def weights(self, state: State, i: int, p: dict, targets: list[tuple[int, int]]) -> list[float]:
        """Zipf shares by link order: shard r gets 1/(r+1)^skew."""
        skew = p["skew"]
        return [1.0 / (r + 1) ** skew for r in range(len(targets))]
