"""The app holds only what the site runs: test-only helpers live under `tests/` or `bench/`."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = "sandbox"

# Modules Django or Daphne find by convention or by name in settings, not by import.
ENTRY_POINT_NAMES = {"__init__", "apps", "admin", "models", "urls", "settings", "asgi", "wsgi"}
ENTRY_POINT_FOLDERS = {"migrations", "commands", "templatetags"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def app_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((ROOT / APP).rglob("*.py"))}


def imported_names(path: Path) -> set[str]:
    """Every dotted name `path` imports, and the modules `from x import y` may mean."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def settings_strings() -> set[str]:
    """Dotted paths named in settings (apps, middleware, layers, views, the ASGI app)."""
    tree = ast.parse((ROOT / APP / "settings.py").read_text())
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def is_entry_point(name: str, path: Path) -> bool:
    return path.stem in ENTRY_POINT_NAMES or bool(ENTRY_POINT_FOLDERS & set(path.parts))


def test_no_app_module_is_named_for_tests() -> None:
    """Nothing under `sandbox/` is a test helper by its name (test clients, test servers)."""
    named = [
        name
        for name in app_modules()
        if "test" in name.rsplit(".", 1)[-1] or name.endswith(("wsclient", "conftest"))
    ]
    assert named == []


def test_every_app_module_is_used_by_the_app() -> None:
    """Each module under `sandbox/` is imported by the app itself, named in settings, or
    found by Django by convention: none is there only for the tests."""
    modules = app_modules()
    used: set[str] = set()
    for path in modules.values():
        used |= imported_names(path)
    named = settings_strings()
    unused = [
        name
        for name, path in modules.items()
        if name not in used
        and not is_entry_point(name, path)
        and not any(s == name or s.startswith(f"{name}.") for s in named)
    ]
    assert unused == []
