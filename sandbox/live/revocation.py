"""What revoking a share link closes: the sockets opened through it and the runs started
through it (DESIGN.md: "revoking also closes what was opened through it")."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from sandbox.live.access import share_group
from sandbox.live.models import ACTIVE_STATUSES, Run, RunStatus
from sandbox.live.runner import runner_group
from sandbox.models import ShareLink

log = logging.getLogger(__name__)

REVOKED_REASON = "stopped: the share link was revoked"


def close_what_the_link_opened(sender: Any, link: ShareLink, **kwargs: Any) -> None:
    """Close every socket whose access rests on `link` and stop every run started
    through it (receiver of `sandbox.models.share_link_revoked`)."""
    runs = Run.objects.filter(share_link=link, status__in=ACTIVE_STATUSES)
    run_ids = list(runs.values_list("pk", flat=True))
    # The record first: a run whose runner is gone (or not started yet) hears nothing, and
    # a live runner records the same once it takes the message.
    Run.objects.filter(pk__in=run_ids).update(
        status=RunStatus.STOPPED, failure_reason=REVOKED_REASON, ended_at=timezone.now()
    )
    try:
        async_to_sync(_tell)(link.pk, run_ids)
    except Exception:
        # The link is revoked whatever happens here: every new request and socket is
        # refused. Only the open sockets and live runs were not told.
        log.exception(
            "Share link %s is revoked, but the channel layer failed: sockets opened "
            "through it stay open until they reconnect (then they are refused), and its "
            "runs %s (recorded as stopped) go on until their runner ends. Check the "
            "channel layer (REDIS_URL).",
            link.pk,
            run_ids,
        )


async def _tell(link_pk: int, run_ids: list[Any]) -> None:
    layer = get_channel_layer()
    await layer.group_send(share_group(link_pk), {"type": "share.revoked"})
    for run_id in run_ids:
        await layer.group_send(
            runner_group(run_id), {"type": "runner.stop", "reason": REVOKED_REASON}
        )
