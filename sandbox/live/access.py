"""Who may start, watch and steer runs."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404

from sandbox.live.models import Run
from sandbox.models import Design


def can_read_design(user: Any, design: Design) -> bool:
    """The owner, anyone for a public design, anyone while a share link is active."""
    if user.is_authenticated and design.owner_id == user.pk:
        return True
    return design.is_public or design.active_share_link() is not None


def can_watch(user: Any, run: Run) -> bool:
    """Signed-in viewers who own the run or may read its design."""
    if not user.is_authenticated:
        return False
    if run.owner_id == user.pk:
        return True
    return can_read_design(user, run.revision.design)


def get_run_for_viewer(user: Any, run_id: Any) -> Run:
    """The run if `user` may watch it, else 404 (the same answer as for no run at all)."""
    try:
        run = Run.objects.select_related("revision__design", "owner").get(pk=run_id)
    except (Run.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("no such run") from exc
    if not can_watch(user, run):
        raise Http404("no such run")
    return run
