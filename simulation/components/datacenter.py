"""Data centre: a group of components that fail together."""

from __future__ import annotations

from .base import Kind
from .look import Look
from .params import Param


class Datacenter(Kind):
    kind = "datacenter"
    label = "Data centre"
    group = "groups"
    look = Look("round-rectangle", "#64748b", "dc")
    role = "group"
    help = (
        "A group: components name it as their parent. Its failure takes down everything "
        "inside; links between components in different data centres add latency."
    )
    params = (
        Param("region", "str", "", "Region name, shown on the diagram.", max_length=64),
        Param(
            "cross_dc_ms",
            "float",
            40.0,
            "One-way latency to another data centre; a request crossing pays it both ways.",
            unit="ms",
            min=0,
            max=10000,
        ),
    )
    links_to = ()
