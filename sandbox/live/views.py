from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
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
from sandbox.live.lease import sweep_stale_runs, with_honest_status
from sandbox.live.models import SERIES_COLUMNS, Run, RunStatus
from sandbox.live.runner import launch_run
from sandbox.live.steering import SPEED_STEPS
from sandbox.live.wire import compact_columns
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
    return with_honest_status(run), access


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
        "speed_steps": SPEED_STEPS,
    }
    return render(request, "live/run_detail.html", context)


def _batched(parts: Iterator[str], size: int = 64 * 1024) -> Iterator[str]:
    batch: list[str] = []
    length = 0
    for part in parts:
        batch.append(part)
        length += len(part)
        if length >= size:
            yield "".join(batch)
            batch, length = [], 0
    if batch:
        yield "".join(batch)


async def _async_parts(parts: Iterator[str]) -> AsyncIterator[str]:
    """`parts` read in the database's thread: Daphne would otherwise read a synchronous
    iterator whole into memory before sending a byte."""
    step = sync_to_async(next, thread_sensitive=True)
    end = object()
    while (part := await step(parts, end)) is not end:
        yield part


def _stream(
    request: HttpRequest, parts: Iterator[str], content_type: str, filename: str = ""
) -> StreamingHttpResponse:
    """A response sent in batches of about 64 kB as `parts` are made (bounded memory)."""
    batches = _batched(parts)
    content = _async_parts(batches) if isinstance(request, ASGIRequest) else batches
    response = StreamingHttpResponse(content, content_type=content_type)
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


JSON_TYPE = "application/json; charset=utf-8"


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@login_required
@require_GET
@rate_limit(READS, methods=("GET",))
def run_design(request: HttpRequest, run_id: Any) -> JsonResponse:
    """The run's design document: the live page builds its diagram from it (the socket
    does not carry it: a big design would not fit in one message)."""
    run, _access = _run_for_viewer(request, run_id)
    return JsonResponse(run.revision.document, json_dumps_params={"separators": (",", ":")})


# The most ticks of the charts' numbers one `series.json` request returns (about 1.5 MB).
SERIES_PAGE_TICKS = 20_000


@login_required
@require_GET
@rate_limit(READS, methods=("GET",))
@gzip_page
def run_series(request: HttpRequest, run_id: Any) -> JsonResponse:
    """The charts' numbers of the ticks after `?since=` (at most SERIES_PAGE_TICKS of
    them; `more` says whether later ones are recorded), column-wise."""
    run, _access = _run_for_viewer(request, run_id)
    try:
        since = int(request.GET.get("since", "-1"))
    except ValueError:
        return JsonResponse({"error": "since: must be an integer tick"}, status=400)
    columns: dict[str, list[Any]] = {"tick": [], **{c: [] for c in SERIES_COLUMNS}}
    more = False
    for part in run.iter_series(since):
        if len(columns["tick"]) >= SERIES_PAGE_TICKS:
            more = True
            break
        for name, values in columns.items():
            values.extend(part.get(name) or [None] * len(part["tick"]))
    if len(columns["tick"]) > SERIES_PAGE_TICKS:
        columns = {name: values[:SERIES_PAGE_TICKS] for name, values in columns.items()}
        more = True
    body = {"series": compact_columns(columns, since), "more": more, "status": run.status}
    return JsonResponse(body, json_dumps_params={"separators": (",", ":")})


def _csv_rows(run: Run) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # Only the columns the engine reported (a first pass over the small series blobs).
    present: set[str] = set()
    for part in run.iter_series():
        present.update(c for c in SERIES_COLUMNS if any(v is not None for v in part.get(c, ())))
    columns = [c for c in SERIES_COLUMNS if c in present]
    writer.writerow(columns)
    for part in run.iter_series():
        ticks = len(part["tick"])
        values = [part.get(c) or [None] * ticks for c in columns]
        for row in zip(*values, strict=True):
            writer.writerow(["" if v is None else v for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


@login_required
@require_GET
@rate_limit(READS, methods=("GET",))
def run_export_csv(request: HttpRequest, run_id: Any) -> StreamingHttpResponse:
    """Every tick's global metrics, streamed one recorded chunk at a time."""
    run, _access = _run_for_viewer(request, run_id)
    return _stream(request, _csv_rows(run), "text/csv; charset=utf-8", f"run-{run.pk}.csv")


def _export_parts(run: Run) -> Iterator[str]:
    head = {
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
        # True: the run ended before its warm-up did, so the summary covers every tick.
        "warmup_cut_short": bool((run.report or {}).get("warmup_cut_short")),
        "checks": (run.report or {}).get("checks", []),
        "events": run.events,
    }
    yield _dump(head)[:-1] + ',"series":{'
    # Column by column, each read chunk by chunk: memory stays one chunk's worth.
    for i, name in enumerate(SERIES_COLUMNS):
        yield ("," if i else "") + f"{_dump(name)}:["
        first = True
        for part in run.iter_series():
            values = part.get(name) or [None] * len(part["tick"])
            if values:
                yield ("" if first else ",") + _dump(values)[1:-1]
                first = False
        yield "]"
    yield "}}"


@login_required
@require_GET
@rate_limit(READS, methods=("GET",))
def run_export_json(request: HttpRequest, run_id: Any) -> StreamingHttpResponse:
    run, _access = _run_for_viewer(request, run_id)
    return _stream(request, _export_parts(run), JSON_TYPE, f"run-{run.pk}.json")


def _frames_parts(run: Run, since: int) -> Iterator[str]:
    yield '{"frames":['
    for i, frame in enumerate(run.iter_recorded_frames(since)):
        yield ("," if i else "") + _dump(frame)
    yield f'],"status":{_dump(run.status)}}}'


@login_required
@require_GET
@rate_limit(READS, methods=("GET",))
@gzip_page  # recorded frames: large, repetitive JSON with no secret in it
def run_frames(request: HttpRequest, run_id: Any) -> HttpResponse:
    """The recorded frames after `?since=` in full form, streamed chunk by chunk."""
    run, _access = _run_for_viewer(request, run_id)
    try:
        since = int(request.GET.get("since", "-1"))
    except ValueError:
        return JsonResponse({"error": "since: must be an integer tick"}, status=400)
    return _stream(request, _frames_parts(run, since), JSON_TYPE)


# The most ticks one `replay.json` request returns (a 500-component design: ~40 kB a tick).
REPLAY_MAX_TICKS = 100


@login_required
@require_GET
@rate_limit(READS, methods=("GET",))
@gzip_page  # recorded frames: large, repetitive JSON with no secret in it
def run_replay(request: HttpRequest, run_id: Any) -> JsonResponse:
    """Recorded frames from tick `?from=` to `?to=` in the socket's compact form, for
    scrubbing the timeline (the socket's `hello` carries only the newest frame). Big
    designs record a frame every few ticks: `frame_step` says how many."""
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
    frames = run.recorded_frames_between(first, last)
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
