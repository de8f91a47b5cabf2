"""DNS: routes clients to data centres by geo weights, failing over when one is down."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .base import DesignLinks, Kind, check_weights_link
from .look import Look
from .params import Param

if TYPE_CHECKING:
    from ..errors import Problem
    from ..state import State


class Dns(Kind):
    kind = "dns"
    label = "DNS"
    group = "edge"
    look = Look("diamond", "#7c3aed")
    role = "router"
    help = (
        "Splits users over the entry points it links to (one per data centre) by weight; "
        "with failover, the share of an entry that stops serving (dead, or every server "
        "behind its load balancer dead) moves to the others after the failover delay."
    )
    params = (
        Param(
            "weights",
            "map",
            {},
            "Share per linked component or data-centre id (geo weights); missing ones weigh 1.",
            min=0,
            max=1_000_000,
        ),
        Param("failover", "bool", True, "Stop sending users to an entry point that is down."),
        Param(
            "failover_s",
            "float",
            30.0,
            "Time to notice a dead entry and let cached answers expire (health check + TTL).",
            unit="s",
            min=0,
            max=86400,
        ),
    )
    links_to = ("cdn", "load_balancer", "web_server")
    detection_params = ("failover_s",)

    @classmethod
    def check_links(
        cls, comp: dict, links: DesignLinks, path: str, problems: list[Problem]
    ) -> None:
        """A weight names an entry it links to or that entry's data centre."""
        entries = links.targets.get(comp["id"], [])
        parents = [links.by_id[e].get("parent") for e in entries]
        # A parent that is no id is reported on its own; it names no data centre here.
        named = {*entries, *(parent for parent in parents if isinstance(parent, str))}
        check_weights_link(comp, named, links, path, problems)

    def weights(self, state: State, i: int, p: dict, targets: list[tuple[int, int]]) -> list[float]:
        """Geo weights by entry id, else its data centre's id; 0 for an entry that has not
        served end to end for ``failover_s`` (``unhealthy_since``)."""
        m = state.model
        weights = []
        for j, _ in targets:
            w = p["weights"].get(m.ids[j])
            if w is None and m.dc_of[j] >= 0:
                w = p["weights"].get(m.ids[m.dc_of[j]])
            w = 1.0 if w is None else w
            gone = state.now - unhealthy_since(state, j) >= p["failover_s"]
            weights.append(0.0 if (p["failover"] and gone) else w)
        return weights


def unhealthy_since(state: State, j: int) -> float:
    """When entry ``j`` stopped serving users end to end, as a health check through it sees
    it; inf while it serves. A live balancer serves while any tier behind it does, so a
    data centre whose web tier is dead behind a live balancer is failed over too."""
    if state.count_alive(j) == 0:
        return state.down_since_any(j)
    m = state.model
    if not m.kind_of[j].balances or not m.targets[j]:
        return math.inf
    return max(unhealthy_since(state, b) for b, _ in m.targets[j])
