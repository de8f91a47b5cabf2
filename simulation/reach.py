"""Warnings about a valid design: request classes that never reach a component taking them.

A class with no route completes at the node where it ends (``Model.routes``), so a web
tier linked only to a cache "serves" writes itself. Whether a node may end a class is a
property of its kind (``Kind.completes``, ``answers_alone``, ``passes_on``); nothing here
names a kind.
"""

from __future__ import annotations

from .components import ALL_CLASSES, KINDS
from .document import validate_document
from .errors import Problem, label_of, named
from .kind_catalog import allowed_targets
from .limits import Limits
from .model import Model, compile_design

# User-facing text, in one place.
CLASS_NOUN = {
    "read": "Reads",
    "write": "Writes",
    "static": "Static requests",
    "job": "Jobs",
    "background": "Queued jobs",
}
ENDS_AT = "{what} from {source} never reach a component that takes them: they end at {where}"
LINK_TO = "link {where} to {kinds}"
NO_PATH = "give them a path to a component that takes them"


def design_warnings(document: dict, limits: Limits | None = None) -> list[Problem]:
    """What a valid design does that is likely a mistake, each located at its component.

    Raises DesignError when the document is invalid (as ``validate_document`` does).
    """
    doc = validate_document(document, limits)
    model = compile_design(doc)
    comps = doc["components"]  # in the model's order
    present = {cls for kind in model.kinds for cls in KINDS[kind].completes}
    # (end node, hint) -> the origin first seen and the classes ending there, in order.
    found: dict[tuple[int, str], tuple[int, list[str]]] = {}
    # Walks to make: (origin, class); a client's classes, then what takers pass on.
    walks = [
        (i, cls) for i, kind in enumerate(model.kind_of) for cls in kind.emits(model.params[i])
    ]
    walked = set(walks)
    while walks:
        origin, cls = walks.pop(0)
        for end in _ends(model, origin, ALL_CLASSES.index(cls)):
            ends_kind = KINDS[model.kinds[end]]
            if cls in ends_kind.completes:
                for taken, sent in ends_kind.passes_on:
                    if taken == cls and (end, sent) not in walked:
                        walked.add((end, sent))
                        walks.append((end, sent))
                continue
            if cls in ends_kind.answers_alone and cls not in present:
                continue  # a lone tier stands for the whole application
            _, classes = found.setdefault((end, _hint(model, comps, end, cls)), (origin, []))
            if cls not in classes:
                classes.append(cls)
    return [
        _warning(comps, source, end, classes, hint)
        for (end, hint), (source, classes) in found.items()
    ]


def _ends(model: Model, source: int, k: int) -> list[int]:
    """Nodes where class ``k`` emitted by ``source`` has no route on, in the order reached."""
    ends: list[int] = []
    stack, visited = [source], {source}
    while stack:
        node = stack.pop()
        routes = model.routes[node][k]
        if not routes:
            ends.append(node)
        for target, _ in reversed(routes):
            for member in _members(model, target):
                if member not in visited:
                    visited.add(member)
                    stack.append(member)
    return ends


def _members(model: Model, node: int) -> list[int]:
    """Where a request sent to ``node`` may be served: its cluster's members, or itself."""
    cluster = model.cluster_of[node]
    return model.clusters[cluster] if cluster >= 0 else [node]


def _hint(model: Model, comps: list[dict], end: int, cls: str) -> str:
    kinds = _nearest_takers(model.kinds[end], cls)
    return LINK_TO.format(where=label_of(comps[end]), kinds=_either(kinds)) if kinds else NO_PATH


def _warning(comps: list[dict], source: int, end: int, classes: list[str], hint: str) -> Problem:
    nouns = [CLASS_NOUN[c].lower() for c in classes]
    what = nouns[0] if len(nouns) == 1 else f"{', '.join(nouns[:-1])} and {nouns[-1]}"
    text = ENDS_AT.format(
        what=what[0].upper() + what[1:], source=named(comps[source]), where=named(comps[end])
    )
    return Problem(f"components[{end}]", f"{text}; {hint}.")


def _nearest_takers(from_kind: str, cls: str) -> list[str]:
    """Kinds ``from_kind`` may link to from which ``cls`` reaches a taker in fewest links."""
    distance = {name: 0 for name, kind in KINDS.items() if cls in kind.completes}
    frontier = set(distance)
    step = 0
    while frontier:  # breadth first, backwards along the kinds' allowed links
        step += 1
        frontier = {
            name for name in KINDS if name not in distance and frontier & set(allowed_targets(name))
        }
        distance.update(dict.fromkeys(frontier, step))
    options = [name for name in allowed_targets(from_kind) if name in distance]
    if not options:
        return []
    best = min(distance[name] for name in options)
    return [name for name in options if distance[name] == best]


def _either(kinds: list[str]) -> str:
    nouns = [_a(kind.replace("_", " ")) for kind in kinds]
    return nouns[0] if len(nouns) == 1 else f"{', '.join(nouns[:-1])} or {nouns[-1]}"


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"
