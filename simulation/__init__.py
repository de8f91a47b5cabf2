"""Architecture Sandbox simulation engine: design documents in, tick-by-tick numbers out.

Pure Python (standard library and networkx); it never imports Django.
"""

from __future__ import annotations

from .catalog import catalog, link_problem
from .document import validate_document
from .errors import ControlError, DesignError, Problem
from .limits import Limits
from .scenario import validate_scenario

__all__ = [
    "ControlError",
    "DesignError",
    "Limits",
    "Problem",
    "catalog",
    "link_problem",
    "validate_document",
    "validate_scenario",
]
