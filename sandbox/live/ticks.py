"""One tick of a run as the web side needs it: already encoded, nothing to compute.

No Django here: the engine processes (`enginehost.py`) make these, and the event
loop only moves them on. A 2,000-component frame is about 4 MB as Python objects
and 95 kB as the socket's compact text, so only the text leaves the engine.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.live.wire import FrameCodec
from simulation import Engine


@dataclass(slots=True)
class Tick:
    """A frame's tick, time, global metrics and events, and its socket text (`wire`)."""

    tick: int
    t: float
    numbers: dict[str, Any]
    events: list[dict[str, Any]]
    finished: bool
    wire: str
    # CPU seconds the engine spent on this tick (step and encoding).
    cpu_s: float = 0.0
    frame: dict[str, Any] | None = field(default=None, repr=False)


def advance(engine: Engine, codec: FrameCodec, *, keep_frame: bool = False) -> Tick:
    """Step `engine` once and encode its frame; `keep_frame` keeps the full frame too."""
    started = time.process_time()
    frame = engine.step().to_json()
    explained = engine.explain()
    if explained:
        frame["explain"] = explained
    wire = json.dumps(codec.encode(frame), separators=(",", ":"))
    return Tick(
        tick=frame["tick"],
        t=frame["t"],
        numbers=frame.get("global") or {},
        events=frame.get("events") or [],
        finished=engine.finished,
        wire=wire,
        cpu_s=time.process_time() - started,
        frame=frame if keep_frame else None,
    )
