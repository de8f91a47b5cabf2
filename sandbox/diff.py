"""A readable summary of what changed between two design documents: components and links
by the names their owner gave them, each changed field with its old and new value."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import simulation

_POSITION_KEYS = ("x", "y")


@dataclass(frozen=True)
class ShownValue:
    """A field's value as the history shows it; `is_default` when the document leaves it
    out and the kind's default applies (`text` is then the default, or empty)."""

    text: str
    is_default: bool = False


@dataclass(frozen=True)
class FieldChange:
    path: str  # "label", "params.instances"
    name: str  # what the history shows: "label", "instances"
    old: ShownValue
    new: ShownValue


@dataclass
class ComponentChange:
    id: str
    name: str
    changes: list[FieldChange]

    @property
    def fields(self) -> list[str]:
        return [change.path for change in self.changes]


@dataclass
class LinkChange:
    name: str  # "Users → Web"
    changes: list[FieldChange]


@dataclass
class DiffSummary:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[ComponentChange] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    links_added: list[str] = field(default_factory=list)
    links_removed: list[str] = field(default_factory=list)
    links_changed: list[LinkChange] = field(default_factory=list)
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


def _name(component: dict[str, Any] | None, cid: str) -> str:
    """The name the owner sees on the canvas: the label, else the id."""
    label = component.get("label") if component else None
    return label if isinstance(label, str) and label.strip() else cid


def _links(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    items = document.get("links") or []
    return {
        (str(link.get("from")), str(link.get("to"))): link
        for link in items
        if isinstance(link, dict)
    }


def _show(value: Any, default: Any = None, *, absent: bool = False) -> ShownValue:
    if absent:
        return ShownValue("" if default is None else _text(default), is_default=True)
    return ShownValue(_text(value))


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


class _Defaults:
    """Parameter defaults by kind (and for links), from the engine's catalog."""

    def __init__(self) -> None:
        catalog = simulation.catalog()
        self.kinds = {
            kind: {p["name"]: p.get("default") for p in entry.get("params", [])}
            for kind, entry in catalog["kinds"].items()
        }
        self.link = {p["name"]: p.get("default") for p in catalog["link_params"]}

    def of(self, kind: Any) -> dict[str, Any]:
        return self.kinds.get(kind, {}) if isinstance(kind, str) else {}


def _param_changes(
    old: dict[str, Any], new: dict[str, Any], defaults: dict[str, Any]
) -> list[FieldChange]:
    old_params, new_params = old.get("params") or {}, new.get("params") or {}
    if not (isinstance(old_params, dict) and isinstance(new_params, dict)):
        if old_params == new_params:
            return []
        return [FieldChange("params", "params", _show(old_params), _show(new_params))]
    return [
        FieldChange(
            f"params.{key}",
            key,
            _show(old_params.get(key), defaults.get(key), absent=key not in old_params),
            _show(new_params.get(key), defaults.get(key), absent=key not in new_params),
        )
        for key in sorted(set(old_params) | set(new_params))
        if old_params.get(key) != new_params.get(key)
    ]


def _component_changes(
    old: dict[str, Any],
    new: dict[str, Any],
    names: dict[str, str],
    defaults: _Defaults,
) -> list[FieldChange]:
    changes = []
    for key in sorted(set(old) | set(new)):
        if key in _POSITION_KEYS or key == "params" or old.get(key) == new.get(key):
            continue
        before, after = old.get(key), new.get(key)
        if key == "label":  # a blank label shows the id on the canvas
            cid = str(new.get("id"))
            before, after = _name(old, cid), _name(new, cid)
            if before != after:
                changes.append(FieldChange(key, key, _show(before), _show(after)))
            continue
        if key == "parent":  # a data centre: shown by its name
            before = names.get(str(before), before) if before is not None else None
            after = names.get(str(after), after) if after is not None else None
        changes.append(
            FieldChange(
                key,
                key,
                _show(before, absent=key not in old),
                _show(after, absent=key not in new),
            )
        )
    kind = new.get("kind") if old.get("kind") == new.get("kind") else None
    return changes + _param_changes(old, new, defaults.of(kind))


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> DiffSummary:
    """What `new` adds, removes and changes compared with `old`: components matched by id,
    shown by name, with the old and new value of every changed field."""
    summary = DiffSummary()
    defaults = _Defaults()
    before, after = _components(old), _components(new)
    names = {cid: _name(c, cid) for cid, c in before.items()}
    names.update({cid: _name(c, cid) for cid, c in after.items()})
    summary.added = [names[cid] for cid in after if cid not in before]
    summary.removed = [names[cid] for cid in before if cid not in after]
    for cid in after:
        if cid not in before:
            continue
        changes = _component_changes(before[cid], after[cid], names, defaults)
        if changes:
            summary.changed.append(ComponentChange(cid, names[cid], changes))
        elif any(before[cid].get(k) != after[cid].get(k) for k in _POSITION_KEYS):
            summary.moved.append(names[cid])

    def link_name(key: tuple[str, str]) -> str:
        return f"{names.get(key[0], key[0])} → {names.get(key[1], key[1])}"

    links_before, links_after = _links(old), _links(new)
    summary.links_added = [link_name(key) for key in links_after if key not in links_before]
    summary.links_removed = [link_name(key) for key in links_before if key not in links_after]
    for key, link in links_after.items():
        if key in links_before and link != links_before[key]:
            changes = _param_changes(links_before[key], link, defaults.link)
            summary.links_changed.append(LinkChange(link_name(key), changes))
    if old.get("name") != new.get("name"):
        summary.renamed = (str(old.get("name", "")), str(new.get("name", "")))
    summary.description_changed = old.get("description") != new.get("description")
    return summary
