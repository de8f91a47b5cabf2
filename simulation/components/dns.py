"""DNS: routes clients to data centres by geo weights, failing over when one is down."""

from __future__ import annotations

from .base import Kind
from .params import Param


class Dns(Kind):
    kind = "dns"
    label = "DNS"
    group = "edge"
    role = "router"
    help = (
        "Splits users over the entry points it links to (one per data centre) by weight; "
        "with failover, a dead entry's share moves to the others after the failover delay."
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
