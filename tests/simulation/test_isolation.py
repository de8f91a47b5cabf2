"""The simulation package stands alone: no Django anywhere in it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import simulation

PACKAGE = Path(simulation.__file__).parent


def test_no_source_file_mentions_django():
    """No module of simulation/ imports django."""
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*.py"))
        if "import django" in path.read_text() or "from django" in path.read_text()
    ]
    assert offenders == []


def test_importing_everything_loads_no_django():
    """Importing the package and all its modules leaves django out of sys.modules."""
    code = (
        "import pkgutil, importlib, sys, simulation\n"
        "for m in pkgutil.walk_packages(simulation.__path__, 'simulation.'):\n"
        "    if not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n == 'django' or n.startswith('django.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parent,
    )
    assert out.stdout.strip() == "[]"


def test_the_public_api_is_listed_once():
    """Every name in __all__ exists in the package."""
    assert all(hasattr(simulation, name) for name in simulation.__all__)
