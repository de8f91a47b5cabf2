"""One tick's fluid flow: what arrives where, over which link, carrying what latency.

The kinds' port to the flow: ``send`` a rate on over a link, ``complete`` requests that
are answered, ``count_drops`` of user requests. The engine resets it every computed tick.
"""

from __future__ import annotations

from .components.base import NCLASS, SYNC
from .model import Model


class Flow:
    """Arrivals of one tick, flat by node then class (index ``i * NCLASS + k``).

    ``in_r`` is the rate of live arrivals, ``in_m1`` and ``in_m2`` the rate-weighted first
    and second moments of the latency they carry (s, s^2), ``in_dead`` the rate that reached
    dead instances and ``in_ca2`` the rate-weighted variability of each node's arrivals.
    ``exits`` holds per class the (rate, m1, m2) of requests that completed.
    """

    def __init__(self, model: Model, link_extra: list[float]) -> None:
        self.model = model
        self.link_extra = link_extra  # the state's list: controls change it in place
        self.skipped_when_down = [kind.skipped_when_down for kind in model.kind_of]
        self.sender_dc = [model.dc_of[a] for a, _ in model.links]  # each link's sender's
        self.clusters = None  # set by the engine: where a request to a cluster member goes
        self.alive: list[int] = []  # the state's serving instances (``State.refresh``)
        self.reset()

    def reset(self) -> None:
        m = self.model
        size = m.size * NCLASS
        self.in_r = [0.0] * size
        self.in_m1 = [0.0] * size
        self.in_m2 = [0.0] * size
        self.in_dead = [0.0] * size
        self.in_ca2 = [0.0] * m.size
        self.link_flow = [0.0] * len(m.links)
        self.exits: list[list[tuple[float, float, float]]] = [[] for _ in range(NCLASS)]
        self.sync_dropped = 0.0  # user requests dropped anywhere (req/s)
        self.offered_total = 0.0  # user requests the clients emitted (req/s)

    def send(
        self, j: int, li: int, k: int, rate: float, m1: float, m2: float, ca2: float, dead: float
    ) -> None:
        """Deliver ``rate`` of class ``k`` over link ``li`` to node ``j``.

        ``m1``, ``m2`` are the first two moments (s, s^2) of the latency so far; ``ca2``
        the flow's squared coefficient of variation; ``dead`` the share that reaches dead
        instances (dropped at ``j``).
        """
        if rate <= 0.0:
            return
        m = self.model
        self.link_flow[li] += rate
        lat = m.link_base_s[li] + self.link_extra[li]
        cluster = m.cluster_of[j]
        if cluster >= 0:
            # The member reached (primary or replica) may sit in another data centre
            # than the linked one: the crossing is paid to that member.
            cross = m.member_cross_s[li]
            for r, frac in self.clusters.targets(cluster, k, self.sender_dc[li]):
                d = lat + cross[r]
                self.arrive(r, k, rate * frac, m1 + d, m2 + 2.0 * m1 * d + d * d, ca2, 0.0)
            return
        lat += m.link_cross_s[li]
        if lat > 0.0:
            m2 = m2 + 2.0 * m1 * lat + lat * lat
            m1 = m1 + lat
        if self.skipped_when_down[j] and self.alive[j] == 0:
            # A dead node of a skipped kind passes its requests on along its routes
            # (a dead cache: every read goes on to the database, a stampede).
            targets = m.routes[j][k]
            if targets:
                for b, lb in targets:
                    self.send(b, lb, k, rate / len(targets), m1, m2, ca2, 0.0)
                return
        # arrive, inlined: this is the hottest call of a tick.
        at = j * NCLASS + k
        if dead > 0.0:
            self.in_dead[at] += rate * dead
            rate *= 1.0 - dead
            if rate <= 0.0:
                return
        self.in_r[at] += rate
        self.in_m1[at] += rate * m1
        self.in_m2[at] += rate * m2
        self.in_ca2[j] += rate * ca2

    def arrive(
        self, j: int, k: int, rate: float, m1: float, m2: float, ca2: float, dead: float
    ) -> None:
        """``rate`` of class ``k`` reaches node ``j`` (no link: a cluster member)."""
        live = rate * (1.0 - dead)
        at = j * NCLASS + k
        if dead > 0.0:
            self.in_dead[at] += rate * dead
        if live > 0.0:
            self.in_r[at] += live
            self.in_m1[at] += live * m1
            self.in_m2[at] += live * m2
            self.in_ca2[j] += live * ca2

    def latency_in(self, i: int, k: int) -> tuple[float, float]:
        """Mean and second moment (s, s^2) of the latency class ``k`` carried into node ``i``."""
        at = i * NCLASS + k
        r = self.in_r[at]
        return self.in_m1[at] / r, self.in_m2[at] / r

    def complete(self, k: int, rate: float, m1: float, m2: float) -> None:
        """``rate`` of class ``k`` is answered with latency moments ``m1``, ``m2``."""
        self.exits[k].append((rate, m1, m2))

    def count_drops(self, dropped: list[float]) -> None:
        """Count the user requests among per-class drop rates."""
        for k in range(SYNC):
            self.sync_dropped += dropped[k]
