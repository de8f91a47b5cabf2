"""A live run of one design revision under one scenario, and its recording."""

from __future__ import annotations

import json
import uuid
import zlib
from bisect import bisect_right
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from sandbox.live.series import SERIES_COLUMNS, Series, series_from_frames
from sandbox.live.ticks import Tick
from sandbox.live.wire import FrameCodec, decode

__all__ = ["SERIES_COLUMNS", "Run", "RunChunk", "RunStatus"]


class RunStatus(models.TextChoices):
    STARTING = "starting", "Starting"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"
    STOPPED = "stopped", "Stopped"


ACTIVE_STATUSES = (RunStatus.STARTING, RunStatus.RUNNING, RunStatus.PAUSED)
# The reason of a run marked failed because its runner went silent (sandbox/live/lease.py).
RUNNER_STOPPED = "its runner stopped"


class RunQuerySet(models.QuerySet["Run"]):
    def active(self) -> RunQuerySet:
        """Runs that still hold a runner: active status and a recent heartbeat.

        A run whose process died without saying so stops counting after
        `LIVE_STALE_S` seconds, so it cannot block its owner's run limit forever.
        """
        cutoff = timezone.now() - timedelta(seconds=settings.LIVE_STALE_S)
        return self.filter(status__in=ACTIVE_STATUSES, heartbeat_at__gte=cutoff)


class Run(models.Model):
    # A random id makes the run link unguessable, like a share link.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    revision = models.ForeignKey("sandbox.Revision", on_delete=models.CASCADE, related_name="runs")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="runs"
    )
    # The share link the owner's access to the design rested on when they started the run
    # (none for the design's owner or a public design): revoking it stops the run.
    share_link = models.ForeignKey(
        "sandbox.ShareLink",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
    )
    scenario_name = models.CharField(max_length=120)
    scenario = models.JSONField(null=True, blank=True)
    seed = models.PositiveIntegerField(default=0)
    # Simulated seconds per real second; 0 means as fast as the engine goes.
    speed = models.FloatField(default=1.0)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default="starting")
    failure_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    ticks = models.PositiveIntegerField(default=0)
    # The engine's report at the end (the CLI JSON object: summary, components, checks, ...).
    report = models.JSONField(null=True, blank=True)
    # Global metrics per tick, column-wise: {"t": [...], "throughput_rps": [...], ...}.
    series = models.JSONField(default=dict, blank=True)
    events = models.JSONField(default=list, blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "status"])]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.revision}"

    def get_absolute_url(self) -> str:
        return reverse("live:run_detail", args=[self.pk])

    @property
    def group_name(self) -> str:
        """The channel-layer group its frames go to."""
        return f"run.{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_lost(self) -> bool:
        """Active, but its runner has been silent too long: its process is gone."""
        cutoff = timezone.now() - timedelta(seconds=settings.LIVE_STALE_S)
        return self.is_active and self.heartbeat_at < cutoff

    @property
    def is_live(self) -> bool:
        return self.is_active and not self.is_lost

    @property
    def shown_status(self) -> str:
        """The status for people: a lost run (not swept yet) says so."""
        return f"failed: {RUNNER_STOPPED}" if self.is_lost else self.get_status_display().lower()

    def summary(self) -> dict[str, Any] | None:
        return (self.report or {}).get("summary")

    def codec(self) -> FrameCodec:
        return FrameCodec(self.revision.document)

    def _chunks_from(self, since: int) -> models.QuerySet[RunChunk]:
        """The chunks that may hold ticks after `since`, in tick order."""
        start = (
            self.chunks.filter(first_tick__lte=max(0, since + 1))
            .order_by("-first_tick")
            .values_list("first_tick", flat=True)
            .first()
        )
        return self.chunks.filter(first_tick__gte=start or 0).order_by("first_tick")

    def iter_wire_frames(self, since: int = -1, upto: int | None = None) -> Iterator[dict]:
        """The recorded frames with ticks after `since` (to `upto`), in the socket's
        compact form, read one chunk at a time."""
        codec = None
        chunks = self._chunks_from(since).defer("series_data")
        if upto is not None:
            chunks = chunks.filter(first_tick__lte=max(0, upto))
        for chunk in chunks.iterator(chunk_size=4):
            if chunk.frames_data is None:  # recorded before frames were compact
                codec = codec or self.codec()
                frames = [codec.encode(f) for f in chunk.frames]
            else:
                frames = unpack(chunk.frames_data)
            for frame in frames:
                if frame["tick"] > since and (upto is None or frame["tick"] <= upto):
                    yield frame

    def iter_recorded_frames(self, since: int = -1) -> Iterator[dict[str, Any]]:
        """`iter_wire_frames` in the engine's full form (numbers as the socket has them)."""
        codec = self.codec()
        for frame in self.iter_wire_frames(since):
            yield decode(codec, frame)

    def recorded_frames(self, since: int = -1) -> list[dict[str, Any]]:
        """Every recorded frame with a tick above `since`, in tick order (full form)."""
        return list(self.iter_recorded_frames(since))

    def recorded_frames_between(self, first: int, last: int) -> list[dict[str, Any]]:
        """The recorded frames with ticks from `first` to `last`, compact form."""
        return list(self.iter_wire_frames(first - 1, last))

    def newest_wire_frame(self) -> dict[str, Any] | None:
        """The last recorded frame (compact form), reading only the last chunks."""
        for chunk in self.chunks.order_by("-first_tick").defer("series_data")[:2]:
            if chunk.frames_data is not None:
                frames = unpack(chunk.frames_data)
            else:
                frames = [self.codec().encode(f) for f in chunk.frames]
            if frames:
                return frames[-1]
        return None

    def iter_series(self, since: int = -1) -> Iterator[dict[str, list[Any]]]:
        """The charts' numbers after `since`, one chunk's columns at a time (with a
        `tick` column)."""
        tick_s = float((self.scenario or {}).get("tick_s") or 1.0)
        legacy = self.series or {}
        if legacy.get("t") and self.ticks == len(legacy["t"]):
            yield _after({"tick": [round(t / tick_s) for t in legacy["t"]], **legacy}, since)
            return
        chunks = self._chunks_from(since).defer("frames_data")
        for chunk in chunks.iterator(chunk_size=64):
            if chunk.series_data is not None:
                columns = unpack(chunk.series_data)
            else:
                columns = {"tick": [f["tick"] for f in chunk.frames]}
                columns.update(series_from_frames(chunk.frames))
            yield _after(columns, since)

    def recorded_series(self, since: int = -1, at_most: int | None = None) -> dict[str, list]:
        """The charts' numbers after `since` as columns (the newest `at_most` ticks)."""
        out: dict[str, list[Any]] = {"tick": [], **{c: [] for c in SERIES_COLUMNS}}
        if at_most is not None:
            since = max(since, self.ticks - 1 - at_most)
        for columns in self.iter_series(since):
            for name, values in out.items():
                values.extend(columns.get(name) or [None] * len(columns["tick"]))
        if at_most is not None and len(out["tick"]) > at_most:
            out = {name: values[-at_most:] for name, values in out.items()}
        return out


def _after(columns: dict[str, list[Any]], since: int) -> dict[str, list[Any]]:
    ticks = columns["tick"]
    start = bisect_right(ticks, since)
    if start == 0:
        return columns
    return {name: values[start:] for name, values in columns.items()}


def pack(text: str) -> bytes:
    return zlib.compress(text.encode(), 6)


def unpack(data: bytes | memoryview) -> Any:
    return json.loads(zlib.decompress(bytes(data)))


class RunChunk(models.Model):
    """Consecutive ticks of a run, appended as the run goes (for replay and export).

    Two zlib-compressed JSON blobs: `series_data`, the charts' numbers of every tick
    (columns `tick`, `t` and the global metrics), and `frames_data`, the frames in the
    socket's compact form, of every tick or of every few ticks for big designs
    (`RunSession.keeps_frame`). Runs recorded before kept full frames in `frames`.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="chunks")
    first_tick = models.PositiveIntegerField()
    frames = models.JSONField(default=list, blank=True)
    series_data = models.BinaryField(null=True, blank=True)
    frames_data = models.BinaryField(null=True, blank=True)

    class Meta:
        ordering = ["run", "first_tick"]
        constraints = [
            models.UniqueConstraint(fields=["run", "first_tick"], name="unique_chunk_start")
        ]

    def __str__(self) -> str:
        return f"{self.run} from tick {self.first_tick}"

    @property
    def nbytes(self) -> int:
        return len(self.series_data or b"") + len(self.frames_data or b"")

    @classmethod
    def build(cls, run_id: Any, ticks: list[Tick], keep: list[bool]) -> RunChunk:
        """A chunk of `ticks` (in order), with the frames of those marked in `keep`."""
        series = Series()
        for tick in ticks:
            series.append(tick.tick, tick.t, tick.numbers)
        columns = series.rows_after(-1)
        frames = ",".join(t.wire for t, kept in zip(ticks, keep, strict=True) if kept)
        return cls(
            run_id=run_id,
            first_tick=ticks[0].tick,
            series_data=pack(json.dumps(columns, separators=(",", ":"))),
            frames_data=pack(f"[{frames}]"),
        )
