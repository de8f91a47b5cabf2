"""The scenarios a run can start with: steady traffic, a built-in one, or custom JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox import jsontext
from sandbox.documents import unstorable_text
from simulation import (
    DesignError,
    Problem,
    list_examples,
    validate_document,
    validate_scenario,
)

STEADY = "steady"
CUSTOM = "custom"


@dataclass(frozen=True)
class ScenarioChoice:
    key: str
    title: str
    scenario: dict[str, Any] | None


def scenario_choices(document: dict[str, Any]) -> list[ScenarioChoice]:
    """Steady traffic, then every built-in scenario that fits this design."""
    choices = [ScenarioChoice(STEADY, "Steady traffic (the design's own rates, 10 minutes)", None)]
    try:
        document = validate_document(document)
    except DesignError:
        return choices  # a design that no longer validates fits no built-in scenario
    for example in list_examples():
        if not example.scenario:
            continue
        try:
            validate_scenario(example.scenario, document)
        except DesignError:
            continue  # written for another topology: its targets are not in this design
        choices.append(ScenarioChoice(example.slug, example.title, example.scenario))
    return choices


def resolve_scenario(
    document: dict[str, Any], key: str, custom_json: str
) -> tuple[str, dict[str, Any]]:
    """The validated scenario for a choice; DesignError naming what is wrong."""
    # Scenarios are checked against the design with every parameter filled in, as the
    # engine runs it (a stored document may leave parameters at their defaults).
    document = validate_document(document)
    if key == CUSTOM:
        try:
            raw = jsontext.loads(custom_json)
        except jsontext.JSONTextError as exc:
            raise DesignError("scenario", f"not valid JSON: {exc}") from exc
        # Before the engine: its problems quote keys of the scenario, and a page could not
        # show a lone surrogate among them.
        if unstorable := unstorable_text(raw):
            raise DesignError([Problem(p.path, p.message) for p in unstorable])
        return CUSTOM, validate_scenario(raw, document)
    for choice in scenario_choices(document):
        if choice.key == key:
            return key, validate_scenario(choice.scenario, document)
    raise DesignError("scenario", f"unknown scenario {key[:80]!r} for this design")
