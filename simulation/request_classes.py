"""The request classes: the one home of their names and numbers."""

from __future__ import annotations

# Request classes a client emits, plus the background work workers take from queues.
CLASSES: tuple[str, ...] = ("read", "write", "static", "job")
BACKGROUND = "background"
ALL_CLASSES: tuple[str, ...] = (*CLASSES, BACKGROUND)
# Each class's number: its index in ALL_CLASSES and in the engine's per-class lists.
NCLASS = len(ALL_CLASSES)
READ, WRITE, STATIC, JOB, BACKGROUND_K = range(NCLASS)
SYNC = len(CLASSES)  # classes 0..SYNC-1 are user requests, answered to a waiting user
