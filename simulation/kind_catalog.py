"""The JSON-ready component catalog and the rules for which kinds may link."""

from __future__ import annotations

from .components import KINDS, LINK_PARAMS, SIZE_ORDER, SIZE_TIERS
from .request_classes import ALL_CLASSES

GROUPS: tuple[str, ...] = ("traffic", "edge", "compute", "data", "async", "groups")


def catalog() -> dict:
    """Every kind with its label, group, help, look, parameters and allowed links; plus link
    params."""
    return {
        "format": 1,
        "groups": list(GROUPS),
        "kinds": {
            name: {
                **kind.to_json(),
                "links_to": list(allowed_targets(name)),
                "look": kind.look.to_json(name),
            }
            for name, kind in KINDS.items()
        },
        "link_params": [p.to_json() for p in LINK_PARAMS],
        "sizes": [
            {
                "name": name,
                "capacity_factor": SIZE_TIERS[name][0],
                "cost_per_hour": SIZE_TIERS[name][1],
            }
            for name in SIZE_ORDER
        ],
        "classes": list(ALL_CLASSES),
    }


def kind_looks() -> dict[str, dict[str, str | bool]]:
    """Each kind's look, label and role: what a page needs to draw a design at once; and
    whether it flushes (a cache: the live page offers "Flush")."""
    return {
        name: {
            **kind.look.to_json(name),
            "label": kind.label,
            "role": kind.role,
            "flushes": kind.cold_misses is not None,
        }
        for name, kind in KINDS.items()
    }


def allowed_targets(from_kind: str) -> tuple[str, ...]:
    """Kinds a ``from_kind`` may send requests to: its ``links_to``, then every kind that
    names it in ``linked_from``."""
    own = KINDS[from_kind].links_to
    return own + tuple(
        name for name, kind in KINDS.items() if from_kind in kind.linked_from and name not in own
    )


def link_problem(from_kind: str, to_kind: str) -> str | None:
    """Why a request link from a ``from_kind`` to a ``to_kind`` makes no sense, or None."""
    if from_kind not in KINDS:
        return f"unknown kind {from_kind!r}"
    if to_kind not in KINDS:
        return f"unknown kind {to_kind!r}"
    for kind in (from_kind, to_kind):
        if KINDS[kind].role == "group":
            return (
                f"a {kind} is a group, not a node: put components in it with their "
                "'parent' field instead of linking it"
            )
    if KINDS[to_kind].role == "source":
        return f"a {from_kind} cannot send requests to a {to_kind}: {to_kind}s only send requests"
    allowed = allowed_targets(from_kind)
    if to_kind in allowed:
        return None
    if not allowed:
        return f"a {from_kind} sends requests nowhere, so it cannot link to a {to_kind}"
    return (
        f"a {from_kind} cannot send requests to a {to_kind} (it may link to: {', '.join(allowed)})"
    )
