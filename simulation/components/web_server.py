"""Web server: a group of instances of one size serving the site's requests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Problem
from .base import Kind, pick
from .params import Param, autoscaling_params, serving_params

if TYPE_CHECKING:
    from ..engine import Engine

DATA_KINDS = ("database", "shard_router")


class WebServer(Kind):
    kind = "web_server"
    label = "Web servers"
    group = "compute"
    help = (
        "A group of instances (scale out) of one size tier (scale up). Static requests are "
        "answered here; reads go to the cache then the database, writes to the primary "
        "database, jobs to the message queue. Stateful servers keep sessions in memory "
        "(lost when an instance dies, sticky routing needed); stateless ones keep them in "
        "a shared session store."
    )
    params = (
        *serving_params(concurrency=8, service_ms=20.0),
        Param("stateful", "bool", False, "Keep user sessions in the instance's memory."),
        *autoscaling_params(),
    )
    links_to = ("cache", "database", "shard_router", "message_queue", "session_store")

    @classmethod
    def check(cls, params: dict[str, Any], path: str, problems: list[Problem]) -> None:
        check_autoscaling(params, path, problems)

    @classmethod
    def route(cls, request_class: str, targets: dict[str, list[str]], params: dict) -> list[str]:
        if request_class == "read":
            return pick(targets, "cache") or pick(targets, *DATA_KINDS)
        if request_class == "write":
            return pick(targets, *DATA_KINDS)
        if request_class == "job":
            return pick(targets, "message_queue")
        return []

    def extra(self, engine: Engine, i: int, p: dict) -> dict:
        return {"sessions_lost": engine.sessions_lost[i]} if p["stateful"] else {}


def check_autoscaling(params: dict[str, Any], path: str, problems: list[Problem]) -> None:
    if params["min_instances"] > params["max_instances"]:
        problems.append(Problem(f"{path}.min_instances", "must not be above max_instances"))
