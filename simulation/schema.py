"""JSON Schema of design format v1, generated from the catalog (``python -m simulation.schema``)."""

from __future__ import annotations

import json
from pathlib import Path

from .components import KINDS, LINK_PARAMS, Param
from .document import ID_PATTERN, MAX_DESCRIPTION, MAX_LABEL, MAX_NAME

SCHEMA_PATH = Path(__file__).with_name("schema.json")


def _param_schema(p: Param) -> dict:
    if p.type == "int":
        out: dict = {"type": "integer"}
    elif p.type == "float":
        out = {"type": "number"}
    elif p.type == "bool":
        out = {"type": "boolean"}
    elif p.type == "choice":
        out = {"enum": list(p.choices)}
    elif p.type == "str":
        out = {"type": "string", "maxLength": p.max_length}
    else:
        value = {"type": "number"}
        if p.min is not None:
            value["minimum"] = p.min
        if p.max is not None:
            value["maximum"] = p.max
        out = {"type": "object", "additionalProperties": value}
        if p.keys:
            out["properties"] = {k: value for k in p.keys}
            out["additionalProperties"] = False
    if p.type in ("int", "float"):
        if p.min is not None:
            out["minimum"] = p.min
        if p.max is not None:
            out["maximum"] = p.max
    if p.nullable:
        out = {"anyOf": [out, {"type": "null"}]}
    out["description"] = p.help + (f" ({p.unit})" if p.unit else "")
    out["default"] = p.default
    return out


def _params_schema(params: tuple[Param, ...]) -> dict:
    return {
        "type": "object",
        "properties": {p.name: _param_schema(p) for p in params},
        "additionalProperties": False,
    }


def document_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a format-v1 design document."""
    component_variants = [
        {
            "if": {"properties": {"kind": {"const": name}}},
            "then": {"properties": {"params": _params_schema(kind.params)}},
        }
        for name, kind in KINDS.items()
    ]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://architecture-sandbox.local/schema/design-v1.json",
        "title": "Architecture Sandbox design document, format 1",
        "type": "object",
        "required": ["format", "components"],
        "additionalProperties": False,
        "properties": {
            "format": {"const": 1},
            "name": {"type": "string", "maxLength": MAX_NAME},
            "description": {"type": "string", "maxLength": MAX_DESCRIPTION},
            "components": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "kind"],
                    "additionalProperties": False,
                    "properties": {
                        "id": {"type": "string", "pattern": ID_PATTERN.pattern},
                        "kind": {"enum": list(KINDS)},
                        "label": {"type": "string", "maxLength": MAX_LABEL},
                        "x": {"type": "number"},
                        "y": {"type": "number"},
                        "parent": {"type": "string"},
                        "params": {"type": "object"},
                    },
                    "allOf": component_variants,
                },
            },
            "links": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["from", "to"],
                    "additionalProperties": False,
                    "properties": {
                        "from": {"type": "string"},
                        "to": {"type": "string"},
                        "params": _params_schema(LINK_PARAMS),
                    },
                },
            },
        },
    }


def schema_text() -> str:
    return json.dumps(document_schema(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
