"""Scenarios (traffic changes, faults, checks over time) and live controls: validation."""

from __future__ import annotations

from typing import Any

from .components import KINDS
from .control_table import CONTROLS, source_kinds
from .errors import ControlError, DesignError, Problem, label_of
from .fields import boolean, number
from .metric_names import CHECKED_GLOBAL, CHECKED_NODE

GLOBAL_METRICS = CHECKED_GLOBAL
NODE_METRICS = CHECKED_NODE
OPS = (">", ">=", "<", "<=")
MAX_DURATION_S = 30 * 86400.0
# Ticks of planned retries a run keeps, over all clients (a float each): bounds memory.
MAX_RETRY_TICKS = 1_000_000
SCENARIO_KEYS = {
    "duration_s", "tick_s", "seed", "warmup_s", "noise", "traffic", "spikes", "waves", "faults",
    "checks", "name", "description",
}  # fmt: skip


def validate_scenario(scenario: Any, document: dict) -> dict:
    """Check a scenario against a validated document; return it with defaults filled in.

    Raises DesignError listing every problem with its path (``faults[2].target``).
    """
    if scenario is None:
        scenario = {}
    if not isinstance(scenario, dict):
        raise DesignError("", "a scenario must be a JSON object")
    problems: list[Problem] = []
    problems.extend(
        Problem(str(k), f"unknown field; use {', '.join(sorted(SCENARIO_KEYS))}")
        for k in scenario
        if k not in SCENARIO_KEYS
    )
    ids = {c["id"]: c for c in document["components"]}
    out: dict[str, Any] = {
        "duration_s": number(scenario, "duration_s", 600.0, 0.001, MAX_DURATION_S, "", problems),
        "tick_s": number(scenario, "tick_s", 1.0, 0.001, 3600.0, "", problems),
        "noise": boolean(scenario, "noise", False, "", problems),
    }
    for key in ("name", "description"):
        if key in scenario:
            if isinstance(scenario[key], str) and len(scenario[key]) <= 20_000:
                out[key] = scenario[key]
            else:
                problems.append(Problem(key, "must be text"))
    if "seed" in scenario:
        seed = scenario["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
            problems.append(Problem("seed", "must be a whole number from 0 to 2^63-1"))
        else:
            out["seed"] = seed
    if scenario.get("warmup_s") is not None:
        out["warmup_s"] = number(scenario, "warmup_s", 0.0, 0.0, MAX_DURATION_S, "", problems)
    out["traffic"] = [
        _traffic(item, f"traffic[{i}]", ids, problems)
        for i, item in enumerate(_items(scenario, "traffic", problems))
    ]
    out["spikes"] = [
        _spike(item, f"spikes[{i}]", ids, problems)
        for i, item in enumerate(_items(scenario, "spikes", problems))
    ]
    out["waves"] = [
        _wave(item, f"waves[{i}]", ids, problems)
        for i, item in enumerate(_items(scenario, "waves", problems))
    ]
    faults = []
    for i, item in enumerate(_items(scenario, "faults", problems)):
        path = f"faults[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(path, "must be an object with at and action"))
            continue
        at = number(item, "at", None, 0.0, MAX_DURATION_S, path, problems)
        control = {k: v for k, v in item.items() if k != "at"}
        faults.append({"at": at, **check_control(control, document, path, problems)})
    out["faults"] = sorted(faults, key=lambda f: f["at"] or 0.0)
    out["checks"] = [
        _check(item, f"checks[{i}]", ids, problems)
        for i, item in enumerate(_items(scenario, "checks", problems))
    ]
    _check_retry_plans(document, out["tick_s"], problems)
    if problems:
        raise DesignError(problems)
    return out


def _check_retry_plans(document: dict, tick_s: float | None, problems: list[Problem]) -> None:
    """Retries are planned one slot per tick ahead: refuse plans too long for the tick."""
    if not tick_s:
        return
    ticks = 0.0
    for comp in document["components"]:
        planned = getattr(KINDS[comp["kind"]], "retry_wait_s", None)  # kinds that retry
        if planned is not None:
            params = comp["params"]
            ticks += planned(params) / tick_s + (params.get("retries") or 0)
    if ticks > MAX_RETRY_TICKS:
        problems.append(Problem("tick_s", (
            f"the clients' retries would be planned {ticks:,.0f} ticks ahead, more than "
            f"{MAX_RETRY_TICKS:,} (their deadlines and doubled back-offs over {tick_s:g}-s "
            "ticks): use longer ticks, or fewer retries or a shorter back-off"
        )))  # fmt: skip


def check_control(control: Any, document: dict, path: str, problems: list[Problem]) -> dict:
    """Validate one control (``{"action": "fail", "target": "web"}``) with its record in
    ``CONTROLS``; record its problems."""
    at = f"{path}." if path else ""
    if not isinstance(control, dict):
        problems.append(Problem(path, "must be an object with an action"))
        return {}
    action = control.get("action")
    entry = CONTROLS.get(action) if isinstance(action, str) else None
    if entry is None:
        problems.append(Problem(f"{at}action", f"must be one of: {', '.join(CONTROLS)}"))
        return dict(control)
    if entry.on == "link":
        return {"action": action, **entry.check(control, document, path, problems)}
    target = control.get("target")
    ids = {c["id"]: c for c in document["components"]}
    comp = ids.get(target) if isinstance(target, str) else None
    if comp is None:
        problems.append(Problem(f"{at}target", f"no component with id {target!r}"))
        return {"action": action, "target": target}
    return {"action": action, "target": target, **entry.check(control, comp, path, problems)}


def control_or_raise(control: Any, document: dict) -> dict:
    """``check_control`` for a live control: raise ControlError naming what is wrong."""
    problems: list[Problem] = []
    out = check_control(control, document, "", problems)
    if problems:
        raise ControlError.from_problems(problems)
    return out


def _items(scenario: dict, key: str, problems: list[Problem]) -> list:
    value = scenario.get(key, [])
    if not isinstance(value, list):
        problems.append(Problem(key, "must be a list"))
        return []
    if len(value) > 10_000:
        problems.append(Problem(key, "has more than 10000 entries"))
        return []
    return value


def _source(item: dict, path: str, ids: dict, problems: list[Problem]) -> str:
    source = item.get("source")
    if not isinstance(source, str) or source not in ids:
        problems.append(Problem(f"{path}.source", f"no component with id {source!r}"))
    elif KINDS[ids[source]["kind"]].role != "source":
        problems.append(
            Problem(
                f"{path}.source", f"{source} is a {ids[source]['kind']}, not a {source_kinds()}"
            )
        )
    return source


def _object(item: Any, path: str, problems: list[Problem]) -> bool:
    if not isinstance(item, dict):
        problems.append(Problem(path, "must be an object"))
        return False
    return True


def _traffic(item: Any, path: str, ids: dict, problems: list[Problem]) -> dict:
    if not _object(item, path, problems):
        return {}
    return {
        "at": number(item, "at", None, 0.0, MAX_DURATION_S, path, problems),
        "source": _source(item, path, ids, problems),
        "rps": number(item, "rps", None, 0.0, 10_000_000.0, path, problems),
        "ramp_s": number(item, "ramp_s", 0.0, 0.0, MAX_DURATION_S, path, problems),
    }


def _spike(item: Any, path: str, ids: dict, problems: list[Problem]) -> dict:
    if not _object(item, path, problems):
        return {}
    return {
        "at": number(item, "at", None, 0.0, MAX_DURATION_S, path, problems),
        "source": _source(item, path, ids, problems),
        "rps": number(item, "rps", None, 0.0, 10_000_000.0, path, problems),
        "duration_s": number(item, "duration_s", 10.0, 0.001, MAX_DURATION_S, path, problems),
    }


def _wave(item: Any, path: str, ids: dict, problems: list[Problem]) -> dict:
    if not _object(item, path, problems):
        return {}
    period = number(item, "period_s", 86400.0, 1.0, MAX_DURATION_S, path, problems)
    return {
        "source": _source(item, path, ids, problems),
        "amplitude": number(item, "amplitude", 0.5, 0.0, 1.0, path, problems),
        "period_s": period,
        "peak_s": number(item, "peak_s", period / 2, 0.0, MAX_DURATION_S, path, problems),
    }


def _check(item: Any, path: str, ids: dict, problems: list[Problem]) -> dict:
    if not _object(item, path, problems):
        return {}
    metric = item.get("metric")
    component = item.get("component")
    if component is not None:
        if not isinstance(component, str) or component not in ids:
            problems.append(Problem(f"{path}.component", f"no component with id {component!r}"))
        if metric not in NODE_METRICS:
            problems.append(Problem(f"{path}.metric", f"must be one of: {', '.join(NODE_METRICS)}"))
    elif metric not in GLOBAL_METRICS:
        problems.append(
            Problem(
                f"{path}.metric",
                f"must be one of: {', '.join(GLOBAL_METRICS)} (or give a component)",
            )
        )
    op = item.get("op", ">")
    if op not in OPS:
        problems.append(Problem(f"{path}.op", f"must be one of: {' '.join(OPS)}"))
    value = number(item, "value", None, -1e12, 1e12, path, problems)
    for_s = number(item, "for_s", 0.0, 0.0, MAX_DURATION_S, path, problems)
    # Named as people read it: a labelled component by its label, else its id (web.util).
    where = ""
    if isinstance(component, str) and component in ids:
        label = label_of(ids[component])
        where = f"{component}." if label == component else f"{label} "
    name = item.get("name") or f"{where}{metric} {op} {value:g}" + (
        f" for {for_s:g}s" if for_s else ""
    )
    if not isinstance(name, str):
        problems.append(Problem(f"{path}.name", "must be text"))
    return {
        "name": name,
        "metric": metric,
        "component": component,
        "op": op,
        "value": value,
        "for_s": for_s,
        "abort": boolean(item, "abort", False, path, problems),
    }
