"""Size limits on design documents (the web side builds one from its settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Most components, links and serialised bytes a document may have."""

    max_components: int = 2000
    max_links: int = 10000
    max_bytes: int = 2_000_000
