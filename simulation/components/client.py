"""Client: users that emit requests at a rate with a mix of classes."""

from __future__ import annotations

from typing import Any

from ..errors import Problem
from .base import CLASSES, Kind, pick, pick_all
from .look import Look
from .params import Param

ENTRY_KINDS = ("dns", "load_balancer", "web_server")


class Client(Kind):
    kind = "client"
    label = "Clients"
    group = "traffic"
    look = Look("ellipse", "#2563eb", "users")
    role = "source"
    help = (
        "Users sending requests: a rate, a mix of read / write / static / background-job "
        "requests, and a number of user sessions."
    )
    params = (
        Param(
            "rps",
            "float",
            100.0,
            "Requests per second the users send.",
            unit="req/s",
            min=0,
            max=10_000_000,
        ),
        Param(
            "mix",
            "map",
            {"read": 0.7, "write": 0.2, "static": 0.1, "job": 0.0},
            "Share of each request class; the shares add up to 1.",
            min=0,
            max=1,
            keys=CLASSES,
        ),
        Param(
            "sessions",
            "int",
            10000,
            "Logged-in user sessions (lost when a stateful server holding them dies).",
            unit="sessions",
            min=0,
            max=1_000_000_000,
        ),
        # Retries (simulation/retries.py): all off by default.
        Param(
            "timeout_ms",
            "float",
            None,
            "How long users wait for an answer before giving up (empty: they wait for ever). "
            "A request answered later is late: it counts as failed, though the server "
            "still did the work.",
            unit="ms",
            min=1,
            max=600_000,
            nullable=True,
            section="retries",
        ),
        Param(
            "retries",
            "int",
            0,
            "How many times a failed request (dropped, or late) is sent again before the "
            "user gives up. Each retry adds load.",
            unit="retries",
            min=0,
            max=10,
            section="retries",
        ),
        Param(
            "backoff_ms",
            "float",
            0.0,
            "Wait before the first retry; it doubles before each further retry "
            "(exponential back-off).",
            unit="ms",
            min=0,
            max=600_000,
            section="retries",
        ),
        Param(
            "jitter",
            "float",
            0.0,
            "Share of each back-off wait that is random: 0 waits exactly the back-off, "
            "1 waits a random time between zero and the back-off (full jitter), which "
            "spreads retries out.",
            min=0,
            max=1,
            section="retries",
        ),
        Param(
            "breaker_errors",
            "float",
            None,
            "Circuit breaker: share of failed requests (0 to 1) in a second that opens it "
            "(empty: no breaker). While open the client fails requests at once without "
            "sending them, which lets an overloaded server catch up.",
            min=0.01,
            max=1,
            nullable=True,
            section="retries",
        ),
        Param(
            "breaker_open_s",
            "float",
            10.0,
            "How long the circuit breaker stays open before the client tries again.",
            unit="s",
            min=0.1,
            max=3600,
            section="retries",
        ),
    )
    links_to = ("dns", "cdn", "load_balancer", "web_server")

    @staticmethod
    def retry_wait_s(params: dict[str, Any]) -> float:
        """The seconds ahead its retries are planned, summed over its retries: for each,
        the deadline and its doubled back-off (the run keeps one slot per tick of it)."""
        deadline = (params.get("timeout_ms") or 0.0) / 1000.0
        backoff = (params.get("backoff_ms") or 0.0) / 1000.0
        return sum(deadline + backoff * 2.0**j for j in range(params.get("retries") or 0))

    @classmethod
    def emits(cls, params: dict[str, Any]) -> tuple[str, ...]:
        return tuple(c for c in CLASSES if params["mix"].get(c, 0.0) > 0.0)

    @classmethod
    def check(cls, params: dict[str, Any], path: str, problems: list[Problem]) -> None:
        total = sum(params["mix"].values())
        if abs(total - 1.0) > 1e-6:
            problems.append(
                Problem(f"{path}.mix", f"shares must add up to 1 (they add up to {total:g})")
            )

    @classmethod
    def route(cls, request_class: str, targets: dict[str, list[str]], params: dict) -> list[str]:
        # Static content goes to a CDN when there is one; everything else to the site's entry.
        if request_class == "static":
            return pick(targets, "cdn") or pick_all(targets, *ENTRY_KINDS)
        return pick_all(targets, *ENTRY_KINDS) or pick(targets, "cdn")
