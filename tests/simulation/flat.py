"""Nested JSON flattened to paths, for comparing reports number by number."""

from __future__ import annotations


def flatten(value: object, path: str = "") -> dict:
    """Nested JSON as {"a.b[0].c": leaf}."""
    if isinstance(value, dict):
        return {
            k: v for key, item in value.items() for k, v in flatten(item, f"{path}.{key}").items()
        }
    if isinstance(value, list):
        return {
            k: v for n, item in enumerate(value) for k, v in flatten(item, f"{path}[{n}]").items()
        }
    return {path: value}
