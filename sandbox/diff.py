"""A readable summary of what changed between two design documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_POSITION_KEYS = ("x", "y")


@dataclass
class ComponentChange:
    id: str
    fields: list[str]


@dataclass
class DiffSummary:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[ComponentChange] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    links_added: list[str] = field(default_factory=list)
    links_removed: list[str] = field(default_factory=list)
    links_changed: list[str] = field(default_factory=list)
    renamed: tuple[str, str] | None = None
    description_changed: bool = False

    @property
    def is_empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.moved
            or self.links_added
            or self.links_removed
            or self.links_changed
            or self.renamed
            or self.description_changed
        )


def _components(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    items = document.get("components") or []
    return {str(c.get("id")): c for c in items if isinstance(c, dict)}


def _links(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    items = document.get("links") or []
    return {
        f"{link.get('from')} → {link.get('to')}": link for link in items if isinstance(link, dict)
    }


def _changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    names = []
    for key in sorted(set(old) | set(new)):
        if key in _POSITION_KEYS or key == "params":
            continue
        if old.get(key) != new.get(key):
            names.append(key)
    old_params = old.get("params") or {}
    new_params = new.get("params") or {}
    if isinstance(old_params, dict) and isinstance(new_params, dict):
        names.extend(
            f"params.{key}"
            for key in sorted(set(old_params) | set(new_params))
            if old_params.get(key) != new_params.get(key)
        )
    elif old_params != new_params:
        names.append("params")
    return names


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> DiffSummary:
    """What `new` adds, removes and changes compared with `old` (components by id)."""
    summary = DiffSummary()
    before, after = _components(old), _components(new)
    summary.added = [cid for cid in after if cid not in before]
    summary.removed = [cid for cid in before if cid not in after]
    for cid in after:
        if cid not in before:
            continue
        fields = _changed_fields(before[cid], after[cid])
        if fields:
            summary.changed.append(ComponentChange(cid, fields))
        elif any(before[cid].get(k) != after[cid].get(k) for k in _POSITION_KEYS):
            summary.moved.append(cid)
    links_before, links_after = _links(old), _links(new)
    summary.links_added = [key for key in links_after if key not in links_before]
    summary.links_removed = [key for key in links_before if key not in links_after]
    summary.links_changed = [
        key for key in links_after if key in links_before and links_after[key] != links_before[key]
    ]
    if old.get("name") != new.get("name"):
        summary.renamed = (str(old.get("name", "")), str(new.get("name", "")))
    summary.description_changed = old.get("description") != new.get("description")
    return summary
