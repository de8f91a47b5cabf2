"""Designs with their full revision history, share links and the built-in templates."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

# Autosaves of one author that follow each other with less than this between them are
# one editing burst: the burst keeps one revision, rewritten with its newest document,
# instead of a revision every few seconds of editing (the editor autosaves after 2.5 s idle).
AUTOSAVE_BURST = timedelta(minutes=2)


class StaleRevisionError(Exception):
    """A save was based on a revision that is no longer the newest one, or on an older
    state of it (an autosave burst rewrote it since: `current_saves` tells how often)."""

    def __init__(self, current_revision: int, current_saves: int | None = None) -> None:
        super().__init__(f"the design is at revision {current_revision}")
        self.current_revision = current_revision
        self.current_saves = current_saves


@dataclass(frozen=True)
class SaveOutcome:
    """What a save did: `created` a revision, `updated` the burst's revision, or nothing
    (`unchanged`: the document equals the newest revision's)."""

    revision: Revision
    action: str  # "created", "updated" or "unchanged"

    @property
    def changed(self) -> bool:
        return self.action != "unchanged"


class DesignLimitError(Exception):
    """The user already owns as many designs as the settings allow."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"you already have {limit} designs, the most allowed; delete one to make room"
        )
        self.limit = limit


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private"
    PUBLIC = "public", "Public (listed in the gallery)"


class DesignQuerySet(models.QuerySet["Design"]):
    def owned_by(self, user: Any) -> DesignQuerySet:
        return self.filter(owner=user)

    def public(self) -> DesignQuerySet:
        return self.filter(visibility=Visibility.PUBLIC)


class Design(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="designs"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    # The newest revision's number, kept on the row so that a save can check its base
    # revision under a row lock without scanning the history.
    head = models.PositiveIntegerField(default=0)
    # The revision others than the owner see (public and share-link readers); none: the
    # newest. Older revisions stay the owner's.
    published_revision = models.PositiveIntegerField(null=True, blank=True)
    forked_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="forks"
    )
    template_slug = models.SlugField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = DesignQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["owner", "-updated_at"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("design_detail", args=[self.pk])

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC

    def latest_revision(self) -> Revision | None:
        return self.revisions.order_by("-number").first()

    @property
    def shared_number(self) -> int:
        """The number of the revision others than the owner see."""
        return self.published_revision or self.head

    @classmethod
    def check_limit(cls, owner: Any) -> None:
        limit = settings.SANDBOX_MAX_DESIGNS_PER_USER
        if cls.objects.owned_by(owner).count() >= limit:
            raise DesignLimitError(limit)

    @classmethod
    def create_with_document(
        cls,
        *,
        owner: Any,
        name: str,
        document: dict[str, Any],
        message: str,
        description: str = "",
        forked_from: Design | None = None,
        template_slug: str = "",
    ) -> Design:
        """Create a design and its first revision; the document must be validated already."""
        with transaction.atomic():
            cls.check_limit(owner)
            design = cls.objects.create(
                owner=owner,
                name=name,
                description=description,
                forked_from=forked_from,
                template_slug=template_slug,
            )
            design.add_revision(
                document, author=owner, message=message, base_revision=0, lock=False
            )
        return design

    def add_revision(
        self,
        document: dict[str, Any],
        *,
        author: Any,
        message: str = "",
        base_revision: int | None = None,
        lock: bool = True,
        autosave: bool = False,
    ) -> Revision:
        """Store `document` as the next revision.

        With `base_revision`, refuse (StaleRevisionError) unless it is still the newest
        revision, so that two editors never overwrite each other. The document must be
        validated already.
        """
        try:
            with transaction.atomic():
                if lock:
                    current = Design.objects.select_for_update().only("head").get(pk=self.pk)
                    self.head = current.head
                if base_revision is not None and base_revision != self.head:
                    raise StaleRevisionError(self.head)
                revision = Revision.objects.create(
                    design=self,
                    number=self.head + 1,
                    document=document,
                    author=author,
                    message=message[:200],
                    autosave=autosave,
                )
                self.head = revision.number
                self.updated_at = timezone.now()
                self.save(update_fields=["head", "updated_at"])
        except IntegrityError:
            # A concurrent save took this number first (SQLite has no row locks): the
            # unique (design, number) constraint refuses the second one as stale.
            newest = self.revisions.aggregate(newest=Max("number"))["newest"] or 0
            self.head = newest
            raise StaleRevisionError(newest) from None
        return revision

    def save_document(
        self,
        document: dict[str, Any],
        *,
        author: Any,
        base_revision: int,
        base_saves: int | None = None,
        message: str = "",
        autosave: bool = False,
    ) -> SaveOutcome:
        """Save the editor's document on top of `base_revision` (the document must be
        validated already).

        Refused (StaleRevisionError) unless `base_revision` is the newest revision and,
        when given, `base_saves` its current number of saves. A document equal to the
        newest revision's makes no revision; an explicit save of it ends an autosave burst
        (and names the burst's revision with `message`). An autosave that continues a burst
        rewrites the burst's revision; any other save makes a new revision.
        """
        with transaction.atomic():
            current = Design.objects.select_for_update().only("head").get(pk=self.pk)
            self.head = current.head
            head = self.revisions.filter(number=self.head).first()
            head_saves = head.saves if head else None
            if base_revision != self.head or (
                base_saves is not None and head and base_saves != head.saves
            ):
                raise StaleRevisionError(self.head, head_saves)
            if head and head.document == document:
                if not autosave and head.autosave:
                    head.autosave = False
                    head.message = head.message or message[:200]
                    head.save(update_fields=["autosave", "message"])
                return SaveOutcome(head, "unchanged")
            if autosave and head and self._continues_burst(head, author):
                saved_at = timezone.now()
                # Only the state this save was checked against is rewritten, even where
                # the row lock above is no lock at all.
                rewritten = Revision.objects.filter(pk=head.pk, saves=head.saves).update(
                    document=document, saves=head.saves + 1, saved_at=saved_at
                )
                if not rewritten:
                    head.refresh_from_db(fields=["saves"])
                    raise StaleRevisionError(self.head, head.saves)
                head.document, head.saves, head.saved_at = document, head.saves + 1, saved_at
                self.updated_at = saved_at
                self.save(update_fields=["updated_at"])
                return SaveOutcome(head, "updated")
            revision = self.add_revision(
                document,
                author=author,
                message=message,
                base_revision=base_revision,
                lock=False,
                autosave=autosave,
            )
        return SaveOutcome(revision, "created")

    def _continues_burst(self, head: Revision, author: Any) -> bool:
        """May an autosave by `author` rewrite `head` in place? Only the same author's
        autosave within the burst window, and never a revision something else holds on
        to: the published one (others read it) or one a run ran (its recording replays it).
        """
        return (
            head.autosave
            and head.author_id == getattr(author, "pk", None)
            and timezone.now() - head.saved_at < AUTOSAVE_BURST
            and head.number != self.published_revision
            and not _used_by_a_run(head)
        )

    def active_share_link(self) -> ShareLink | None:
        return self.share_links.filter(revoked_at__isnull=True).first()


def _used_by_a_run(revision: Revision) -> bool:
    runs = getattr(revision, "runs", None)  # the live app's runs, when it is installed
    return runs is not None and runs.exists()


class Revision(models.Model):
    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # An autosave burst rewrites its revision: `autosave` marks a revision a burst may
    # still rewrite, `saves` counts the saves its document holds (a base for optimistic
    # concurrency beside the number), `saved_at` is the last of them.
    autosave = models.BooleanField(default=False)
    saves = models.PositiveIntegerField(default=1)
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["design", "number"], name="unique_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.design} r{self.number}"


# Sent with `link` once a share link is revoked, so that what was opened through it closes
# (the live app closes its sockets and stops its runs).
share_link_revoked = Signal()


def new_share_token() -> str:
    return secrets.token_urlsafe(24)


class ShareLink(models.Model):
    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="share_links")
    token = models.CharField(max_length=64, unique=True, default=new_share_token)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"share link for {self.design}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def get_absolute_url(self) -> str:
        return reverse("shared_design", args=[self.token])

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
        share_link_revoked.send(sender=ShareLink, link=self)


class Template(models.Model):
    """A built-in example of the engine, copied in by `manage.py load_templates`."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    lesson = models.TextField(blank=True)
    document = models.JSONField()
    scenario = models.JSONField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title
