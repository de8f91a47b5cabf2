"""The frame as it goes over the run socket: the engine's frame, made compact.

The engine's frame repeats every field name for every node (about 230 bytes a
node). On the wire a node is an array of its values, in the order of the
design's components, and links are their flows in the order of the design's
links; the viewer has the design from `hello`, so it knows both orders.
Numbers keep 3 significant digits (what the diagram shows). A frame whose
nodes or links do not match the design goes out in full form.
"""

from __future__ import annotations

import math
from typing import Any

from sandbox.live.series import GLOBAL_COLUMNS as _GLOBAL_COLUMNS

# A node's values, in this order: [status, health, reason, offered, served, queued,
# dropped, util, lat, p95, inst, ready] plus `x` when the node has extra numbers.
STATUSES = ("up", "down", "degraded", "starting")
HEALTHS = ("ok", "warning", "critical", "down", "starting")
NUMBERS = ("offered", "served", "queued", "dropped", "util", "lat", "p95")


def short(x: Any) -> Any:
    """A number with 3 significant digits, as an int when it is whole."""
    if isinstance(x, bool) or not isinstance(x, float):
        return x
    if x == 0 or not math.isfinite(x):
        return 0 if x == 0 else None
    rounded = round(x, 2 - math.floor(math.log10(abs(x))))
    return int(rounded) if rounded == int(rounded) and abs(rounded) < 2**53 else rounded


class FrameCodec:
    """Encodes frames of one design (its component and link order)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.node_ids = [c["id"] for c in document["components"]]
        self.link_index = {
            (link["from"], link["to"]): i for i, link in enumerate(document["links"])
        }

    def encode(self, frame: dict[str, Any]) -> dict[str, Any]:
        nodes = frame.get("nodes") or {}
        links = frame.get("links") or []
        if set(nodes) - set(self.node_ids) or len(links) != len(self.link_index):
            return frame
        flows: list[Any] = [0] * len(self.link_index)
        for source, target, flow in links:
            index = self.link_index.get((source, target))
            if index is None:
                return frame
            flows[index] = short(flow)
        wire = {
            "tick": frame["tick"],
            "t": frame["t"],
            "n": [_node(nodes.get(node_id)) for node_id in self.node_ids],
            "l": flows,
            "global": _global(frame.get("global", {})),
            "events": frame.get("events", []),
        }
        if frame.get("explain"):
            wire["explain"] = {node_id: _explanation(entry)
                               for node_id, entry in frame["explain"].items()}  # fmt: skip
        return wire


def _explanation(entry: dict[str, Any]) -> dict[str, Any]:
    """An unhealthy component's explanation (simulation/explain.py) as the page shows it:
    its code and text, and its fixes' (the params stay with the engine's API: they
    would double the bytes of a frame that repeats them every tick)."""
    out = {"code": entry["code"], "text": entry["text"]}
    if "fixes" in entry:
        out["fixes"] = [_explanation(fix) for fix in entry["fixes"]]
    return out


def _global(g: dict[str, Any]) -> dict[str, Any]:
    """The global numbers without goodput and late when they say nothing new (no client
    has a deadline: goodput is the throughput, nothing is late); decoders restore them."""
    if g.get("late_rps") == 0 and g.get("goodput_rps") == g.get("throughput_rps"):
        return {k: v for k, v in g.items() if k not in ("goodput_rps", "late_rps")}
    return g


def _full_global(g: dict[str, Any]) -> dict[str, Any]:
    if "throughput_rps" in g and "goodput_rps" not in g:
        return {**g, "goodput_rps": g["throughput_rps"], "late_rps": 0.0}
    return g


def compact_series(frames: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The charts' numbers of `frames`, column-wise: `tick`, `t` and the global metrics.

    A few bytes a tick whatever the design's size, so a viewer who joins late gets
    the whole run's charts without its frames. Columns no frame reports are left out.
    """
    columns: dict[str, list[Any]] = {
        "tick": [f["tick"] for f in frames],
        "t": [f["t"] for f in frames],
    }
    for key in _GLOBAL_COLUMNS:
        columns[key] = [(f.get("global") or {}).get(key) for f in frames]
    return compact_columns(columns, since=-1)


def compact_columns(series: dict[str, list[Any]], since: int) -> dict[str, list[Any]]:
    """`compact_series` of the ticks after `since`, from columns such as the stored ones
    (`Run.recorded_series`): the same answer without reading a run's frames."""
    keep = [i for i, tick in enumerate(series["tick"]) if tick > since]
    out: dict[str, list[Any]] = {
        "tick": [series["tick"][i] for i in keep],
        "t": [series["t"][i] for i in keep],
    }
    for key in _GLOBAL_COLUMNS:
        stored = series.get(key) or []
        column = [short(stored[i]) if i < len(stored) else None for i in keep]
        if any(value is not None for value in column):
            out[key] = column
    return out


def _code(value: Any, names: tuple[str, ...]) -> Any:
    return names.index(value) if value in names else value


def _node(node: dict[str, Any] | None) -> list[Any] | None:
    if node is None:
        return None
    values = [
        _code(node.get("status"), STATUSES),
        _code(node.get("health"), HEALTHS),
        node.get("reason") or 0,
        *(short(node.get(key)) for key in NUMBERS),
        node.get("inst"),
        node.get("ready"),
    ]
    extra = node.get("x")
    if extra:
        values.append({key: short(value) for key, value in extra.items()})
    return values


def decode(codec: FrameCodec, wire: dict[str, Any]) -> dict[str, Any]:
    """The full form of a wire frame (what the browser's decoder does), for tests and tools."""
    if "n" not in wire:
        return wire
    nodes = {}
    for node_id, values in zip(codec.node_ids, wire["n"], strict=True):
        if values is None:
            continue
        node = {
            "status": STATUSES[values[0]] if isinstance(values[0], int) else values[0],
            "health": HEALTHS[values[1]] if isinstance(values[1], int) else values[1],
            "reason": values[2] or None,
        }
        node.update(zip(NUMBERS, values[3:10], strict=True))
        node.update(inst=values[10], ready=values[11], x=values[12] if len(values) > 12 else {})
        nodes[node_id] = node
    order = sorted(codec.link_index, key=codec.link_index.__getitem__)
    links = [[a, b, flow] for (a, b), flow in zip(order, wire["l"], strict=True)]
    return {
        **{k: wire[k] for k in ("tick", "t", "events")},
        "global": _full_global(wire["global"]),
        "nodes": nodes,
        "links": links,
        "explain": wire.get("explain", {}),
    }
