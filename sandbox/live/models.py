"""A live run of one design revision under one scenario, and its recording."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


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

# The global metrics recorded per tick, in the order of the CSV export's columns.
SERIES_COLUMNS = (
    "t",
    "offered_rps",
    "throughput_rps",
    "error_rate",
    "availability",
    "p50_ms",
    "p90_ms",
    "p95_ms",
    "p99_ms",
    "p999_ms",
    "cost_per_hour",
)


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

    def recorded_frames(self, since: int = -1) -> list[dict[str, Any]]:
        """Every recorded frame with a tick above `since`, in tick order."""
        frames: list[dict[str, Any]] = []
        for chunk in self.chunks.order_by("first_tick"):
            frames.extend(f for f in chunk.frames if f["tick"] > since)
        return frames

    def newest_frame(self) -> dict[str, Any] | None:
        """The last recorded frame, reading only the last chunk."""
        chunk = self.chunks.order_by("-first_tick").first()
        return chunk.frames[-1] if chunk is not None and chunk.frames else None

    def recorded_series(self) -> dict[str, list[Any]] | None:
        """The stored per-tick global numbers with a `tick` column, or None if not stored.

        The runner stores them when it finishes or stops (one entry per recorded frame,
        in order), so a viewer of an ended run needs none of its frames for the charts.
        """
        series = self.series or {}
        times = series.get("t") or []
        tick_s = float(self.scenario.get("tick_s") or 1.0)
        if not times or self.ticks != len(times):
            return None
        return {"tick": [round(t / tick_s) for t in times], **series}

    def recorded_frames_between(self, first: int, last: int) -> list[dict[str, Any]]:
        """The recorded frames with ticks from `first` to `last`, reading only their chunks."""
        start = (
            self.chunks.filter(first_tick__lte=max(0, first))
            .order_by("-first_tick")
            .values_list("first_tick", flat=True)
            .first()
        )
        chunks = self.chunks.filter(first_tick__gte=start or 0, first_tick__lte=max(0, last))
        frames: list[dict[str, Any]] = []
        for chunk in chunks.order_by("first_tick"):
            frames.extend(f for f in chunk.frames if first <= f["tick"] <= last)
        return frames


class RunChunk(models.Model):
    """A block of consecutive frames of a run, appended as the run goes (for replay)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="chunks")
    first_tick = models.PositiveIntegerField()
    frames = models.JSONField()

    class Meta:
        ordering = ["run", "first_tick"]
        constraints = [
            models.UniqueConstraint(fields=["run", "first_tick"], name="unique_chunk_start")
        ]

    def __str__(self) -> str:
        return f"{self.run} from tick {self.first_tick}"
