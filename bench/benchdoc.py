"""docs/benchmarks.md: each benchmark rewrites its own "## ..." section and leaves the others."""

from __future__ import annotations

from pathlib import Path

INTRO = "# Benchmarks\n\nMeasured speed of the parts of Architecture Sandbox.\n"


def write_section(path: Path, heading: str, body: str) -> None:
    """Put ``body`` under ``heading`` (e.g. "## Engine") in ``path``, replacing what was there."""
    text = path.read_text(encoding="utf-8") if path.exists() else INTRO
    section = f"{heading}\n\n{body.strip()}\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == heading), None)
    if start is None:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        after = "".join(lines[end:])
        text = "".join(lines[:start]) + section + ("\n" + after if after else "")
    path.write_text(text, encoding="utf-8")
