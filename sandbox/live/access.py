"""Who may watch and control a run: the one home of these rules (designs: `sandbox/access.py`).

- Watch a run (its page, socket, recordings and exports), signed in: the design's owner;
  the run's owner while they may still read the design (the share link they started it
  through still active, or the design public, or another token of it held); anyone
  else who may read the design (public, or holding an active token of it) when the run
  is of the revision they may see (the published one, else the newest).
- Control a run: its owner, while they may watch it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404

from sandbox.access import is_owner
from sandbox.live.models import Run
from sandbox.models import ShareLink


@dataclass(frozen=True)
class RunAccess:
    """What a user may do with a run, and the share links that access rests on (empty
    when it rests on none: the design's owner, a public design)."""

    control: bool
    links: tuple[int, ...] = ()


def share_group(link_pk: int) -> str:
    """The channel-layer group of the sockets opened through a share link."""
    return f"share.{link_pk}"


def run_access(user: Any, run: Run, tokens: Iterable[str] = ()) -> RunAccess | None:
    """What `user`, holding the share `tokens`, may do with `run`; None if nothing."""
    if not user.is_authenticated:
        return None
    design = run.revision.design
    own_run = run.owner_id == user.pk
    if is_owner(user, design):
        return RunAccess(control=own_run)
    if not own_run and run.revision.number != design.shared_number:
        return None
    if design.is_public:
        return RunAccess(control=own_run)
    links = ShareLink.objects.filter(design=design, revoked_at__isnull=True)
    granting = set(links.filter(token__in=list(tokens)).values_list("pk", flat=True))
    if own_run and run.share_link_id is not None and links.filter(pk=run.share_link_id).exists():
        granting.add(run.share_link_id)
    if not granting:
        return None
    return RunAccess(control=own_run, links=tuple(sorted(granting)))


def may_watch_run(user: Any, run: Run, tokens: Iterable[str] = ()) -> bool:
    return run_access(user, run, tokens) is not None


def may_control_run(user: Any, run: Run, tokens: Iterable[str] = ()) -> bool:
    access = run_access(user, run, tokens)
    return access is not None and access.control


def get_watchable_run(user: Any, run_id: Any, tokens: Iterable[str] = ()) -> tuple[Run, RunAccess]:
    """The run and the user's access to it, else 404 (the same answer as for no run)."""
    try:
        run = Run.objects.select_related("revision__design", "owner").get(pk=run_id)
    except (Run.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("no such run") from exc
    access = run_access(user, run, tokens)
    if access is None:
        raise Http404("no such run")
    return run, access
