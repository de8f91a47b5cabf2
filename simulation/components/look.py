"""How a kind is drawn in the browser: its shape, colour and readable id prefix.

The catalog carries each kind's look, so the editor and the live page draw a new
kind without a JavaScript edit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Look:
    """A kind's look: a Cytoscape node ``shape``, a CSS ``color`` and an ``id_prefix``.

    New components get ids ``<id_prefix>-<n>`` (``web-2``); an empty prefix means the
    kind's name with dashes (``cdn-1``).
    """

    shape: str
    color: str
    id_prefix: str = ""

    def to_json(self, kind: str) -> dict[str, str]:
        return {
            "shape": self.shape,
            "color": self.color,
            "id_prefix": self.id_prefix or kind.replace("_", "-"),
        }


# A kind that declares no look of its own.
PLAIN = Look("round-rectangle", "#475569")
