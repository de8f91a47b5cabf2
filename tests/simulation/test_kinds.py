"""Component kinds carry their own tick behaviour; the engine stays generic."""

from __future__ import annotations

from pathlib import Path

import pytest

import simulation
from simulation import Engine
from simulation.components import KINDS
from simulation.components.base import READ
from simulation.components.cache import Cache

from .designs import web_stack

PACKAGE = Path(simulation.__file__).parent
ENGINE_MODULES = ("engine.py", "controls.py", "clusters.py")


@pytest.mark.parametrize("module", ENGINE_MODULES)
def test_the_engine_names_no_component_kind(module):
    """The tick machinery asks the kinds' hooks; no kind's name appears in its source."""
    text = (PACKAGE / module).read_text()
    named = [kind for kind in KINDS if f'"{kind}"' in text or f"'{kind}'" in text]
    assert named == []


class AlwaysHit(Cache):
    def answered(self, engine: Engine, i: int, p: dict, k: int) -> float:
        return 1.0 if k == READ else 0.0


def test_a_kinds_answered_hook_decides_what_completes_there(monkeypatch):
    """A cache whose hook answers every read sends none on to the database."""
    before = Engine(web_stack()).step()
    monkeypatch.setitem(KINDS, "cache", AlwaysHit)
    after = Engine(web_stack()).step()
    assert before.links[4] == ("cache", "db", pytest.approx(56.0))
    assert after.links[4] == ("cache", "db", 0.0)
    assert after.nodes["db-r1"].offered == 0.0
    assert after.nodes["db"].offered == before.nodes["db"].offered  # writes still arrive
    assert after.nodes["cache"].served == before.nodes["cache"].served
