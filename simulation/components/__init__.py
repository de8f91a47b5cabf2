"""Component kinds: one module per kind, registered in ``KINDS``."""

from __future__ import annotations

from .base import ALL_CLASSES, BACKGROUND, CLASSES, Kind
from .cache import Cache
from .cdn import Cdn
from .client import Client
from .database import Database
from .datacenter import Datacenter
from .dns import Dns
from .load_balancer import LoadBalancer
from .message_queue import MessageQueue
from .params import LARGEST_SIZE, LINK_PARAMS, SIZE_ORDER, SIZE_TIERS, Param
from .session_store import SessionStore
from .shard_router import ShardRouter
from .web_server import WebServer
from .worker import Worker

KINDS: dict[str, type[Kind]] = {
    "client": Client,
    "dns": Dns,
    "cdn": Cdn,
    "load_balancer": LoadBalancer,
    "web_server": WebServer,
    "cache": Cache,
    "session_store": SessionStore,
    "database": Database,
    "shard_router": ShardRouter,
    "message_queue": MessageQueue,
    "worker": Worker,
    "datacenter": Datacenter,
}


def kinds_with_role(role: str) -> tuple[str, ...]:
    """Names of the kinds with ``role`` (source, router, server, group), in catalog order."""
    return tuple(name for name, kind in KINDS.items() if kind.role == role)


__all__ = [
    "ALL_CLASSES",
    "BACKGROUND",
    "CLASSES",
    "KINDS",
    "LARGEST_SIZE",
    "LINK_PARAMS",
    "SIZE_ORDER",
    "SIZE_TIERS",
    "Kind",
    "Param",
    "kinds_with_role",
]
