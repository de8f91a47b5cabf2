"""Compile a validated document once into index lists the tick loop walks without lookups."""

from __future__ import annotations

from dataclasses import dataclass, field

from .components import ALL_CLASSES, KINDS, Kind
from .graph import build_graph, topological_order

# A link's latency and a data-centre crossing are one way; a request pays both ways
# (there, and its response back), so each hop adds its round trip.
WAYS = 2


def round_trip_s(one_way_ms: float) -> float:
    """The delay (s) a request pays crossing a link of ``one_way_ms``: there and back."""
    return WAYS * one_way_ms / 1000.0


# Behaviour codes per kind, so the hot loop dispatches on small ints.
CLIENT, ROUTER, SERVER, GROUP = range(4)
ROLE_CODE = {"source": CLIENT, "router": ROUTER, "server": SERVER, "group": GROUP}


@dataclass
class Model:
    """A design compiled to parallel lists indexed by node number (document order)."""

    ids: list[str]
    kinds: list[str]
    kind_of: list[Kind]  # each node's kind object: the engine calls its tick hooks
    role: list[int]
    params: list[dict]
    index: dict[str, int]
    order: list[int]  # request nodes in topological order
    dc_of: list[int]  # node index of the datacenter holding each node, or -1
    links: list[tuple[int, int]]  # document links (from, to)
    link_base_s: list[float]  # round trip of the link's latency_ms, in seconds
    link_cross_s: list[float]  # round trip of a data-centre crossing on the link, in seconds
    member_cross_s: list[dict[int, float]]  # link into a cluster -> {member: its crossing, s}
    routes: list[list[list[tuple[int, int]]]]  # routes[i][class] = [(target, link)]
    targets: list[list[tuple[int, int]]]  # every request target of a node, with its link
    senders: list[list[int]]  # nodes linking to each node, in link order
    cluster_of: list[int]  # cluster number (a primary and its replicas), or -1
    clusters: list[list[int]]  # members of each cluster, the configured primary first
    session_store_of: list[int]  # tier -> the side store it consults (sessions), or -1
    session_link_of: list[int]  # tier -> its link to that store, or -1
    consumers: list[list[int]]  # queue -> the nodes pulling from it (workers)
    queues_of: list[list[int]]  # puller -> queues feeding it
    upstream_balanced: list[bool]  # node fed only through balancers
    members: dict[int, list[int]] = field(default_factory=dict)  # datacenter -> members

    @property
    def size(self) -> int:
        return len(self.ids)


def compile_design(doc: dict) -> Model:
    """Compile a document that ``validate_document`` returned."""
    comps = doc["components"]
    ids = [c["id"] for c in comps]
    index = {cid: i for i, cid in enumerate(ids)}
    kinds = [c["kind"] for c in comps]
    types = [KINDS[kind] for kind in kinds]
    n = len(ids)
    dc_of = [index[c["parent"]] if "parent" in c else -1 for c in comps]
    members: dict[int, list[int]] = {}
    for i, dc in enumerate(dc_of):
        if dc >= 0:
            members.setdefault(dc, []).append(i)

    links: list[tuple[int, int]] = []
    link_base: list[float] = []
    link_cross: list[float] = []
    out_links: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    senders: list[list[int]] = [[] for _ in range(n)]
    for li, link in enumerate(doc["links"]):
        a, b = index[link["from"]], index[link["to"]]
        links.append((a, b))
        link_base.append(round_trip_s(link["params"]["latency_ms"]))
        link_cross.append(_cross_dc_s(comps, dc_of, a, b))
        out_links[a].append((b, li))
        senders[b].append(a)

    clusters, cluster_of = _clusters(kinds, types, comps, out_links, n)
    # A cluster routes inside itself: the crossing depends on the member reached.
    member_cross = [
        {r: _cross_dc_s(comps, dc_of, a, r) for r in clusters[cluster_of[b]]}
        if cluster_of[b] >= 0
        else {}
        for a, b in links
    ]
    request_targets = [
        [(b, li) for b, li in out_links[a] if not _replication(kinds, types, a, b)]
        for a in range(n)
    ]
    _add_cache_miss_targets(types, request_targets, senders, n)

    routes: list[list[list[tuple[int, int]]]] = []
    session_store_of = [-1] * n
    session_link_of = [-1] * n
    for a in range(n):
        by_kind: dict[str, list[str]] = {}
        link_of: dict[str, tuple[int, int]] = {}
        for b, li in request_targets[a]:
            if types[b].side_store:
                session_store_of[a] = b
                session_link_of[a] = li
                continue
            by_kind.setdefault(kinds[b], []).append(ids[b])
            link_of[ids[b]] = (b, li)
        kind = types[a]
        params = comps[a]["params"]
        routes.append(
            [[link_of[t] for t in kind.route(cls, by_kind, params)] for cls in ALL_CLASSES]
        )

    consumers = [[b for b, _ in out_links[a] if types[b].pulls_from_queues] for a in range(n)]
    queues_of: list[list[int]] = [[] for _ in range(n)]
    for a in range(n):
        for b in consumers[a]:
            queues_of[b].append(a)
    upstream_balanced = [True] * n
    has_upstream = [False] * n
    for a, b in links:
        has_upstream[b] = True
        if not types[a].balances:
            upstream_balanced[b] = False
    upstream_balanced = [u and h for u, h in zip(upstream_balanced, has_upstream, strict=True)]

    order = _order(comps, types, request_targets, clusters, cluster_of, session_store_of, index)
    shared = {kind: KINDS[kind]() for kind in set(kinds)}  # one stateless instance per kind
    return Model(
        ids=ids,
        kinds=kinds,
        kind_of=[shared[kind] for kind in kinds],
        role=[ROLE_CODE[kind.role] for kind in types],
        params=[dict(c["params"]) for c in comps],
        index=index,
        order=order,
        dc_of=dc_of,
        links=links,
        link_base_s=link_base,
        link_cross_s=link_cross,
        member_cross_s=member_cross,
        routes=routes,
        targets=request_targets,
        senders=senders,
        cluster_of=cluster_of,
        clusters=clusters,
        session_store_of=session_store_of,
        session_link_of=session_link_of,
        consumers=consumers,
        queues_of=queues_of,
        upstream_balanced=upstream_balanced,
        members=members,
    )


def _cross_dc_s(comps: list[dict], dc_of: list[int], a: int, b: int) -> float:
    da, db = dc_of[a], dc_of[b]
    if da < 0 or db < 0 or da == db:
        return 0.0
    return round_trip_s(max(comps[da]["params"]["cross_dc_ms"], comps[db]["params"]["cross_dc_ms"]))


def _replication(kinds: list[str], types: list[type[Kind]], a: int, b: int) -> bool:
    """True when link ``a`` -> ``b`` carries replication: both ends of one kind that replicates."""
    return types[a].replicates and kinds[b] == kinds[a]


def _clusters(
    kinds: list[str],
    types: list[type[Kind]],
    comps: list[dict],
    out_links: list[list[tuple[int, int]]],
    n: int,
) -> tuple[list[list[int]], list[int]]:
    """A primary of a kind that replicates and the replicas it links to form one cluster."""
    cluster_of = [-1] * n
    clusters: list[list[int]] = []
    for a in range(n):
        if types[a].replicates and comps[a]["params"]["role"] == "primary":
            cluster_of[a] = len(clusters)
            replicas = [b for b, _ in out_links[a] if _replication(kinds, types, a, b)]
            for b in replicas:
                cluster_of[b] = len(clusters)
            clusters.append([a, *replicas])
    return clusters, cluster_of


def _add_cache_miss_targets(
    types: list[type[Kind]],
    targets: list[list[tuple[int, int]]],
    senders: list[list[int]],
    n: int,
) -> None:
    """A cache-aside cache that links to no data tier sends misses where its tiers send reads.

    Its tiers are the nodes linking to it, taken in node order; the flow is reported on
    a tier's own link to that data tier.
    """
    data_tier = [kind.data_tier for kind in types]
    for c in range(n):
        if not types[c].cache_aside or any(data_tier[b] for b, _ in targets[c]):
            continue
        seen: set[int] = set()
        for a in sorted(senders[c]):
            for b, li in targets[a]:
                if data_tier[b] and b not in seen:
                    seen.add(b)
                    targets[c].append((b, li))


def _order(
    comps: list[dict],
    types: list[type[Kind]],
    targets: list[list[tuple[int, int]]],
    clusters: list[list[int]],
    cluster_of: list[int],
    session_store_of: list[int],
    index: dict[str, int],
) -> list[int]:
    """Topological order; anything sending to one cluster member precedes every member.

    A side store comes after the tiers that consult it and before their targets. Groups
    (data centres) hold members and take no requests, so they are left out.
    """
    nodes = [c for c, kind in zip(comps, types, strict=True) if kind.role != "group"]
    graph = build_graph(nodes, [])
    ids = [c["id"] for c in comps]
    for a, outs in enumerate(targets):
        for b, _ in outs:
            receivers = clusters[cluster_of[b]] if cluster_of[b] >= 0 else [b]
            for r in receivers:
                if r != a:
                    graph.add_edge(ids[a], ids[r])
    for cluster in clusters:
        for r in cluster[1:]:
            graph.add_edge(ids[cluster[0]], ids[r])
    for a, s in enumerate(session_store_of):
        if s >= 0:
            # A tier forwards once its store has run: the store precedes the tier's targets.
            graph.add_edge(ids[a], ids[s])
            for b, _ in targets[a]:
                for r in clusters[cluster_of[b]] if cluster_of[b] >= 0 else [b]:
                    if r != s:
                        graph.add_edge(ids[s], ids[r])
    return [index[cid] for cid in topological_order(graph, index)]
