"""Designs with their full revision history, share links and the built-in templates."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone


class StaleRevisionError(Exception):
    """A save was based on a revision that is no longer the newest one."""

    def __init__(self, current_revision: int) -> None:
        super().__init__(f"the design is at revision {current_revision}")
        self.current_revision = current_revision


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

    def active_share_link(self) -> ShareLink | None:
        return self.share_links.filter(revoked_at__isnull=True).first()


class Revision(models.Model):
    design = models.ForeignKey(Design, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

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
