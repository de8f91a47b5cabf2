"""Message queue: a durable buffer between producers and workers."""

from __future__ import annotations

from .base import BACKGROUND, Kind, pick
from .params import Param, serving_params


class MessageQueue(Kind):
    kind = "message_queue"
    label = "Message queue"
    group = "async"
    help = (
        "Producers publish jobs here and go on; workers consume them at their capacity. "
        "While workers are down the backlog and the age of the oldest message grow, and "
        "nothing is lost until the queue holds max_messages."
    )
    params = (
        *serving_params(concurrency=100, service_ms=1.0),
        Param(
            "max_messages",
            "int",
            1_000_000,
            "Most messages held; new ones are rejected above it.",
            unit="messages",
            min=1,
            max=1_000_000_000,
        ),
    )
    links_to = ("worker",)

    @classmethod
    def route(cls, request_class: str, targets: dict[str, list[str]], params: dict) -> list[str]:
        return pick(targets, "worker") if request_class == BACKGROUND else []
