from __future__ import annotations

import csv
import json
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_http_methods

from sandbox.access import (
    get_share_link,
    is_owner,
    may_run_design,
    readable_revision,
    remember_share_link,
    request_tokens,
)
from sandbox.live.access import RunAccess, get_watchable_run
from sandbox.live.forms import RunForm
from sandbox.live.lease import sweep_stale_runs
from sandbox.live.models import SERIES_COLUMNS, Run, RunStatus
from sandbox.live.runner import launch_run
from sandbox.live.session import series_from_frames
from sandbox.live.wire import FrameCodec
from sandbox.models import Design, ShareLink
from sandbox.ratelimit import READS, WRITES, rate_limit

log = logging.getLogger(__name__)


def _design_to_run(request: HttpRequest) -> tuple[Design, ShareLink | None]:
    """The design named by `token` (a share link) or `design` (its id, for its owner or
    a public design), if the user may run it; else 404."""
    source = request.POST if request.method == "POST" else request.GET
    token = source.get("token", "")
    link = None
    if token:
        link = get_share_link(token)
        design = link.design
    else:
        try:
            pk = int(source.get("design", ""))
        except ValueError:
            raise Http404("no such design") from None
        design = get_object_or_404(Design.objects.select_related("owner"), pk=pk)
    if not may_run_design(request.user, design, link):
        raise Http404("no such design")
    if link is not None:
        remember_share_link(request, link)
    return design, link


def _granting_link(
    request: HttpRequest, design: Design, link: ShareLink | None
) -> ShareLink | None:
    """The share link a new run's access rests on: revoking it stops the run."""
    if link is None or is_owner(request.user, design) or design.is_public:
        return None
    return link


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit(WRITES)
def run_new(request: HttpRequest) -> HttpResponse:
    design, link = _design_to_run(request)
    revision = readable_revision(request.user, design)
    if revision is None:
        raise Http404("the design has no saved revision")
    initial = {"scenario": design.template_slug or "steady", "speed": "1"}
    form = RunForm(request.POST or None, document=revision.document, initial=initial)
    status = 200
    sweep_stale_runs()  # the limit and the list count only runs something runs
    if request.method == "POST":
        status = 422
        if form.is_valid():
            active = Run.objects.active().filter(owner=request.user)
            if active.count() >= settings.LIVE_MAX_RUNS_PER_USER:
                form.add_error(
                    None,
                    f"you already have {settings.LIVE_MAX_RUNS_PER_USER} runs going, the most "
                    "allowed; stop one of them first",
                )
                status = 429
            else:
                data = form.cleaned_data
                run = Run.objects.create(
                    revision=revision,
                    owner=request.user,
                    share_link=_granting_link(request, design, link),
                    scenario_name=data["scenario_name"],
                    scenario=data["validated_scenario"],
                    seed=data["seed"],
                    speed=data["speed_value"],
                )
                if _launched(run):
                    return redirect(run)
                form.add_error(
                    None,
                    "the run could not start: the simulation servers cannot be reached "
                    "right now; try again in a minute",
                )
                status = 503
    context = {
        "design": design,
        "revision": revision,
        "token": link.token if link else "",
        "form": form,
        "active_runs": Run.objects.active()
        .filter(owner=request.user)
        .select_related("revision__design"),
    }
    return render(request, "live/run_new.html", context, status=status)


def _run_for_viewer(request: HttpRequest, run_id: Any) -> tuple[Run, RunAccess]:
    """The run if the user may watch it (else 404), with the status it really has: a run
    whose runner went silent is marked failed first (sandbox/live/lease.py)."""
    run, access = get_watchable_run(request.user, run_id, request_tokens(request))
    if run.is_lost and sweep_stale_runs(run.pk):
        run.refresh_from_db()
    return run, access


def _launched(run: Run) -> bool:
    """Hand the run to a runner; if none can be reached (Redis is down), record that the
    run failed rather than leave it waiting for a runner that never comes."""
    try:
        launch_run(run.pk)
    except Exception:
        log.exception("run %s: could not hand it to a runner", run.pk)
        Run.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            failure_reason="could not start: no runner could be reached",
            ended_at=timezone.now(),
        )
        return False
    return True


@login_required
@require_GET
def run_detail(request: HttpRequest, run_id: Any) -> HttpResponse:
    run, access = _run_for_viewer(request, run_id)
    presented = ShareLink.objects.filter(pk__in=access.links, token=request.GET.get("token", ""))
    for link in presented:
        remember_share_link(request, link)  # the page's socket carries the session, not `?token=`
    design = run.revision.design
    context = {
        "run": run,
        "design": design,
        "is_owner": access.control,
        "design_url": design.get_absolute_url() if design.owner_id == request.user.pk else "",
        "socket_path": f"/ws/runs/{run.pk}/",
    }
    return render(request, "live/run_detail.html", context)


def _series(run: Run) -> dict[str, list[Any]]:
    if run.series and run.series.get("t"):
        return run.series
    return series_from_frames(run.recorded_frames())


@login_required
@require_GET
@rate_limit(READS, methods=("GET",))
def run_export_csv(request: HttpRequest, run_id: Any) -> HttpResponse:
    run, _access = _run_for_viewer(request, run_id)
    series = _series(run)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="run-{run.pk}.csv"'
    columns = [c for c in SERIES_COLUMNS if any(v is not None for v in series.get(c, ()))]
    writer = csv.writer(response)
    writer.writerow(columns)
    for row in zip(*(series[c] for c in columns), strict=True):
        writer.writerow(["" if v is None else v for v in row])
    return response


@login_required
@require_GET
@rate_limit(READS, methods=("GET",))
def run_export_json(request: HttpRequest, run_id: Any) -> HttpResponse:
    run, _access = _run_for_viewer(request, run_id)
    body = {
        "run": {
            "id": str(run.pk),
            "design": run.revision.design.name,
            "revision": run.revision.number,
            "scenario_name": run.scenario_name,
            "scenario": run.scenario,
            "seed": run.seed,
            "status": run.status,
            "failure_reason": run.failure_reason,
            "created_at": run.created_at.isoformat(),
            "ended_at": run.ended_at.isoformat() if run.ended_at else None,
            "ticks": run.ticks,
        },
        "summary": run.summary(),
        "checks": (run.report or {}).get("checks", []),
        "series": _series(run),
        "events": run.events,
    }
    response = HttpResponse(
        json.dumps(body, indent=1), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="run-{run.pk}.json"'
    return response


@login_required
@require_GET
@rate_limit(READS, methods=("GET",))
@gzip_page  # recorded frames: large, repetitive JSON with no secret in it
def run_frames(request: HttpRequest, run_id: Any) -> JsonResponse:
    """The recorded frames after `?since=` (for replay when a viewer missed some)."""
    run, _access = _run_for_viewer(request, run_id)
    try:
        since = int(request.GET.get("since", "-1"))
    except ValueError:
        return JsonResponse({"error": "since: must be an integer tick"}, status=400)
    return JsonResponse({"frames": run.recorded_frames(since), "status": run.status})


# The most ticks one `replay.json` request returns (a 500-component design: ~40 kB a tick).
REPLAY_MAX_TICKS = 100


@login_required
@require_GET
@rate_limit(READS, methods=("GET",))
@gzip_page  # recorded frames: large, repetitive JSON with no secret in it
def run_replay(request: HttpRequest, run_id: Any) -> JsonResponse:
    """Recorded frames from tick `?from=` to `?to=` in the socket's compact form, for
    scrubbing the timeline (the socket's `hello` carries only the newest frame)."""
    run, _access = _run_for_viewer(request, run_id)
    ticks = {}
    for name in ("from", "to"):
        try:
            ticks[name] = int(request.GET.get(name, ""))
        except ValueError:
            return JsonResponse({"error": f"{name}: must be an integer tick"}, status=400)
    first, last = ticks["from"], ticks["to"]
    if not 0 <= last - first < REPLAY_MAX_TICKS:
        return JsonResponse(
            {"error": f"to: must be from `from` to `from` + {REPLAY_MAX_TICKS - 1}"}, status=400
        )
    codec = FrameCodec(run.revision.document)
    frames = [codec.encode(f) for f in run.recorded_frames_between(first, last)]
    body = {"from": first, "to": last, "frames": frames, "status": run.status}
    return JsonResponse(body, json_dumps_params={"separators": (",", ":")})


def panel_context(request: HttpRequest, design: Design, token: str = "") -> dict[str, Any]:
    """What `live/_run_panel.html` needs on a design page (the owner's or a shared one)."""
    revision = readable_revision(request.user, design)
    runs: list[Run] = []
    if request.user.is_authenticated:
        sweep_stale_runs()
        runs = list(
            Run.objects.filter(revision__design=design, owner=request.user).select_related(
                "revision"
            )[:5]
        )
    form = None
    if revision is not None:
        initial = {"scenario": design.template_slug or "steady", "speed": "1"}
        form = RunForm(document=revision.document, initial=initial)
    return {
        "design": design,
        "token": token,
        "form": form,
        "runs": runs,
        "action": reverse("live:run_new"),
    }
