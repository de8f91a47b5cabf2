"""The editor refuses on the spot exactly the links the engine refuses on save."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from simulation import catalog, link_problem

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import { normalizeCatalog, linkRefusal } from "./static/src/editor/catalog.js";
const raw = JSON.parse(process.argv[1]);
const cat = normalizeCatalog(raw);
const out = {};
for (const a of cat.kinds.keys()) for (const b of cat.kinds.keys()) {
  out[`${a} ${b}`] = linkRefusal(cat, a, b);
}
console.log(JSON.stringify(out));
"""


def test_every_pair_of_kinds_gets_the_same_verdict_as_the_engine() -> None:
    raw = catalog()
    result = subprocess.run(
        ["node", "--input-type=module", "-e", SCRIPT, json.dumps(raw)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    verdicts = json.loads(result.stdout)
    kinds = list(raw["kinds"])
    assert len(verdicts) == len(kinds) ** 2
    for a in kinds:
        for b in kinds:
            engine = link_problem(a, b)
            editor = verdicts[f"{a} {b}"]
            assert (engine is None) == (editor is None), (a, b, engine, editor)
            if engine is None:
                continue
            if "datacenter" in (a, b):
                # On the canvas the advice is to drag components in, not to edit a field.
                assert editor.startswith("a datacenter is a group, not a node"), editor
            else:
                # The engine's sentence, with kinds in words ("web server" for web_server).
                assert editor.replace(" ", "_") == engine.replace(" ", "_"), (a, b)
