"""Database clusters: a primary and its replicas, failover by promotion, read routing."""

from __future__ import annotations

import math

from .components.base import EPS, READ


class Clusters:
    """Engine mixin: who is primary, when a replica is promoted, where reads and writes go."""

    def _update_clusters(self) -> None:
        m = self.model
        self.read_targets: list[list[tuple[int, float]]] = []
        for ci, cluster in enumerate(m.clusters):
            p = self.primary[ci]
            if self._alive(p) == 0:
                if self.promote_at[ci] is None:
                    self.promote_at[ci] = self._down_since_any(p) + self.params[p]["failover_s"]
                    # Writes the primary took within a replica's lag never reached that
                    # replica: they are lost if it is promoted (not if the primary returns).
                    self.unreplicated[ci] = {
                        r: self.cluster_writes[ci] * self.lag_s[r] for r in cluster if r != p
                    }
                    at_risk = self.unreplicated[ci].get(self._best_replica(ci), 0.0)
                    wait = self.promote_at[ci] - self.now
                    self._event(p, "failover", f"{m.ids[p]} (primary) is down: writes fail "
                                f"until a replica is promoted in {wait:g} s, which loses the "
                                f"{_writes(at_risk)} inside its replication lag")  # fmt: skip
                if self.now + EPS >= self.promote_at[ci]:
                    best = self._best_replica(ci)
                    if best >= 0:
                        lost = self.unreplicated[ci].get(best, 0.0)
                        self.lost_writes[p] += lost
                        self.primary[ci] = best
                        self.params[best]["role"] = "primary"
                        self.promote_at[ci] = None
                        self.repl_backlog[best] = 0.0
                        self._event(best, "promoted", f"{m.ids[best]} promoted to primary; "
                                    f"{_writes(lost)} inside its replication lag lost")  # fmt: skip
            else:
                self.promote_at[ci] = None
            p = self.primary[ci]
            replicas = [r for r in cluster if r != p and self._alive(r) > 0
                        and self.params[r]["role"] == "replica"]  # fmt: skip
            if replicas:
                self.read_targets.append([(r, 1.0 / len(replicas)) for r in replicas])
            else:
                self.read_targets.append([(p, 1.0)])
        self._promotions_pending = any(t is not None for t in self.promote_at)

    def _down_since_any(self, i: int) -> float:
        t = self._down_since(i)
        if t == math.inf and self.dead_times[i]:
            t = max(self.dead_times[i])
        return min(t, self.now)

    def _best_replica(self, ci: int) -> int:
        candidates = [r for r in self.model.clusters[ci] if r != self.primary[ci]
                      and self._alive(r) > 0]  # fmt: skip
        return min(candidates, key=lambda r: (self.lag_s[r], r)) if candidates else -1

    def _cluster_targets(self, ci: int, k: int) -> list[tuple[int, float]]:
        if k == READ:
            return self.read_targets[ci]
        return [(self.primary[ci], 1.0)]


def _writes(count: float) -> str:
    """An estimate of a number of writes for event texts: "~2 writes", "~1 write"."""
    n = round(count)
    return f"~{n} write" if n == 1 else f"~{n} writes"
