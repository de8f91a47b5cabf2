"""Why a component is unhealthy, with the arithmetic behind it, and what would fix it
(docs/model.md "Explanations").

``explanations`` reads one tick's frame and the state that made it. Each unhealthy
component gets a stable ``code`` with its ``params`` (numbers and names, for scripts,
tests and translation) and the English ``text`` made from them (``describe``); a
component short of capacity also gets ranked ``fixes``: the instances, or the size
tier, that would bring its utilisation below ``TARGET_UTIL`` at this tick's load (healthy
again), cheapest first, each with its cost. The fixes are the capacity formula solved for that load
(the tests apply them and run again).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .components import SIZE_ORDER, SIZE_TIERS
from .components.base import EPS
from .errors import label_of
from .health import CRITICAL_UTIL, WARN_UTIL

if TYPE_CHECKING:
    from .frame import Frame, NodeFrame
    from .state import State

# What a fix aims for: utilisation below the level that grades a component "warning"
# (health.py), where waiting is still short.
TARGET_UTIL = WARN_UTIL
EXPLAIN_LIMIT = 20  # explanations in one frame at most, the worst first (about 400 bytes each)
MAX_INSTANCES = 1000  # the instances parameter's maximum (components/params.py)
# A wait past this with no timeout set is flagged: people would have given up long before.
PATIENCE_MS = 10_000.0
_SEVERITY = {"down": 0, "critical": 1, "warning": 2, "starting": 3}


def gettext_noop(text: str) -> str:
    """Marks a text for the translation catalogs (Django's makemessages finds this
    name); the simulation never imports Django, so texts are translated where shown."""
    return text


CAPACITY = gettext_noop(
    "{per_instance} req/s an instance ({servers} at once × 1000 / {service_ms} ms) × {ready} "
    "ready = {capacity} req/s"
)
WHY = {
    "over_capacity": gettext_noop(
        "{name} is offered {offered} req/s but can serve {capacity} req/s ({arithmetic}): "
        "{excess} req/s more than it serves join a backlog, now {queued} requests, "
        "and every request waits behind it."
    ),
    "draining": gettext_noop(
        "{name} still holds a backlog of {queued} requests from an overload; with "
        "{spare} req/s to spare ({capacity} − {offered} req/s) it drains in about "
        "{drain_s} s."
    ),
    "saturated": gettext_noop(
        "{name} runs at {util} of its capacity: {offered} of {capacity} req/s "
        "({arithmetic}). Above about 80%, waiting grows steeply."
    ),
    "near_capacity": gettext_noop(
        "{name} runs at {util} of its capacity: {offered} of {capacity} req/s "
        "({arithmetic}). A little more load and waiting grows steeply."
    ),
    "dropping_queue_limit": gettext_noop(
        "{name} turns away {share} of its requests ({dropped} req/s): its queue limit of "
        "{queue_limit} waiting requests per instance is full."
    ),
    "dropping_timeout": gettext_noop(
        "{name} fails {share} of its requests ({dropped} req/s): they waited "
        "{timeout_ms} ms and gave up."
    ),
    "dropping": gettext_noop("{name} fails {share} of its requests ({dropped} req/s)."),
    "datacenter_down": gettext_noop("{name} is down because its data centre {dc} is down."),
    "datacenter_failed": gettext_noop(
        "{name} is down, and the {count} components in it with it: whatever reached "
        "them there now fails unless it is routed elsewhere."
    ),
    "down": gettext_noop("{name} is down: none of its {inst} instances is running."),
    "starting": gettext_noop("{name} is starting: {ready} of {inst} instances ready."),
    "resizing": gettext_noop(
        "{name} is moving to its new size: {ready} of {inst} instances serve."
    ),
    "instances_down": gettext_noop(
        "{name} serves with {ready} of its {inst} instances; the others are down."
    ),
    "no_healthy_target": gettext_noop(
        "{name} has nowhere healthy to send some requests: {targets} down."
    ),
    "queue_backlog": gettext_noop(
        "{name} holds {messages} messages, the oldest {age_s} s old: {offered} jobs/s "
        "arrive and its workers take {served} a second, so the backlog grows by {growth} "
        "a second. More worker instances, or faster jobs, would catch up."
    ),
    "queue_draining": gettext_noop(
        "{name} holds {messages} messages, the oldest {age_s} s old; its workers take "
        "{served} a second against {offered} arriving, so it empties in about {drain_s} s."
    ),
    "reason": gettext_noop("{name}: {reason}."),
}
FIX = {
    "add_instances": gettext_noop(
        "{proposed} instances instead of {current} would bring utilisation to {util} "
        "(+${cost} an hour)."
    ),
    "bigger_size": gettext_noop(
        "Size {proposed} instead of {current} would bring utilisation to {util} "
        "(+${cost} an hour; each instance is replaced in turn)."
    ),
    "set_timeout": gettext_noop(
        "Requests wait {wait_s} s here, long after a person gives up, yet none fails: a "
        "timeout (timeout_ms, say 2,000 ms) would turn them into errors that show, and free "
        "the servers for requests that can still be answered in time."
    ),
    "beyond_one_tier": gettext_noop(
        "Even {proposed} instances of size {size} cannot carry {offered} req/s: take load "
        "off it (a cache in front, replicas for reads, or shards)."
    ),
}


def names(document: dict) -> dict[str, str]:
    """Each component's name as users read it: its label, or its id when it has none."""
    return {c["id"]: label_of(c) for c in document["components"]}


def explanations(state: State, frame: Frame) -> dict[str, dict]:
    """``{component id: explanation}`` for the unhealthy components of ``frame`` (the
    worst ``EXPLAIN_LIMIT``), in the names users gave them (``State.names``)."""
    m = state.model
    index = m.index
    unhealthy = [
        (index[node_id], node) for node_id, node in frame.nodes.items() if node.health in _SEVERITY
    ]
    unhealthy.sort(key=lambda item: (_SEVERITY[item[1].health], -item[1].util))
    out = {}
    for i, node in unhealthy[:EXPLAIN_LIMIT]:
        entry = explain_node(state, i, node)
        if entry is not None:
            out[m.ids[i]] = entry
    return out


def explain_node(state: State, i: int, node: NodeFrame) -> dict | None:
    """One component's explanation (see ``explanations``), or None when nothing is wrong."""
    m = state.model
    name = state.names[i]
    base = {"name": name, "inst": node.inst, "ready": node.ready}
    reason = node.reason or ""
    if node.health == "starting":
        return _entry("starting", base)
    if node.status == "down" and i in m.members:
        return _entry("datacenter_failed", {**base, "count": len(m.members[i])})
    if node.status == "down":
        dc = m.dc_of[i]
        if reason == "datacenter down" and dc >= 0:
            return _entry("datacenter_down", {**base, "dc": state.names[dc]})
        if reason == "resizing":
            return _entry("resizing", base)
        return _entry("down", base)
    if reason == "no healthy target":
        dead = [state.names[t] for t, _ in m.targets[i] if state.alive[t] == 0]
        if dead:
            return _entry("no_healthy_target", {**base, "targets": ", ".join(dead)})
    if "messages" in node.x and node.x["messages"] > 0.0 and node.reason != "backlog full":
        return _queue_entry(node, base)
    c, mu = state.servers[i] if i < len(state.servers) else (0.0, 0.0)
    serving = c > 0.0 and mu > 0.0 and node.ready > 0
    if serving:
        entry = _capacity_entry(state, i, node, base, c, mu)
        if entry is not None:
            return entry
    if reason == "resizing":
        return _entry("resizing", base)
    if node.status == "degraded" and reason in ("", "instances down"):
        return _entry("instances_down", base)
    return _entry("reason", {**base, "reason": reason or node.health})


def _queue_entry(node: NodeFrame, base: dict) -> dict:
    """A queue falling behind: its backlog, how old, and whether its workers catch up."""
    numbers = {**base, "messages": node.x["messages"], "age_s": node.x["age_s"],
               "offered": node.offered, "served": node.served}  # fmt: skip
    growth = node.offered - node.served
    if growth > EPS:
        return _entry("queue_backlog", {**numbers, "growth": growth})
    spare = node.served - node.offered
    drain_s = node.x["messages"] / spare if spare > EPS else math.inf
    return _entry("queue_draining", {**numbers, "drain_s": drain_s})


def _capacity_entry(state: State, i: int, node: NodeFrame, base: dict, c: float, mu: float,
                    ) -> dict | None:  # fmt: skip
    """Capacity's explanation for a serving component short of it, or None."""
    p = state.params[i]
    capacity = node.ready * c * mu
    offered = node.offered
    numbers = {**base, "servers": c, "service_ms": 1000.0 / mu, "per_instance": c * mu,
               "capacity": capacity, "offered": offered, "util": node.util}  # fmt: skip
    drop_share = node.dropped / offered if offered > 0.0 else 0.0
    if node.queued > EPS and offered > capacity:
        code = "over_capacity"
        numbers.update(excess=offered - capacity, queued=node.queued)
    elif node.queued > EPS:
        spare = capacity - offered
        numbers.update(queued=node.queued, spare=spare, drain_s=node.queued / spare)
        return _entry("draining", numbers, _patience(node, p) or None)
    elif drop_share >= 0.001 and p.get("queue_limit") is not None and node.util >= 0.5:
        code = "dropping_queue_limit"
        numbers.update(share=drop_share, dropped=node.dropped, queue_limit=p["queue_limit"])
    elif drop_share >= 0.001 and p.get("timeout_ms") is not None:
        code = "dropping_timeout"
        numbers.update(share=drop_share, dropped=node.dropped, timeout_ms=p["timeout_ms"])
    elif node.util >= CRITICAL_UTIL:
        code = "saturated"
    elif node.util >= WARN_UTIL:
        code = "near_capacity"
    else:
        return None
    fixes = capacity_fixes(state, i, offered, node.ready, c, mu) + _patience(node, p)
    return _entry(code, numbers, fixes)


def _patience(node: NodeFrame, p: dict) -> list[dict]:
    """The advice to set a timeout, when requests wait longer than people would and
    none gives up (no ``timeout_ms``)."""
    if node.lat >= PATIENCE_MS and "timeout_ms" in p and p["timeout_ms"] is None:
        return [_entry("set_timeout", {"wait_s": node.lat / 1000.0})]
    return []


def capacity_fixes(state: State, i: int, offered: float, ready: int, c: float, mu: float,
                   ) -> list[dict]:  # fmt: skip
    """Changes of instances or size tier that bring component ``i``'s utilisation at
    ``offered`` req/s below ``TARGET_UTIL``, cheapest first (cost an hour)."""
    p = state.params[i]
    if "instances" not in p or offered <= 0.0:
        return []
    inst = state.inst[i]
    per_instance = c * mu
    size = p.get("size")
    factor, price = SIZE_TIERS[size] if size in SIZE_TIERS else (1, 0.0)
    fixes = []
    needed = math.floor(offered / (per_instance * TARGET_UTIL)) + 1  # below the target
    # Instances down now come back: the fix counts from the configured number.
    proposed = needed + (inst - ready)
    if inst < proposed <= MAX_INSTANCES:
        added = proposed - inst
        params = {"current": inst, "proposed": proposed, "added": added,
                  "util": offered / (needed * per_instance), "cost": added * price}  # fmt: skip
        fixes.append((added * price, _entry("add_instances", params)))
    if size in SIZE_TIERS:
        for tier in SIZE_ORDER[SIZE_ORDER.index(size) + 1 :]:
            tier_factor, tier_price = SIZE_TIERS[tier]
            util = offered / (ready * per_instance * tier_factor / factor)
            if util < TARGET_UTIL:
                extra = inst * (tier_price - price)
                params = {"current": size, "proposed": tier, "util": util, "cost": extra}
                fixes.append((extra, _entry("bigger_size", params)))
                break
    if not fixes:
        largest = SIZE_ORDER[-1]
        params = {"proposed": MAX_INSTANCES, "size": largest, "offered": offered}
        return [_entry("beyond_one_tier", params)]
    fixes.sort(key=lambda item: item[0])
    return [fix for _, fix in fixes]


def describe(code: str, params: dict, translate=gettext_noop, template: str | None = None,
             ) -> str:  # fmt: skip
    """The text of an explanation or fix from its code and params; ``translate`` gives
    a template in the reader's language (the web side passes gettext); ``template``, when
    given, is used instead of the code's."""
    shown = {key: _shown(key, value) for key, value in params.items()}
    if "capacity" in params and "servers" in params:
        shown["arithmetic"] = translate(CAPACITY).format(**shown)
    return translate(template or WHY.get(code) or FIX[code]).format(**shown)


def _entry(code: str, params: dict, fixes: list[dict] | None = None) -> dict:
    entry = {"code": code, "params": params, "text": describe(code, params)}
    if fixes is not None:
        entry["fixes"] = fixes
    return entry


_PERCENT_KEYS = {"util", "share"}


def _shown(key: str, value: object) -> str:
    """A param as a person reads it: shares as percentages, money with cents, other
    numbers to three significant digits with thousands separated."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if key in _PERCENT_KEYS:
        return f"{value * 100:.1f}%" if key == "share" else f"{value * 100:.0f}%"
    if key == "cost":
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value):
        return "∞"
    if abs(value) >= 100:
        return f"{round(value):,}"
    return f"{value:.3g}"
