"""Import boundaries inside the project (docs/architecture.md, "Who may import whom").

A module uses another module's public names only, never its underscore names (STYLE.md);
a kind module (``simulation/components/*``) reaches the run only through its hooks'
``state`` argument: it never imports the engine or the run's parts at run time, and
never touches another object's underscore attributes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import simulation

PACKAGE = Path(simulation.__file__).parent
ROOT = PACKAGE.parent
APP_PACKAGES = (PACKAGE, ROOT / "sandbox")
# The run's parts: a kind sees them only through the State its hooks are given (type
# hints may name them under TYPE_CHECKING).
RUN_PARTS = {
    f"simulation.{name}"
    for name in ("engine", "state", "flow", "sources", "routing", "serving", "controls",
                 "clusters", "autoscale", "report", "checks")
}  # fmt: skip


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(
    path: Path, root: Path = ROOT, *, runtime_only: bool = False
) -> list[tuple[str, str]]:
    """(module, name) for every name ``path`` imports, relative imports made absolute;
    name is "" for a whole module (``import simulation.engine``). ``runtime_only``
    leaves out imports under ``if TYPE_CHECKING:`` (type hints only)."""
    package = module_name(path, root)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    tree = ast.parse(path.read_text(), str(path))
    hints_only: set[int] = set()
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                hints_only.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    found = []
    for node in ast.walk(tree):
        if id(node) in hints_only:
            continue
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


def sources(*packages: Path) -> list[Path]:
    return sorted(path for package in packages for path in package.rglob("*.py")
                  if "migrations" not in path.parts)  # fmt: skip


def private_imports(paths: list[Path], root: Path = ROOT) -> set[str]:
    found = set()
    for path in paths:
        for module, name in imported_names(path, root):
            dotted = f"{module}.{name}" if name else module
            if any(is_private(part) for part in dotted.split(".")):
                found.add(f"{path.relative_to(root)}: {dotted}")
    return found


def run_part_imports(paths: list[Path], root: Path = ROOT) -> set[str]:
    found = set()
    for path in paths:
        for module, name in imported_names(path, root, runtime_only=True):
            if module in RUN_PARTS or f"{module}.{name}" in RUN_PARTS:
                found.add(f"{path.relative_to(root)}: {module}")
    return found


def private_attributes(paths: list[Path], root: Path = ROOT) -> set[str]:
    """``x._name`` uses on anything but ``self`` or ``cls`` (another object's private part)."""
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and is_private(node.attr):
                owner = node.value
                if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                    found.add(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)}")
    return found


def kind_modules() -> list[Path]:
    return sorted((PACKAGE / "components").glob("*.py"))


def test_imports_are_resolved_to_absolute_module_names():
    """The scan sees relative imports as the modules they name (else it would miss them)."""
    names = imported_names(PACKAGE / "components" / "message_queue.py")
    assert ("simulation.queueing", "mmc_unchecked") in names
    assert ("simulation.state", "State") in names
    runtime = imported_names(PACKAGE / "components" / "message_queue.py", runtime_only=True)
    assert ("simulation.state", "State") not in runtime  # a type hint only


def test_no_module_imports_an_underscore_name_of_another():
    found = private_imports(sources(*APP_PACKAGES))
    assert not found, (
        f"Imports of another module's private names: {sorted(found)}. Make the name public "
        "in its module (no leading underscore, documented) or move the code that needs it there."
    )


def test_no_kind_module_imports_the_engine_or_the_runs_parts():
    found = run_part_imports(kind_modules())
    assert not found, (
        f"Kind modules importing the run's parts: {sorted(found)}. A kind reaches the run "
        "through the State its hooks get (docs/architecture.md, 'Add a kind')."
    )


def test_no_kind_module_touches_another_objects_private_parts():
    found = private_attributes(kind_modules())
    assert not found, f"Kind modules using private attributes of other objects: {sorted(found)}"


def test_only_the_package_api_imports_the_engine():
    importers = {
        str(path.relative_to(ROOT))
        for path in sources(*APP_PACKAGES)
        for module, name in imported_names(path)
        if module == "simulation.engine" or f"{module}.{name}" == "simulation.engine"
    }
    assert importers == {"simulation/__init__.py"}


@pytest.mark.parametrize(
    ("code", "scan"),
    [
        ("from simulation.queueing import _secret\n", private_imports),
        ("from ..engine import Engine\n", run_part_imports),
        ("from .. import engine\n", run_part_imports),
        ("def hook(state):\n    state._unsettled = True\n", private_attributes),
    ],
)
def test_the_scans_catch_a_planted_breach(tmp_path: Path, code: str, scan) -> None:
    """Each scan finds a breach planted in a throwaway kind module (else it proves nothing)."""
    kind = tmp_path / "simulation" / "components" / "planted.py"
    kind.parent.mkdir(parents=True)
    kind.write_text(code)
    assert scan([kind], tmp_path), f"{scan.__name__} missed: {code!r}"
