"""Worker: a group of instances consuming jobs from a message queue at its capacity."""

from __future__ import annotations

from typing import Any

from ..errors import Problem
from .base import Kind, pick
from .look import Look
from .params import autoscaling_params, serving_params
from .web_server import check_autoscaling


class Worker(Kind):
    kind = "worker"
    label = "Workers"
    group = "async"
    look = Look("cut-rectangle", "#4d7c0f")
    help = (
        "Consumes jobs from the message queue linked to it, as fast as its instances "
        "allow; each finished job may write to the database it links to."
    )
    params = (*serving_params(concurrency=4, service_ms=200.0), *autoscaling_params())
    queues = False
    pulls_from_queues = True
    links_to = ("database", "shard_router", "cache")
    completes = ("background",)  # the job is done here; a database may take its writes

    @classmethod
    def check(cls, params: dict[str, Any], path: str, problems: list[Problem]) -> None:
        check_autoscaling(params, path, problems)

    @classmethod
    def route(cls, request_class: str, targets: dict[str, list[str]], params: dict) -> list[str]:
        return pick(targets, "database", "shard_router", "cache")
