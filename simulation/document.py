"""Design document format v1: parsing, validation with every problem, and defaults."""

from __future__ import annotations

import json
import re
from typing import Any

from .components import KINDS, LINK_PARAMS, kinds_with_role
from .components.base import DesignLinks
from .errors import DesignError, Problem, named
from .graph import build_graph, find_request_loop
from .kind_catalog import link_problem
from .limits import Limits

FORMAT = 1
# Checked with fullmatch: in Python, "$" alone would also let a final newline through.
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
TOP_KEYS = {"format", "name", "description", "components", "links"}
COMPONENT_KEYS = {"id", "kind", "label", "x", "y", "parent", "params"}
LINK_KEYS = {"from", "to", "params"}
MAX_NAME = 200
MAX_DESCRIPTION = 20_000
MAX_LABEL = 100


def document_size(doc: Any) -> int:
    """Bytes of the compact UTF-8 JSON form of ``doc``."""
    return len(json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode())


def validate_document(doc: Any, limits: Limits | None = None) -> dict:
    """Check a format-v1 design; return a copy with every default filled in.

    Raises DesignError listing every problem, each with its path
    (``components[3].params.instances``).
    """
    limits = limits or Limits()
    if not isinstance(doc, dict):
        raise DesignError("", "a design document must be a JSON object")
    try:
        size = document_size(doc)
    except (TypeError, ValueError) as exc:
        raise DesignError("", f"not plain JSON data ({exc})") from None
    if size > limits.max_bytes:
        raise DesignError("", f"the document is {size} bytes; at most {limits.max_bytes} allowed")

    problems: list[Problem] = []
    out: dict[str, Any] = {"format": FORMAT}
    _unknown_keys(doc, TOP_KEYS, "", problems)
    if doc.get("format") != FORMAT:
        problems.append(Problem("format", f"must be {FORMAT}"))
    out["name"] = _text(doc.get("name", "Untitled design"), "name", MAX_NAME, problems)
    if "description" in doc:
        out["description"] = _text(doc["description"], "description", MAX_DESCRIPTION, problems)

    components = _list(doc, "components", limits.max_components, problems)
    links = _list(doc, "links", limits.max_links, problems)
    if problems and any(p.path in ("components", "links") for p in problems):
        raise DesignError(problems)  # the rest would only repeat the same error
    out["components"] = comps = _check_components(components, problems)
    by_id = {c["id"]: c for c in comps}
    # Each checked component's index in the document, for the paths of later problems.
    position = {}
    for i, comp in enumerate(components):
        cid = comp.get("id") if isinstance(comp, dict) else None
        if isinstance(cid, str) and cid in by_id:
            position.setdefault(cid, i)
    out["links"] = _check_links(links, by_id, problems)
    _check_parents(comps, by_id, position, problems)
    design_links = DesignLinks.of(by_id, out["links"])
    for comp in comps:
        path = f"components[{position[comp['id']]}]"
        KINDS[comp["kind"]].check_links(comp, design_links, path, problems)
    if not problems:
        loop = find_request_loop(build_graph(comps, out["links"]))
        if loop:
            cycle = " -> ".join(named(by_id[cid]) for cid in loop)
            problems.append(Problem("links", f"request loop: {cycle}"))
    if problems:
        raise DesignError(problems)
    return out


def _unknown_keys(obj: dict, allowed: set[str], path: str, problems: list[Problem]) -> None:
    hint = f"unknown field; use {', '.join(sorted(allowed))}"
    problems.extend(
        Problem(f"{path}.{key}" if path else str(key), hint) for key in obj if key not in allowed
    )


def _text(value: Any, path: str, max_length: int, problems: list[Problem]) -> str:
    if not isinstance(value, str) or len(value) > max_length:
        problems.append(Problem(path, f"must be text of at most {max_length} characters"))
        return ""
    return value


def _list(doc: dict, key: str, limit: int, problems: list[Problem]) -> list:
    value = doc.get(key, [])
    if not isinstance(value, list):
        problems.append(Problem(key, "must be a list"))
        return []
    if len(value) > limit:
        problems.append(Problem(key, f"has {len(value)} entries; at most {limit} allowed"))
        return []
    return value


def _number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and value == value
        and (abs(value) < 1e12)
    )


def _check_components(components: list, problems: list[Problem]) -> list[dict]:
    out: list[dict] = []
    first_index: dict[str, int] = {}
    for i, comp in enumerate(components):
        path = f"components[{i}]"
        if not isinstance(comp, dict):
            problems.append(Problem(path, "must be an object with id, kind and params"))
            continue
        _unknown_keys(comp, COMPONENT_KEYS, path, problems)
        cid = comp.get("id")
        if not isinstance(cid, str) or not ID_PATTERN.fullmatch(cid):
            problems.append(
                Problem(
                    f"{path}.id",
                    "must be 1 to 64 letters, digits, '_', '-', "
                    "'.' or ':', starting with a letter or digit",
                )
            )
            continue
        if cid in first_index:
            problems.append(
                Problem(f"{path}.id", f"duplicate id {cid!r} (also components[{first_index[cid]}])")
            )
            continue
        first_index[cid] = i
        kind_name = comp.get("kind")
        kind = KINDS.get(kind_name) if isinstance(kind_name, str) else None
        if kind is None:
            problems.append(
                Problem(f"{path}.kind", f"unknown kind {kind_name!r}; use {', '.join(KINDS)}")
            )
            continue
        entry: dict[str, Any] = {"id": cid, "kind": kind_name}
        if "label" in comp:
            entry["label"] = _text(comp["label"], f"{path}.label", MAX_LABEL, problems)
        for axis in ("x", "y"):
            if axis in comp:
                if not _number(comp[axis]):
                    problems.append(Problem(f"{path}.{axis}", "must be a number"))
                else:
                    entry[axis] = comp[axis]
        if "parent" in comp:
            entry["parent"] = comp["parent"]
        entry["params"] = _check_params(kind, comp.get("params", {}), f"{path}.params", problems)
        out.append(entry)
    return out


def _check_params(kind: Any, params: Any, path: str, problems: list[Problem]) -> dict:
    if not isinstance(params, dict):
        problems.append(Problem(path, "must be an object"))
        params = {}
    known = {p.name for p in kind.params}
    for key in params:
        if key not in known:
            hint = f"; {kind.kind} has: {', '.join(sorted(known))}" if known else ""
            problems.append(Problem(f"{path}.{key}", f"unknown parameter{hint}"))
    out: dict[str, Any] = {}
    before = len(problems)
    for p in kind.params:
        value = params[p.name] if p.name in params else p.default
        out[p.name] = p.check(value, f"{path}.{p.name}", problems)
        if isinstance(out[p.name], dict):
            out[p.name] = dict(out[p.name])
    if len(problems) == before:
        kind.check(out, path, problems)
    return out


def _check_links(links: list, by_id: dict[str, dict], problems: list[Problem]) -> list[dict]:
    out: list[dict] = []
    seen: dict[tuple[str, str], int] = {}
    for i, link in enumerate(links):
        path = f"links[{i}]"
        if not isinstance(link, dict):
            problems.append(Problem(path, "must be an object with from and to"))
            continue
        _unknown_keys(link, LINK_KEYS, path, problems)
        ends = []
        for end in ("from", "to"):
            ref = link.get(end)
            if not isinstance(ref, str) or ref not in by_id:
                problems.append(Problem(f"{path}.{end}", f"no component with id {ref!r}"))
            else:
                ends.append(ref)
        params = link.get("params", {})
        if not isinstance(params, dict):
            problems.append(Problem(f"{path}.params", "must be an object"))
            params = {}
        _unknown_keys(params, {p.name for p in LINK_PARAMS}, f"{path}.params", problems)
        checked = {
            p.name: p.check(params.get(p.name, p.default), f"{path}.params.{p.name}", problems)
            for p in LINK_PARAMS
        }
        if len(ends) < 2:
            continue
        src, dst = ends
        if src == dst:
            problems.append(
                Problem(path, f"a component cannot link to itself ({named(by_id[src])})")
            )
            continue
        pair = f"{named(by_id[src])} -> {named(by_id[dst])}"
        if (src, dst) in seen:
            problems.append(
                Problem(path, f"duplicate link {pair} (also links[{seen[(src, dst)]}])")
            )
            continue
        seen[(src, dst)] = i
        why = link_problem(by_id[src]["kind"], by_id[dst]["kind"])
        if why is None:
            why = KINDS[by_id[src]["kind"]].link_rule(by_id[src], by_id[dst])
        if why:
            problems.append(Problem(path, f"{pair}: {why}"))
            continue
        out.append({"from": src, "to": dst, "params": checked})
    return out


def _check_parents(
    comps: list[dict], by_id: dict[str, dict], position: dict[str, int], problems: list[Problem]
) -> None:
    """A component may sit in a group (a data centre); a group sits in nothing."""
    groups = " or ".join(kinds_with_role("group"))
    for comp in comps:
        if "parent" not in comp:
            continue
        parent = comp["parent"]
        path = f"components[{position[comp['id']]}].parent"
        if KINDS[comp["kind"]].role == "group":
            problems.append(Problem(path, f"a {comp['kind']} cannot be inside another one"))
        elif not isinstance(parent, str) or parent not in by_id:
            problems.append(Problem(path, f"no component with id {parent!r}"))
        elif KINDS[by_id[parent]["kind"]].role != "group":
            problems.append(
                Problem(
                    path, f"{named(by_id[parent])} is a {by_id[parent]['kind']}, not a {groups}"
                )
            )
