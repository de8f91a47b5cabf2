"""Architecture Sandbox simulation engine: design documents in, tick-by-tick numbers out.

Pure Python (standard library and networkx); it never imports Django.
"""

from __future__ import annotations

from .control_table import CONTROLS, EngineControl
from .document import validate_document
from .engine import Engine
from .errors import ControlError, DesignError, Problem
from .examples import Example, get_example, list_examples
from .frame import Frame
from .kind_catalog import catalog, kind_looks, link_problem
from .limits import Limits
from .metric_names import metric_names_json
from .model import compile_design
from .reach import design_warnings
from .scenario import validate_scenario

__all__ = [
    "CONTROLS",
    "ControlError",
    "DesignError",
    "Engine",
    "EngineControl",
    "Example",
    "Frame",
    "Limits",
    "Problem",
    "catalog",
    "compile_design",
    "design_warnings",
    "get_example",
    "kind_looks",
    "link_problem",
    "list_examples",
    "metric_names_json",
    "validate_document",
    "validate_scenario",
]
