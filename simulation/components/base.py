"""The base of every component kind: its catalog entry and its compile-time routing hook."""

from __future__ import annotations

from typing import Any

from ..errors import Problem
from .params import Param

# Request classes a client emits, plus the background work workers take from queues.
CLASSES: tuple[str, ...] = ("read", "write", "static", "job")
BACKGROUND = "background"
ALL_CLASSES: tuple[str, ...] = (*CLASSES, BACKGROUND)


class Kind:
    """One component kind.

    Class attributes describe it for the catalog: ``kind``, ``label``, ``group``
    (traffic, edge, compute, data, async, groups), ``help``, ``params`` and
    ``links_to`` (the kinds it may send requests to). ``role`` tells the engine
    how it behaves each tick: ``source`` emits traffic, ``router`` splits traffic
    without queueing, ``server`` queues and serves, ``group`` holds members.
    """

    kind: str = ""
    label: str = ""
    group: str = ""
    help: str = ""
    role: str = "server"
    params: tuple[Param, ...] = ()
    links_to: tuple[str, ...] = ()

    @classmethod
    def param(cls, name: str) -> Param:
        for p in cls.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @classmethod
    def check(cls, params: dict[str, Any], path: str, problems: list[Problem]) -> None:
        """Rules across parameters; ``params`` already has defaults and valid types."""

    @classmethod
    def route(cls, request_class: str, targets: dict[str, list[str]], params: dict) -> list[str]:
        """Ids of linked components that receive ``request_class`` from here.

        ``targets`` maps a kind to the ids this component links to. An empty list
        means requests of that class complete here.
        """
        return [t for ids in targets.values() for t in ids]

    @classmethod
    def to_json(cls) -> dict:
        return {
            "kind": cls.kind,
            "label": cls.label,
            "group": cls.group,
            "help": cls.help,
            "role": cls.role,
            "params": [p.to_json() for p in cls.params],
            "links_to": list(cls.links_to),
        }


def pick(targets: dict[str, list[str]], *kinds: str) -> list[str]:
    """Linked ids of the first of ``kinds`` (in order of preference) that has any."""
    for kind in kinds:
        if targets.get(kind):
            return list(targets[kind])
    return []


def pick_all(targets: dict[str, list[str]], *kinds: str) -> list[str]:
    """Linked ids of all ``kinds``."""
    return [t for kind in kinds for t in targets.get(kind, ())]
