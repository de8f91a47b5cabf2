"""The editor's properties panel: a form rendered from the catalog's parameter specs.

GET renders the form for one component (kind + current params) or one link; POST
checks the typed values as the user types (htmx) and answers with the inline errors
(out-of-band swaps) and the accepted values (``HX-Trigger: editor:params``), which the
editor applies to the diagram at once. Nothing is stored here: the document is saved
by the document API.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from sandbox import jsontext
from sandbox.documents import unstorable_text
from sandbox.http import HtmxHttpRequest
from simulation import Problem
from simulation.components import KINDS, LINK_PARAMS, Kind, Param

SECTION_TITLES = {
    "general": "Settings",
    "serving": "Serving",
    "autoscaling": "Autoscaling",
    "retries": _("Deadline and retries"),
}
NAMES = {
    "rps": "Request rate",
    "mix": "Request mix",
    "hit_ratio": "Hit ratio",
    "service_ms": "Service time",
    "timeout_ms": "Timeout",
    "latency_ms": "Latency",
    "cross_dc_ms": "Cross-data-centre latency",
    "target_util": "Target utilisation",
    "apply_rps": "Replica apply rate",
    "replication_lag_ms": "Replication lag",
    "failover_s": "Failover delay",
    "health_check_s": "Health-check delay",
    "cooldown_s": "Cooldown",
    "provision_s": "Start-up time",
    "warmup_s": "Warm-up time",
    "autoscale": "Autoscale",
    "stateful": "Stateful sessions",
    "retries": _("Retries"),
    "backoff_ms": _("Back-off"),
    "jitter": _("Jitter"),
    "breaker_errors": _("Circuit breaker opens at"),
    "breaker_open_s": _("Circuit breaker stays open"),
}
MAX_FIELD = 200
MAX_NAMES = 200  # link targets (and their names) a panel shows at most


@dataclass
class Field:
    """One parameter as the form shows it."""

    param: Param
    value: str = ""
    checked: bool = False
    error: str = ""
    items: list[dict[str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.param.name

    @property
    def input_name(self) -> str:
        return f"p.{self.param.name}"

    @property
    def dom_id(self) -> str:
        return f"prop-{self.param.name}"

    @property
    def label(self) -> str:
        return NAMES.get(self.name, self.name.replace("_", " ").capitalize())

    @property
    def range_text(self) -> str:
        p = self.param
        if p.min is not None and p.max is not None:
            return f"{_show(p.min)} to {_show(p.max)}"
        if p.min is not None:
            return f"at least {_show(p.min)}"
        return ""

    @property
    def step(self) -> str:
        return "1" if self.param.type == "int" else "any"


class PanelInputError(ValueError):
    """The request does not describe a component or link the panel can show."""


def _show(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _specs_for(data: Any) -> tuple[type[Kind] | None, tuple[Param, ...]]:
    if data.get("link") == "1":
        return None, LINK_PARAMS
    kind = KINDS.get(data.get("kind", ""))
    if kind is None:
        raise PanelInputError(f"unknown component kind {data.get('kind', '')!r}")
    return kind, kind.params


def _current_params(raw: str) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        params = jsontext.loads(raw)
    except jsontext.JSONTextError as exc:
        raise PanelInputError(f"params is not valid JSON ({exc})") from None
    if not isinstance(params, dict):
        raise PanelInputError("params must be a JSON object")
    # The form shows the values and map keys: a lone surrogate cannot be sent in a page.
    if unstorable := unstorable_text(params, "params"):
        raise PanelInputError(f"{unstorable[0].path}: {unstorable[0].message}")
    return params


MAX_DATACENTERS = 500


def _datacenter_choices(data: Any, kind: type[Kind] | None) -> list[dict[str, Any]] | None:
    """The data centres a component may move to, with its own marked; None for a link
    or a data centre, which sit in none. The editor sends ``datacenters`` (a JSON list of
    ``{"id", "label"}``) and ``parent``, the id of the one the component is in."""
    if kind is None or kind.role == "group":
        return None
    raw = data.get("datacenters", "")
    try:
        listed = jsontext.loads(raw) if raw else []
    except jsontext.JSONTextError as exc:
        raise PanelInputError(f"datacenters is not valid JSON ({exc})") from None
    well_formed = isinstance(listed, list) and all(
        isinstance(d, dict) and isinstance(d.get("id"), str) and isinstance(d.get("label"), str)
        for d in listed
    )
    if not well_formed:
        raise PanelInputError("datacenters must be a list of {id, label}")
    if unstorable := unstorable_text(listed, "datacenters"):
        raise PanelInputError(f"{unstorable[0].path}: {unstorable[0].message}")
    parent = data.get("parent", "")
    return [
        {
            "id": d["id"][:MAX_FIELD],
            "label": d["label"][:MAX_FIELD] or d["id"][:MAX_FIELD],
            "selected": d["id"] == parent,
        }
        for d in listed[:MAX_DATACENTERS]
    ]


def _names(raw: str) -> dict[str, str]:
    """The names users gave the components the panel mentions (``{id: label}``), sent by
    the editor for display only: anything unreadable just leaves those shown by id."""
    try:
        names = jsontext.loads(raw) if raw else {}
    except jsontext.JSONTextError:
        return {}
    if not isinstance(names, dict):
        return {}
    return {
        k: v[:MAX_FIELD]
        for k, v in list(names.items())[:MAX_NAMES]
        if isinstance(v, str) and v and not unstorable_text(v)
    }


def _fields_from_params(
    specs: tuple[Param, ...], params: dict[str, Any], targets: list[str], names: dict[str, str]
) -> list[Field]:
    fields = []
    for p in specs:
        value = params.get(p.name, p.default)
        f = Field(p)
        if p.type == "bool":
            f.checked = bool(value)
        elif p.type == "map":
            current = value if isinstance(value, dict) else {}
            keys = list(p.keys) or list(dict.fromkeys([*current, *targets]))
            f.items = [
                {"key": k, "name": names.get(k, k), "value": _show(current.get(k, ""))}
                for k in keys
            ]
        else:
            f.value = _show(value)
        fields.append(f)
    return fields


def _number(raw: str, integer: bool) -> Any:
    """The typed text as a number when it is one, else the text (the checker names the error)."""
    text = raw.strip()
    try:
        return int(text) if integer else float(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _parse(p: Param, post: Any) -> Any:
    """The value of parameter ``p`` typed in the form, in the document's types."""
    name = f"p.{p.name}"
    if p.type == "bool":
        return name in post
    if p.type == "map":
        prefix = f"{name}."
        out: dict[str, Any] = {}
        for key in post:
            if key.startswith(prefix) and post[key].strip():
                out[key[len(prefix) :]] = _number(post[key][:MAX_FIELD], integer=False)
        return out
    raw = post.get(name, "")[:MAX_FIELD]
    if p.type in ("int", "float"):
        if not raw.strip():
            return None
        return _number(raw, integer=p.type == "int")
    if p.type == "choice" and not raw and p.nullable:
        return None
    return raw


def _sent(p: Param, post: Any) -> bool:
    """Whether the form sent parameter ``p`` (an unticked box sends nothing: it is false)."""
    name = f"p.{p.name}"
    if p.type == "bool":
        return True
    if p.type == "map":
        # The form sends a marker for each map, so clearing every entry still counts.
        return name in post or any(key.startswith(f"{name}.") for key in post)
    return name in post


def check_values(
    kind: type[Kind] | None, specs: tuple[Param, ...], post: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check the typed values with the engine's own rules.

    Returns the accepted values (document types) and the errors by field name
    (``instances``, ``mix.read``); a rule across fields marks its field too.
    """
    accepted: dict[str, Any] = {}
    errors: dict[str, str] = {}
    everything: dict[str, Any] = {}
    for p in specs:
        if not _sent(p, post):
            everything[p.name] = p.default
            continue
        problems: list[Problem] = []
        value = p.check(_parse(p, post), p.name, problems)
        everything[p.name] = value
        if problems:
            for problem in problems:
                errors.setdefault(problem.path, problem.message)
        else:
            accepted[p.name] = value
    if kind is not None and not errors:
        problems = []
        kind.check(everything, "params", problems)
        for problem in problems:
            name = problem.path.removeprefix("params.")
            errors.setdefault(name, problem.message)
            accepted.pop(name.split(".")[0], None)
    for name in list(errors):
        accepted.pop(name.split(".")[0], None)
    return accepted, errors


def _panel_context(data: Any, read_only: bool) -> dict[str, Any]:
    kind, specs = _specs_for(data)
    target_id = data.get("id", "")[:MAX_FIELD]
    if not target_id:
        raise PanelInputError("id is required")
    targets = [t for t in data.get("targets", "").split(",") if t][:MAX_NAMES]
    names = _names(data.get("names", ""))
    params = _current_params(data.get("params", ""))
    fields = _fields_from_params(specs, params, targets, names)
    link_from, link_to = data.get("from", "")[:MAX_FIELD], data.get("to", "")[:MAX_FIELD]
    sections: dict[str, list[Field]] = {}
    for f in fields:
        sections.setdefault(f.param.section, []).append(f)
    datacenters = _datacenter_choices(data, kind)
    return {
        "kind": kind,
        "kind_name": data.get("kind", ""),
        "datacenters": datacenters,
        "datacenter": next((d for d in datacenters or () if d["selected"]), None),
        "is_link": kind is None,
        "link_from": names.get(link_from, link_from),
        "link_to": names.get(link_to, link_to),
        "target_id": target_id,
        "label": data.get("label", "")[:MAX_FIELD] or target_id,
        "sections": [
            {"name": name, "title": SECTION_TITLES.get(name, name.capitalize()), "fields": group}
            for name, group in sections.items()
        ],
        "fields": fields,
        "read_only": read_only,
    }


@require_http_methods(["GET", "POST"])
def properties(request: HtmxHttpRequest) -> HttpResponse:
    """GET: the form for a component or link. POST: check the typed values."""
    if request.method == "POST":
        return _check(request)
    return _panel(request)


def _panel(request: HtmxHttpRequest) -> HttpResponse:
    try:
        context = _panel_context(request.GET, read_only=request.GET.get("read_only") == "1")
    except PanelInputError as exc:
        return HttpResponseBadRequest(f"Cannot show the properties: {exc}.")
    return render(request, "sandbox/_properties.html", context)


def _check(request: HtmxHttpRequest) -> HttpResponse:
    try:
        kind, specs = _specs_for(request.POST)
    except PanelInputError as exc:
        return HttpResponseBadRequest(f"Cannot check the properties: {exc}.")
    target_id = request.POST.get("id", "")[:MAX_FIELD]
    if not target_id:
        return HttpResponseBadRequest("Cannot check the properties: id is required.")
    accepted, errors = check_values(kind, specs, request.POST)
    fields = []
    for p in specs:
        f = Field(p, error=errors.get(p.name, ""))
        if p.type == "map":
            f.items = [
                {"key": key.split(".", 1)[1], "error": message}
                for key, message in errors.items()
                if key.startswith(f"{p.name}.")
            ]
            f.error = f.error or "; ".join(f"{item['key']}: {item['error']}" for item in f.items)
        fields.append(f)
    response = render(request, "sandbox/_properties.html#errors", {"fields": fields})
    response["HX-Trigger"] = json.dumps(
        {"editor:params": {"id": target_id, "params": accepted, "errors": errors}}
    )
    return response
