"""The request classes, once: what a client emits, and the background work queues carry."""

from __future__ import annotations

# Request classes a client emits, in their index order in the engine's per-class lists.
CLASSES: tuple[str, ...] = ("read", "write", "static", "job")
# The work workers take from queues (a job once queued).
BACKGROUND = "background"
ALL_CLASSES: tuple[str, ...] = (*CLASSES, BACKGROUND)
