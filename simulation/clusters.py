"""Database clusters: a primary and its replicas, failover by promotion, read routing."""

from __future__ import annotations

from .components.base import EPS, READ
from .state import State


class Clusters:
    """Who is primary in each cluster, when a replica is promoted, where reads and writes go."""

    def __init__(self, state: State) -> None:
        self.state = state
        clusters = state.model.clusters
        self.primary = [cluster[0] for cluster in clusters]
        self.promote_at: list[float | None] = [None] * len(clusters)
        self.writes = [0.0] * len(clusters)  # each cluster's write rate, set by its primary
        # Cluster -> {replica: writes it lacks}, while its primary is down.
        self.unreplicated: list[dict[int, float]] = [{} for _ in clusters]
        self.read_targets: list[list[tuple[int, float]]] = []
        # Cluster -> {data centre: its live replicas' shares}: readers there read there.
        self.local_reads: list[dict[int, list[tuple[int, float]]]] = []
        self.promotions_pending = False

    def update(self) -> None:
        """After an event, and each tick while a promotion is pending: fail over a dead
        primary's cluster once its ``failover_s`` has passed, and spread reads."""
        state = self.state
        m = state.model
        self.read_targets = []
        self.local_reads = []
        for ci, cluster in enumerate(m.clusters):
            p = self.primary[ci]
            if state.count_alive(p) == 0:
                if self.promote_at[ci] is None:
                    self.promote_at[ci] = state.down_since_any(p) + state.params[p]["failover_s"]
                    # Writes the primary took that a replica has not applied (in transit or
                    # queued): lost if it is promoted (not if the primary returns).
                    self.unreplicated[ci] = {r: state.unapplied[r] for r in cluster if r != p}
                    best = self._best_replica(ci)
                    if best < 0:
                        # Nothing to promote (no replica, or none alive): say so, not a
                        # promotion that cannot happen.
                        until = "it recovers" if len(cluster) == 1 else "it or a replica recovers"
                        state.event(p, "failover", f"{state.names[p]} (primary) is down with no "
                                    f"live replica to promote: its reads and writes fail "
                                    f"until {until}")  # fmt: skip
                    else:
                        at_risk = self.unreplicated[ci].get(best, 0.0)
                        wait = self.promote_at[ci] - state.now
                        state.event(p, "failover", f"{state.names[p]} (primary) is down: writes "
                                    f"fail until a replica is promoted in {wait:g} s, which "
                                    f"loses the {_writes(at_risk)} inside its replication "
                                    "lag")  # fmt: skip
                if state.now + EPS >= self.promote_at[ci]:
                    best = self._best_replica(ci)
                    if best >= 0:
                        lost = self.unreplicated[ci].get(best, 0.0)
                        state.lost_writes[p] += lost
                        self.primary[ci] = best
                        state.params[best]["role"] = "primary"
                        self.promote_at[ci] = None
                        state.repl_backlog[best] = 0.0
                        state.event(best, "promoted", f"{state.names[best]} promoted to primary; "
                                    f"{_writes(lost)} inside its replication lag lost")  # fmt: skip
            else:
                self.promote_at[ci] = None
            p = self.primary[ci]
            replicas = [r for r in cluster if r != p and state.count_alive(r) > 0
                        and state.params[r]["role"] == "replica"]  # fmt: skip
            if replicas:
                self.read_targets.append([(r, 1.0 / len(replicas)) for r in replicas])
            else:
                self.read_targets.append([(p, 1.0)])
            by_dc: dict[int, list[int]] = {}
            for r in replicas:
                by_dc.setdefault(m.dc_of[r], []).append(r)
            self.local_reads.append(
                {dc: [(r, 1.0 / len(rs)) for r in rs] for dc, rs in by_dc.items()}
            )
        self.promotions_pending = any(t is not None for t in self.promote_at)

    def rejoin(self, affected: list[int]) -> None:
        """Recovered former primaries among ``affected`` rejoin as replicas."""
        state = self.state
        m = state.model
        for ci, cluster in enumerate(m.clusters):
            for j in cluster:
                if j in affected and j != self.primary[ci] and m.params[j]["role"] == "primary":
                    state.params[j]["role"] = "replica"
                    state.event(j, "rejoined", f"{state.names[j]} rejoined as a replica of "
                                f"{state.names[self.primary[ci]]}")  # fmt: skip

    def _best_replica(self, ci: int) -> int:
        state = self.state
        candidates = [r for r in state.model.clusters[ci] if r != self.primary[ci]
                      and state.count_alive(r) > 0]  # fmt: skip
        return min(candidates, key=lambda r: (state.unapplied[r], r)) if candidates else -1

    def targets(self, ci: int, k: int, dc: int = -1) -> list[tuple[int, float]]:
        """Where class ``k`` sent to cluster ``ci`` from data centre ``dc`` goes: (member,
        share) pairs. Reads go to the live replicas in the reader's data centre, else to
        all live replicas (across data centres), else to the primary; the rest to the
        primary."""
        if k == READ:
            local = self.local_reads[ci].get(dc)
            return local if local is not None else self.read_targets[ci]
        return [(self.primary[ci], 1.0)]


def _writes(count: float) -> str:
    """An estimate of a number of writes for event texts: "~2 writes", "~1 write"."""
    n = round(count)
    return f"~{n} write" if n == 1 else f"~{n} writes"
