"""networkx at compile time: the request graph of a validated document, its loops and order."""

from __future__ import annotations

import networkx as nx


def build_graph(components: list[dict], links: list[dict]) -> nx.DiGraph:
    """A DiGraph of component ids (node attr ``kind``) and links (edge attr ``index``)."""
    graph = nx.DiGraph()
    for comp in components:
        graph.add_node(comp["id"], kind=comp["kind"])
    for index, link in enumerate(links):
        if link["from"] in graph and link["to"] in graph:
            graph.add_edge(link["from"], link["to"], index=index)
    return graph


def find_request_loop(graph: nx.DiGraph) -> list[str] | None:
    """The ids of one request loop (first id repeated at the end), or None when acyclic."""
    try:
        edges = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return None
    ids = [edge[0] for edge in edges]
    return [*ids, ids[0]]


def topological_order(graph: nx.DiGraph, order: dict[str, int]) -> list[str]:
    """Ids in topological order, ties broken by document order so compiling is stable."""
    out: list[str] = []
    for generation in nx.topological_generations(graph):
        out.extend(sorted(generation, key=order.__getitem__))
    return out
