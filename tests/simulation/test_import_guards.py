"""Import boundaries inside simulation/, held where they are today and tightened from here.

Two rules (STYLE.md): a module uses another module's public names only, never its
underscore names; and a kind module (``simulation/components/*``) never imports the
engine module. Each allow-list below holds exactly today's breaches, so any new one
fails, and one that is fixed must leave its list too: the engine restructure (issue 12)
empties both.
"""

from __future__ import annotations

import ast
from pathlib import Path

import simulation

PACKAGE = Path(simulation.__file__).parent
ENGINE = "simulation.engine"

# "<file under simulation/>: <module>.<underscore name it imports>"
PRIVATE_IMPORTS_ALLOWED = {
    "components/message_queue.py: simulation.queueing._mmc",
    "latency.py: simulation.queueing._gamma_pq",
    "metrics.py: simulation.latency._mixture_cdf",
    "metrics.py: simulation.queueing._mmc",
    "metrics.py: simulation.queueing._mmck",
}

# Kind modules that import simulation.engine today (for type hints only, under TYPE_CHECKING).
ENGINE_IMPORTS_ALLOWED = {
    "components/base.py",
    "components/cache.py",
    "components/cdn.py",
    "components/database.py",
    "components/dns.py",
    "components/load_balancer.py",
    "components/message_queue.py",
    "components/shard_router.py",
    "components/web_server.py",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every name ``path`` imports, relative imports made absolute;
    name is "" for a whole module (``import simulation.engine``)."""
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            found += [(module, alias.name) for alias in node.names]
    return found


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.endswith("__")


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def private_imports() -> set[str]:
    found = set()
    for path in sources():
        for module, name in imported_names(path):
            dotted = f"{module}.{name}" if name else module
            if any(is_private(part) for part in dotted.split(".")):
                found.add(f"{path.relative_to(PACKAGE)}: {dotted}")
    return found


def engine_imports() -> set[str]:
    found = set()
    for path in sorted((PACKAGE / "components").glob("*.py")):
        for module, name in imported_names(path):
            dotted = f"{module}.{name}" if name else module
            if dotted == ENGINE or dotted.startswith(ENGINE + ".") or module == ENGINE:
                found.add(str(path.relative_to(PACKAGE)))
    return found


def test_imports_are_resolved_to_absolute_module_names():
    """The scan sees relative imports as the modules they name (else it would miss them)."""
    names = imported_names(PACKAGE / "components" / "message_queue.py")
    assert ("simulation.queueing", "_mmc") in names
    assert ("simulation.engine", "Engine") in names


def test_no_module_imports_a_new_underscore_name_of_another():
    new = private_imports() - PRIVATE_IMPORTS_ALLOWED
    assert not new, (
        f"New imports of another module's private names: {sorted(new)}. Make the name public "
        "in its module (no leading underscore, documented) or move the code that needs it there."
    )


def test_the_private_import_allow_list_holds_only_todays_breaches():
    fixed = PRIVATE_IMPORTS_ALLOWED - private_imports()
    assert not fixed, (
        f"These private imports are gone: {sorted(fixed)}. "
        "Remove them from PRIVATE_IMPORTS_ALLOWED so they cannot come back."
    )


def test_no_new_kind_module_imports_the_engine():
    new = engine_imports() - ENGINE_IMPORTS_ALLOWED
    assert not new, (
        f"Kind modules that now import {ENGINE}: {sorted(new)}. A kind never depends on the "
        "engine module (STYLE.md): take what it needs from its hooks' arguments or from a "
        "public interface defined outside engine.py."
    )


def test_the_engine_import_allow_list_holds_only_todays_breaches():
    fixed = ENGINE_IMPORTS_ALLOWED - engine_imports()
    assert not fixed, (
        f"These kind modules no longer import {ENGINE}: {sorted(fixed)}. "
        "Remove them from ENGINE_IMPORTS_ALLOWED so they cannot come back."
    )
