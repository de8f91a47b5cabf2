"""Starting runs, the run page, and the exports."""

from __future__ import annotations

import csv
import gzip
import io
import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient, Client
from django.urls import reverse

from sandbox.live import views as live_views
from sandbox.live.models import Run, RunChunk, RunStatus
from sandbox.live.ticks import advance
from sandbox.live.views import REPLAY_MAX_TICKS
from sandbox.live.wire import FrameCodec, decode
from sandbox.models import Design, ShareLink
from simulation import Engine

pytestmark = pytest.mark.django_db


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Runs handed to the runner (recorded instead of started: these tests have no server)."""
    calls: list[Any] = []
    monkeypatch.setattr("sandbox.live.views.launch_run", calls.append)
    return calls


def start(client: Client, **fields: Any) -> Any:
    data = {"scenario": "steady", "speed": "1", **fields}
    return client.post(reverse("live:run_new"), data)


def test_it_starts_a_run_of_the_latest_revision(
    alice_client: Client, design: Any, launched: list[Any]
) -> None:
    response = start(alice_client, design=design.pk, seed="7", speed="10")
    run = Run.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("live:run_detail", args=[run.pk])
    assert launched == [run.pk]
    assert run.revision == design.latest_revision()
    assert (run.seed, run.speed, run.status) == (7, 10.0, RunStatus.STARTING)
    assert run.scenario_name == "steady"
    assert run.scenario["duration_s"] == 600


def test_it_takes_a_custom_scenario(alice_client: Client, design: Any, launched: list[Any]) -> None:
    scenario = {"duration_s": 120, "faults": [{"at": 30, "target": "web-1", "action": "fail"}]}
    response = start(
        alice_client, design=design.pk, scenario="custom", scenario_json=json.dumps(scenario)
    )
    assert response.status_code == 302
    run = Run.objects.get()
    assert run.scenario_name == "custom"
    assert run.scenario["faults"][0]["target"] == "web-1"


def test_it_keeps_the_custom_scenario_and_names_the_error(
    alice_client: Client, design: Any, launched: list[Any]
) -> None:
    bad = '{"duration_s": 60, "faults": [{"at": 5, "target": "ghost", "action": "fail"}]}'
    response = start(alice_client, design=design.pk, scenario="custom", scenario_json=bad)
    assert response.status_code == 422
    assert b"faults[0].target" in response.content
    assert "ghost" in response.content.decode()
    assert Run.objects.count() == 0
    assert launched == []


@pytest.mark.parametrize(
    ("scenario", "path"),
    [({"faults": [{"at": 5, "target": "web-1", "action": "set_param", "param": []}]},
      "faults[0].param"),
     ({"checks": [{"component": ["web-1"], "metric": "util", "value": 0.9}]},
      "checks[0].component")],
)  # fmt: skip
def test_it_names_a_field_of_the_wrong_json_type(
    alice_client: Client, design: Any, launched: list[Any], scenario: dict, path: str
) -> None:
    """A list where an id or a name belongs is a problem at its path, not a server error."""
    response = start(
        alice_client, design=design.pk, scenario="custom", scenario_json=json.dumps(scenario)
    )
    assert response.status_code == 422
    assert path in response.content.decode()
    assert Run.objects.count() == 0


def test_it_explains_broken_json(alice_client: Client, design: Any, launched: list[Any]) -> None:
    response = start(alice_client, design=design.pk, scenario="custom", scenario_json="{nope")
    assert response.status_code == 422
    assert b"not valid JSON" in response.content


def test_it_refuses_a_speed_above_the_limit(
    alice_client: Client, design: Any, launched: list[Any], settings: Any
) -> None:
    settings.LIVE_MAX_SPEED = 10
    response = start(alice_client, design=design.pk, speed="100")
    assert response.status_code == 422
    assert Run.objects.count() == 0


def test_it_limits_concurrent_runs_per_user(
    alice_client: Client, design: Any, launched: list[Any], settings: Any
) -> None:
    settings.LIVE_MAX_RUNS_PER_USER = 2
    assert start(alice_client, design=design.pk).status_code == 302
    assert start(alice_client, design=design.pk).status_code == 302
    response = start(alice_client, design=design.pk)
    assert response.status_code == 429
    assert b"stop one of them first" in response.content
    assert Run.objects.count() == 2


def test_ended_runs_do_not_count_against_the_limit(
    alice_client: Client, design: Any, launched: list[Any], settings: Any
) -> None:
    settings.LIVE_MAX_RUNS_PER_USER = 1
    assert start(alice_client, design=design.pk).status_code == 302
    Run.objects.update(status=RunStatus.FINISHED)
    assert start(alice_client, design=design.pk).status_code == 302


def test_a_run_no_runner_can_take_fails_at_once_and_says_so(
    alice_client: Client, design: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def redis_is_down(run_id: Any) -> None:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("sandbox.live.views.launch_run", redis_is_down)
    response = start(alice_client, design=design.pk)
    assert response.status_code == 503
    assert b"the simulation servers cannot be reached right now" in response.content
    run = Run.objects.get()
    assert (run.status, run.failure_reason) == (
        RunStatus.FAILED,
        "could not start: no runner could be reached",
    )


def test_it_checks_ownership(bob_client: Client, design: Any, launched: list[Any]) -> None:
    assert start(bob_client, design=design.pk).status_code == 404
    assert bob_client.get(reverse("live:run_new"), {"design": design.pk}).status_code == 404
    assert Run.objects.count() == 0


def test_a_share_link_holder_runs_their_own_copy(
    bob_client: Client, bob: Any, design: Any, launched: list[Any]
) -> None:
    link = ShareLink.objects.create(design=design)
    response = start(bob_client, token=link.token)
    assert response.status_code == 302
    run = Run.objects.get()
    assert run.owner == bob
    assert bob_client.get(run.get_absolute_url()).status_code == 200
    link.revoke()
    assert start(bob_client, token=link.token).status_code == 404


def test_anonymous_users_are_sent_to_log_in(anon_client: Client, design: Any) -> None:
    response = start(anon_client, design=design.pk)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_start_form_offers_the_scenarios(alice_client: Client, design: Any) -> None:
    response = alice_client.get(reverse("live:run_new"), {"design": design.pk})
    assert response.status_code == 200
    assert b'value="steady"' in response.content
    assert b'value="custom"' in response.content


def test_built_in_scenarios_fit_a_design_that_leaves_parameters_at_their_defaults(
    alice_client: Client, alice: Any, launched: list[Any]
) -> None:
    """A stored balancer without params still takes a scenario that sets one of them."""
    document = {
        "format": 1,
        "name": "Sticky",
        "components": [
            {"id": "users", "kind": "client"},
            {"id": "lb", "kind": "load_balancer"},
            {"id": "web", "kind": "web_server"},
        ],
        "links": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "web"}],
    }
    design = Design.create_with_document(
        owner=alice, name="Sticky", document=document, message="first"
    )
    page = alice_client.get(reverse("live:run_new"), {"design": design.pk})
    assert b'value="stateful-scaling"' in page.content
    response = start(alice_client, design=design.pk, scenario="stateful-scaling")
    assert response.status_code == 302
    run = Run.objects.get()
    assert run.scenario_name == "stateful-scaling"
    assert {"at": 240.0, "action": "set_param", "target": "lb", "param": "hashing",
            "value": "consistent"} in run.scenario["faults"]  # fmt: skip


def test_wrong_methods_are_refused(alice_client: Client, make_run: Any) -> None:
    run = make_run()
    assert alice_client.put(reverse("live:run_new")).status_code == 405
    assert alice_client.post(reverse("live:run_detail", args=[run.pk])).status_code == 405
    assert alice_client.post(reverse("live:run_export_csv", args=[run.pk])).status_code == 405


def test_the_run_page_carries_its_socket_and_owner_flag(
    alice_client: Client, make_run: Any
) -> None:
    run = make_run()
    response = alice_client.get(run.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-socket-path="/ws/runs/{run.pk}/"' in body
    assert 'data-is-owner="true"' in body
    assert 'data-action="fail"' in body


def test_others_see_a_private_run_as_missing(bob_client: Client, make_run: Any) -> None:
    run = make_run()
    assert bob_client.get(run.get_absolute_url()).status_code == 404
    assert bob_client.get(reverse("live:run_export_json", args=[run.pk])).status_code == 404


def test_a_viewer_of_a_shared_design_watches_without_controls(
    bob_client: Client, make_run: Any, design: Any
) -> None:
    link = ShareLink.objects.create(design=design)
    run = make_run()
    assert bob_client.get(run.get_absolute_url()).status_code == 404, "not without the token"
    bob_client.get(link.get_absolute_url())
    body = bob_client.get(run.get_absolute_url()).content.decode()
    assert 'data-is-owner="false"' in body
    assert 'data-action="pause"' not in body


def streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def recorded_run(make_run: Any) -> Run:
    run = make_run(status=RunStatus.FINISHED)
    frames = [
        {"tick": i, "t": float(i + 1), "nodes": {}, "links": [], "events": [],
         "global": {"offered_rps": 100.0, "throughput_rps": 90.0 + i, "error_rate": 0.1,
                    "availability": 0.9, "p50_ms": 5.0, "p95_ms": 9.0, "p99_ms": 12.0,
                    "cost_per_hour": 1.5}}
        for i in range(3)
    ]  # fmt: skip
    RunChunk.objects.create(run=run, first_tick=0, frames=frames[:2])
    RunChunk.objects.create(run=run, first_tick=2, frames=frames[2:])
    run.report = {"summary": {"availability": 0.9}, "checks": [{"name": "up", "passed": True}]}
    run.events = [{"t": 2.0, "component": "web-1", "kind": "failed", "text": "web-1 failed"}]
    run.save()
    return run


def test_it_exports_the_series_as_csv(alice_client: Client, make_run: Any) -> None:
    run = recorded_run(make_run)
    response = alice_client.get(reverse("live:run_export_csv", args=[run.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    rows = list(csv.reader(io.StringIO(streamed(response).decode())))
    assert rows[0][:3] == ["t", "offered_rps", "throughput_rps"]
    assert "p90_ms" not in rows[0], "columns the engine never reported are left out"
    assert [r[2] for r in rows[1:]] == ["90.0", "91.0", "92.0"]


def test_it_exports_summary_series_and_events_as_json(alice_client: Client, make_run: Any) -> None:
    run = recorded_run(make_run)
    body = json.loads(streamed(alice_client.get(reverse("live:run_export_json", args=[run.pk]))))
    assert body["run"]["status"] == "finished"
    assert body["summary"] == {"availability": 0.9}
    assert body["checks"] == [{"name": "up", "passed": True}]
    assert body["series"]["t"] == [1.0, 2.0, 3.0]
    assert body["events"][0]["text"] == "web-1 failed"


def test_the_json_export_says_when_the_warm_up_was_cut_short(
    alice_client: Client, make_run: Any
) -> None:
    run = recorded_run(make_run)
    url = reverse("live:run_export_json", args=[run.pk])
    assert json.loads(streamed(alice_client.get(url)))["warmup_cut_short"] is False
    run.report = {**run.report, "warmup_cut_short": True}
    run.save(update_fields=["report"])
    assert json.loads(streamed(alice_client.get(url)))["warmup_cut_short"] is True


def test_the_run_page_has_a_place_for_the_summarys_note(
    alice_client: Client, make_run: Any
) -> None:
    """The sentence comes with `ended`; the page holds a hidden paragraph for it."""
    run = make_run()
    body = alice_client.get(reverse("live:run_detail", args=[run.pk])).content.decode()
    assert '<p class="live-summary__note" data-role="summary-note"' in body


def test_recorded_frames_are_served_after_a_tick(alice_client: Client, make_run: Any) -> None:
    run = recorded_run(make_run)
    url = reverse("live:run_frames", args=[run.pk])
    body = json.loads(streamed(alice_client.get(url, {"since": 0})))
    assert [f["tick"] for f in body["frames"]] == [1, 2]
    assert alice_client.get(url, {"since": "x"}).status_code == 400


def test_the_design_page_offers_a_run(alice_client: Client, design: Any) -> None:
    body = alice_client.get(design.get_absolute_url()).content.decode()
    assert 'data-testid="run-form"' in body
    assert f'name="design" value="{design.pk}"' in body
    assert 'value="steady"' in body


def test_a_shared_design_page_runs_through_its_link(bob_client: Client, design: Any) -> None:
    link = ShareLink.objects.create(design=design)
    body = bob_client.get(link.get_absolute_url()).content.decode()
    assert f'name="token" value="{link.token}"' in body
    assert f'name="design" value="{design.pk}"' not in body


def engine_recorded_run(make_run: Any, ticks: int = 120, chunk: int = 50) -> tuple[Run, list]:
    """A run whose engine frames are recorded in chunks of `chunk` frames, as the runner does."""
    run = make_run(status=RunStatus.FINISHED)
    engine = Engine(run.revision.document, run.scenario, seed=run.seed)
    frames = [engine.step().to_json() for _ in range(ticks)]
    for start in range(0, ticks, chunk):
        RunChunk.objects.create(
            run=run, first_tick=frames[start]["tick"], frames=frames[start : start + chunk]
        )
    return run, frames


def test_replay_serves_compact_frames_of_a_tick_range(
    alice_client: Client, make_run: Any, django_assert_max_num_queries: Any
) -> None:
    run, frames = engine_recorded_run(make_run)
    codec = FrameCodec(run.revision.document)
    url = reverse("live:run_replay", args=[run.pk])
    with django_assert_max_num_queries(6):
        response = alice_client.get(url, {"from": 45, "to": 60})
    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"]) == (45, 60)
    assert [f["tick"] for f in body["frames"]] == list(range(45, 61)), "across two chunks"
    assert all("n" in f for f in body["frames"]), "in the socket's compact form"
    expected = [decode(codec, codec.encode(f)) for f in frames if 45 <= f["tick"] <= 60]
    assert [decode(codec, f) for f in body["frames"]] == expected
    tail = alice_client.get(url, {"from": 100, "to": 199}).json()["frames"]
    assert [f["tick"] for f in tail] == list(range(100, frames[-1]["tick"] + 1))


def test_replay_pages_are_compressed_for_browsers_that_accept_gzip(
    alice_client: Client, make_run: Any
) -> None:
    run, _ = engine_recorded_run(make_run)
    url = reverse("live:run_replay", args=[run.pk])
    plain = alice_client.get(url, {"from": 0, "to": 60})
    packed = alice_client.get(url, {"from": 0, "to": 60}, headers={"accept-encoding": "gzip"})
    assert packed["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.content)) == plain.json()
    assert len(packed.content) < len(plain.content) / 3


def test_replay_is_for_those_who_may_watch_the_run(
    alice_client: Client, bob_client: Client, anon_client: Client, make_run: Any, design: Any
) -> None:
    run, _frames = engine_recorded_run(make_run, ticks=10)
    url = reverse("live:run_replay", args=[run.pk])
    query = {"from": 1, "to": 5}
    assert bob_client.get(url, query).status_code == 404
    assert anon_client.get(url, query).status_code == 302
    link = ShareLink.objects.create(design=design)
    assert bob_client.get(url, query).status_code == 404, "not without the token"
    bob_client.get(link.get_absolute_url())
    assert len(bob_client.get(url, query).json()["frames"]) == 5, "a share-link holder may"
    link.revoke()
    assert bob_client.get(url, query).status_code == 404
    assert alice_client.post(url, query).status_code == 405


def test_replay_refuses_bad_and_too_long_ranges(alice_client: Client, make_run: Any) -> None:
    run, _frames = engine_recorded_run(make_run, ticks=10)
    url = reverse("live:run_replay", args=[run.pk])
    for query, field in (
        ({"to": 5}, "from"),
        ({"from": "x", "to": 5}, "from"),
        ({"from": 1, "to": ""}, "to"),
        ({"from": 5, "to": 4}, "to"),
        ({"from": 0, "to": REPLAY_MAX_TICKS}, "to"),
    ):
        response = alice_client.get(url, query)
        assert response.status_code == 400, query
        assert response.json()["error"].startswith(f"{field}: "), query
    assert alice_client.get(url, {"from": 0, "to": REPLAY_MAX_TICKS - 1}).status_code == 200


def test_a_token_presented_on_the_run_page_is_kept_for_its_socket(
    bob_client: Client, make_run: Any, design: Any
) -> None:
    link = ShareLink.objects.create(design=design)
    run = make_run()
    assert bob_client.get(run.get_absolute_url(), {"token": link.token}).status_code == 200
    assert bob_client.session["share_tokens"] == [link.token]
    assert bob_client.get(run.get_absolute_url()).status_code == 200


def compact_recorded_run(make_run: Any, ticks: int, chunk: int = 50, **fields: Any) -> Run:
    """A run recorded as the runner records it: compressed chunks of compact ticks."""
    run = make_run(status=RunStatus.FINISHED, **fields)
    engine = Engine(run.revision.document, run.scenario, seed=run.seed)
    codec = FrameCodec(run.revision.document)
    made = [advance(engine, codec) for _ in range(ticks)]
    for start in range(0, ticks, chunk):
        part = made[start : start + chunk]
        RunChunk.build(run.pk, part, [True] * len(part)).save()
    run.ticks = ticks
    run.save(update_fields=["ticks"])
    return run


def test_the_design_comes_over_http_to_those_who_may_watch(
    alice_client: Client, bob_client: Client, make_run: Any, design: Any
) -> None:
    run = make_run()
    url = reverse("live:run_design", args=[run.pk])
    assert alice_client.get(url).json() == run.revision.document
    assert bob_client.get(url).status_code == 404
    link = ShareLink.objects.create(design=design)
    assert bob_client.get(url).status_code == 404, "a link bob does not hold grants nothing"
    assert bob_client.get(url, {"token": link.token}).json() == run.revision.document, (
        "a share-link holder may"
    )
    assert alice_client.post(url).status_code == 405


def test_the_series_comes_in_pages_after_a_tick(
    alice_client: Client, make_run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = compact_recorded_run(make_run, ticks=120, scenario={"duration_s": 200})
    url = reverse("live:run_series", args=[run.pk])
    monkeypatch.setattr(live_views, "SERIES_PAGE_TICKS", 70)
    first = alice_client.get(url).json()
    assert first["series"]["tick"] == list(range(1, 71))
    assert first["more"] is True
    assert len(first["series"]["throughput_rps"]) == 70
    rest = alice_client.get(url, {"since": 70}).json()
    assert rest["series"]["tick"] == list(range(71, 121))
    assert rest["more"] is False
    assert alice_client.get(url, {"since": "x"}).status_code == 400


def test_compact_recordings_export_every_tick(alice_client: Client, make_run: Any) -> None:
    run = compact_recorded_run(make_run, ticks=120, scenario={"duration_s": 200})
    csv_body = streamed(alice_client.get(reverse("live:run_export_csv", args=[run.pk])))
    rows = list(csv.reader(io.StringIO(csv_body.decode())))
    assert len(rows) == 1 + 120
    body = json.loads(streamed(alice_client.get(reverse("live:run_export_json", args=[run.pk]))))
    assert body["series"]["t"] == [float(t) for t in range(1, 121)]
    frames = json.loads(streamed(alice_client.get(reverse("live:run_frames", args=[run.pk]))))
    assert [f["tick"] for f in frames["frames"]] == list(range(1, 121))
    assert frames["frames"][0]["nodes"]["web-1"]["served"] > 0, "in full form"


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_frames_stream_over_asgi_in_parts(alice: Any, make_run: Any) -> None:
    """Under Daphne a synchronous iterator would be read whole into memory first."""
    run = await sync_to_async(compact_recorded_run)(make_run, ticks=600, chunk=50,
                                                    scenario={"duration_s": 600})  # fmt: skip
    client = AsyncClient()
    await sync_to_async(client.force_login)(alice)
    response = await client.get(reverse("live:run_frames", args=[run.pk]))
    assert response.is_async
    parts = [part async for part in response.streaming_content]
    assert len(parts) > 3, "sent in parts of about 64 kB"
    assert [f["tick"] for f in json.loads(b"".join(parts))["frames"]] == list(range(1, 601))
