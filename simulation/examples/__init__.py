"""Built-in example designs that walk the scaling chapter one lesson at a time.

Each lesson is two JSON files in this package: ``<nn>_<slug>.json`` (the design
document; its ``name`` is the title and its ``description`` says what to
watch) and ``<nn>_<slug>.scenario.json`` (what happens over time). ``nn`` is
the teaching order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

_DESIGN_FILE = re.compile(r"^(?P<order>\d{2})_(?P<slug>[a-z0-9-]+)\.json$")
_SCENARIO_SUFFIX = ".scenario.json"


@dataclass(frozen=True)
class Example:
    """One built-in lesson: a design document and the scenario that shows its point."""

    slug: str
    title: str
    lesson: str
    document: dict[str, Any]
    scenario: dict[str, Any]


def list_examples() -> list[Example]:
    """Every built-in example, in teaching order (simplest design first).

    Each call returns fresh copies of the documents, so callers may change them.
    """
    return [_copy(example) for example in _load_all()]


def get_example(slug: str) -> Example:
    """The example named ``slug``; raises ``KeyError`` naming the known slugs if there is none."""
    for example in _load_all():
        if example.slug == slug:
            return _copy(example)
    known = ", ".join(example.slug for example in _load_all())
    raise KeyError(f"no example named {slug!r} (known: {known})")


def _copy(example: Example) -> Example:
    # The cached originals must never be changed by a caller editing its document.
    return Example(
        slug=example.slug,
        title=example.title,
        lesson=example.lesson,
        document=json.loads(json.dumps(example.document)),
        scenario=json.loads(json.dumps(example.scenario)),
    )


@cache
def _load_all() -> tuple[Example, ...]:
    package = resources.files(__name__)
    found: list[tuple[str, Example]] = []
    for entry in package.iterdir():
        match = _DESIGN_FILE.match(entry.name)
        if match is None:
            continue
        document = json.loads(entry.read_text(encoding="utf-8"))
        scenario_name = entry.name.removesuffix(".json") + _SCENARIO_SUFFIX
        scenario = json.loads(package.joinpath(scenario_name).read_text(encoding="utf-8"))
        example = Example(
            slug=match["slug"],
            title=document["name"],
            lesson=document["description"],
            document=document,
            scenario=scenario,
        )
        found.append((match["order"], example))
    found.sort(key=lambda pair: pair[0])
    return tuple(example for _, example in found)
