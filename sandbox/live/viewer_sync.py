"""What one viewer of a live run has seen, and what it should be sent next.

No socket, no channel layer, no database: the consumer (`consumers.py`) feeds
each runner message to a `ViewerSync` and sends what it returns, in order.

The rules: until the viewer is greeted (`hello`, from the runner's `run.sync`
or from the recording in the database), what the runner sends is held, then
replayed after the greeting. A frame at or before the viewer's last tick is
dropped (the greeting or an earlier frame had it); an event already counted by
the greeting is dropped. Frames go out at most `max_fps` a second: a slow viewer
gets the newest frame, never a backlog; events are never dropped. The end is
said once, after the last held frame, and closes the socket.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FlushLater:
    """Send the held frame (`ViewerSync.flush_due`) after this many seconds."""

    seconds: float


@dataclass(frozen=True)
class Close:
    """Close the socket with this code."""

    code: int


# What the consumer sends, in order: a message (sent as compact JSON), a frame's text
# (already encoded by the runner, once for every viewer), or one of the two orders above.
Out = dict[str, Any] | str | FlushLater | Close


@dataclass(frozen=True)
class HelloLimits:
    """The server's limits a `hello` tells the page (see the `LIVE_*` settings)."""

    max_speed: float
    allow_max: bool
    max_fps: int


def _no_error(ended: dict[str, Any]) -> dict[str, Any] | None:
    return None


class ViewerSync:
    """One viewer's sync state: greeted yet, what it holds, its last tick and event.

    `viewing` is what the viewer may know about the run (`_load_viewing` in
    `consumers.py`); `since` is the last tick it already has (-1 for none).
    `unanswered(ended)` is the error for a control the runner never answered, said
    just before the end; `clock` is in seconds.
    """

    def __init__(
        self,
        viewing: dict[str, Any],
        *,
        since: int,
        limits: HelloLimits,
        unanswered: Callable[[dict[str, Any]], dict[str, Any] | None] = _no_error,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.viewing = viewing
        self.limits = limits
        self.unanswered = unanswered
        self.clock = clock
        self.min_interval = 1.0 / limits.max_fps
        self.syncing = True
        self.held: list[dict[str, Any]] = []
        self.last_tick = since
        # How many of the run's events this viewer has had (the `hello` counts them).
        self.events_seen = 0
        self.pending_frame: str | None = None
        self.last_sent_at = 0.0
        self.flush_scheduled = False
        self.ended = False
        self._replayed = {
            "run.frame": self.frame,
            "run.event": self.event,
            "run.status": self.status,
            "run.ended": self.end,
        }

    # -- the greeting ------------------------------------------------------------

    def synced(self, message: dict[str, Any]) -> list[Out]:
        """The runner's `run.sync` answer: greet the viewer, then replay what was held.
        A second answer (the viewer asked again while the runner started) is ignored."""
        if not self.syncing:
            return []
        self.events_seen = message["event_count"]
        out: list[Out] = [
            self._hello(message["series"], message["frame"], message["events"], message["state"])
        ]
        self.syncing = False
        return out + self._replay()

    def recorded(self, recording: dict[str, Any]) -> list[Out]:
        """Greet the viewer from the run's recording (no runner answered, or the run is
        over); a run no longer live ends here."""
        state = {"status": recording["status"], "reason": recording["reason"]}
        self.events_seen = recording["event_count"]
        out: list[Out] = [
            self._hello(recording["series"], recording["frame"], recording["events"], state)
        ]
        self.syncing = False
        if not recording["active"]:
            ended = {
                "status": recording["status"],
                "reason": recording["reason"],
                "summary": recording["summary"],
                "bottlenecks": recording["bottlenecks"],
                "checks": recording["checks"],
                "warmup_cut_short": recording["warmup_cut_short"],
                "summary_note": recording["summary_note"],
                "tick": self.last_tick,
            }
            return out + self.end(ended)
        return out + self._replay()

    # -- from the runner ---------------------------------------------------------

    def frame(self, message: dict[str, Any]) -> list[Out]:
        """A tick: its new events now, its frame now or once the viewer may have one."""
        if self.syncing:
            self.held.append(message)
            return []
        if message["tick"] <= self.last_tick:
            return []
        self.last_tick = message["tick"]
        out: list[Out] = [{"type": "event", "event": event} for event in message["events"]]
        self.pending_frame = message["text"]
        wait = self.last_sent_at + self.min_interval - self.clock()
        if wait <= 0:
            out += self._flush()
        elif not self.flush_scheduled:
            self.flush_scheduled = True
            out.append(FlushLater(wait))
        return out

    def flush_due(self) -> list[Out]:
        """The time of a `FlushLater` has come: the newest held frame, if any."""
        self.flush_scheduled = False
        return self._flush()

    def event(self, message: dict[str, Any]) -> list[Out]:
        """A control's event, sent as it was applied (the run may be paused)."""
        if self.syncing:
            self.held.append(message)
            return []
        if message["seq"] < self.events_seen:
            return []  # the `hello` had it already
        self.events_seen = message["seq"] + 1
        return [{"type": "event", "event": message["event"]}]

    def status(self, message: dict[str, Any]) -> list[Out]:
        if self.syncing:
            self.held.append(message)
            return []
        return [
            {
                "type": "status",
                "status": message["status"],
                "reason": message["reason"],
                "speed": message["speed"],
                "tick": message["tick"],
            }
        ]

    def end(self, message: dict[str, Any]) -> list[Out]:
        """The run is over: the last frame, `ended`, and the socket closes (once, though
        both the runner and a sweep may say so)."""
        if self.syncing:
            self.held.append(message)
            return []
        if self.ended:
            return []
        self.ended = True
        out: list[Out] = []
        error = self.unanswered(message)
        if error is not None:
            out.append(error)
        out += self._flush()
        out.append(
            {
                "type": "ended",
                "status": message["status"],
                "reason": message["reason"],
                "summary": message["summary"],
                "bottlenecks": message.get("bottlenecks", []),
                "checks": message["checks"],
                # A runner of the version before these keys may still be ending runs.
                "warmup_cut_short": message.get("warmup_cut_short", False),
                "summary_note": message.get("summary_note"),
                "tick": message["tick"],
            }
        )
        out.append(Close(1000))
        return out

    # -- helpers -----------------------------------------------------------------

    def _replay(self) -> list[Out]:
        out: list[Out] = []
        for held in self.held:
            out += self._replayed[held["type"]](held)
        self.held = []
        return out

    def _flush(self) -> list[Out]:
        if self.pending_frame is None:
            return []
        text, self.pending_frame = self.pending_frame, None
        self.last_sent_at = self.clock()
        return [text]

    def _hello(
        self,
        series: dict[str, list[Any]],
        frame: dict[str, Any] | None,
        events: list[dict[str, Any]],
        state: dict[str, Any],
    ) -> dict[str, Any]:
        """The greeting: the run, the newest ticks of the charts after `since`, the
        newest frame, and the newest events. The design comes from `design.json`, older
        charts from `series.json` and frames to scrub the timeline from `replay.json`,
        so the greeting grows neither with the design nor with the run."""
        viewing = self.viewing
        if series["tick"]:
            self.last_tick = max(self.last_tick, series["tick"][-1])
        hello: dict[str, Any] = {
            "type": "hello",
            "run": {
                "id": viewing["id"],
                "owner": viewing["owner"],
                "is_owner": viewing["is_owner"],
                "design_name": viewing["design_name"],
                "scenario_name": viewing["scenario_name"],
                "scenario": viewing["scenario"],
                "seed": viewing["seed"],
                "status": state["status"],
                "reason": state.get("reason", ""),
                "speed": state.get("speed", viewing["speed"]),
                "tick": self.last_tick,
            },
            "limits": {
                "max_speed": self.limits.max_speed,
                "allow_max": self.limits.allow_max,
                "max_fps": self.limits.max_fps,
            },
        }
        hello.update(series=series, frame=frame, events=events)
        return hello
