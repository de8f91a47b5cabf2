"""Database: a primary taking writes, replicas sharing reads with replication lag."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import Problem, named
from .base import BACKGROUND_K, JOB, NCLASS, WRITE, DesignLinks, Field, Kind
from .look import Look
from .params import Param, serving_params

if TYPE_CHECKING:
    from ..state import State


class Database(Kind):
    kind = "database"
    label = "Database"
    group = "data"
    look = Look("barrel", "#9333ea", "db")
    help = (
        "A primary takes writes (and reads when no replica is up); replicas, linked from "
        "their primary, share reads and lag behind it more as the write load grows. When "
        "the primary fails, writes fail until a replica is promoted after the failover "
        "delay; writes inside the replication lag are lost."
    )
    params = (
        *serving_params(concurrency=8, service_ms=5.0),
        Param(
            "role",
            "choice",
            "primary",
            "primary takes writes; a replica copies its primary "
            "(link primary -> replica) and serves reads.",
            choices=("primary", "replica"),
        ),
        Param(
            "failover_s",
            "float",
            30.0,
            "Time from a primary's failure to a replica's promotion.",
            unit="s",
            min=0,
            max=86400,
        ),
        Param(
            "replication_lag_ms",
            "float",
            10.0,
            "Replication lag at no write load.",
            unit="ms",
            min=0,
            max=3_600_000,
        ),
        Param(
            "apply_rps",
            "float",
            5000.0,
            "Writes per second a replica can apply; the lag grows without bound above it.",
            unit="req/s",
            min=1,
            max=10_000_000,
        ),
    )
    links_to = ("database",)
    detection_params = ("failover_s",)
    replicates = True
    state_fields = (
        Field("repl_backlog"),  # writes a replica has yet to apply
        # A replica's lag (s); a quiet tick is reused only while every lag stays put.
        Field("lag_s", initial=lambda p: p["replication_lag_ms"] / 1000.0, watched=True),
        Field("lost_writes"),  # writes a failed primary took that no replica got
        Field("unapplied"),  # writes a replica lacks: in flight, queued and backlogged
    )
    data_tier = True
    completes = ("read", "write", "background")

    @classmethod
    def link_rule(cls, src: dict, dst: dict) -> str | None:
        """A link between databases is replication: from a primary to one of its replicas."""
        if dst["kind"] != cls.kind:
            return None
        if src["params"]["role"] != "primary":
            return f"only a primary database replicates; {named(src)} is a replica"
        if dst["params"]["role"] != "replica":
            return f"a database links only to its replicas; {named(dst)} is not a replica"
        return None

    @classmethod
    def check_links(
        cls, comp: dict, links: DesignLinks, path: str, problems: list[Problem]
    ) -> None:
        """A replica copies exactly one primary."""
        if comp["params"]["role"] != "replica":
            return
        senders = links.senders.get(comp["id"], ())
        primaries = [s for s in senders if links.by_id[s]["kind"] == cls.kind]
        if len(primaries) != 1:
            problems.append(
                Problem(
                    f"{path}.params.role",
                    f"replica {named(comp)} needs "
                    f"exactly one primary linking to it (has {len(primaries)})",
                )
            )

    @classmethod
    def route(cls, request_class: str, targets: dict[str, list[str]], params: dict) -> list[str]:
        return []  # links between databases carry replication, not requests

    def extra(self, state: State, i: int, p: dict) -> dict:
        """A primary records its cluster's write rate; a replica's lag follows that rate."""
        ci = state.model.cluster_of[i]
        is_primary = state.clusters.primary[ci] == i
        if is_primary:
            at = i * NCLASS
            in_r = state.flow.in_r
            state.clusters.writes[ci] = in_r[at + WRITE] + in_r[at + JOB] + in_r[at + BACKGROUND_K]
        if is_primary or p["role"] == "primary":  # or a failed primary, not yet rejoined
            return {"role": "primary", "lost_writes": state.lost_writes[i]}
        writes = state.clusters.writes[ci]
        apply = p["apply_rps"]
        backlog = state.repl_backlog[i] + (writes - apply) * state.dt
        if backlog > 0.0:
            state.unsettled = True
        else:
            backlog = 0.0
        state.repl_backlog[i] = backlog
        load = writes / apply
        if load > 0.95:
            load = 0.95
        delay = p["replication_lag_ms"] / 1000.0
        lag = state.lag_s[i] = delay / (1.0 - load) + backlog / apply
        # What it lacks, were it promoted now: writes still in transit (w x delay), then
        # its apply queue, M/M/1 on average, or the fluid backlog when that is longer.
        state.unapplied[i] = writes * delay + max(backlog, load / (1.0 - load))
        return {"role": "replica", "lag_ms": lag * 1000.0}
