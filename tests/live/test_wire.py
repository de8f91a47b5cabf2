"""The compact wire form of frames: smaller, and it decodes back to what the engine said."""

from __future__ import annotations

import json

from sandbox.live.wire import FrameCodec, decode, short
from simulation import Engine, validate_scenario
from tests.live.conftest import two_web_servers


def engine_frames(count: int) -> tuple[dict, list[dict]]:
    document = two_web_servers()
    engine = Engine(document, validate_scenario({"duration_s": 60}, document), seed=1)
    frames = [engine.step().to_json() for _ in range(count)]
    engine.apply({"action": "fail", "target": "web-1"})
    frames.append(engine.step().to_json())
    return document, frames


def test_numbers_keep_three_significant_digits() -> None:
    assert short(20.836) == 20.8
    assert short(0.625) == 0.625
    assert short(1234.5) == 1230
    assert short(250.0) == 250
    assert isinstance(short(250.0), int)
    assert short(0.0) == 0
    assert short(0.000123456) == 0.000123
    assert short(7) == 7
    assert short(None) is None


def test_a_frame_round_trips_with_three_digit_numbers() -> None:
    document, frames = engine_frames(3)
    codec = FrameCodec(document)
    for frame in frames:
        back = decode(codec, codec.encode(frame))
        assert back["tick"] == frame["tick"]
        assert back["events"] == frame["events"]
        assert back["global"] == frame["global"]
        assert set(back["nodes"]) == set(frame["nodes"])
        for node_id, node in frame["nodes"].items():
            got = back["nodes"][node_id]
            for key in ("status", "health", "reason", "inst", "ready"):
                assert got[key] == node[key], (node_id, key)
            for key in ("offered", "served", "dropped", "util", "lat", "p95"):
                assert abs(got[key] - node[key]) <= abs(node[key]) * 0.005, (node_id, key)
        assert sorted(back["links"]) == sorted([a, b, short(f)] for a, b, f in frame["links"])
    assert decode(codec, codec.encode(frames[-1]))["nodes"]["web-1"]["health"] == "down"


def test_the_wire_form_is_much_smaller() -> None:
    document, frames = engine_frames(3)
    full = len(json.dumps(frames[0], separators=(",", ":")))
    wire = len(json.dumps(FrameCodec(document).encode(frames[0]), separators=(",", ":")))
    assert wire < full / 2


def test_a_frame_that_does_not_fit_the_design_goes_out_in_full() -> None:
    document, frames = engine_frames(1)
    stranger = {**frames[0], "nodes": {**frames[0]["nodes"], "ghost": frames[0]["nodes"]["lb"]}}
    codec = FrameCodec(document)
    assert codec.encode(stranger) is stranger
    fewer_links = {**frames[0], "links": frames[0]["links"][:-1]}
    assert codec.encode(fewer_links) is fewer_links
    assert decode(codec, stranger) is stranger


def test_goodput_and_late_are_left_out_only_when_they_say_nothing_new() -> None:
    document, frames = engine_frames(1)
    codec = FrameCodec(document)
    wire = codec.encode(frames[0])
    assert "goodput_rps" not in wire["global"]
    assert "late_rps" not in wire["global"]
    assert decode(codec, wire)["global"] == frames[0]["global"]
    late = {**frames[0], "global": {**frames[0]["global"], "goodput_rps": 1.0, "late_rps": 2.0}}
    assert codec.encode(late)["global"] == late["global"]


def test_explanations_travel_with_the_frame_texts_whole_and_numbers_short() -> None:
    """`advance` adds the engine's explanations of unhealthy components; the wire keeps
    their codes and texts (and their fixes'), not their params; a healthy frame carries
    none."""
    from sandbox.live.ticks import advance

    document = two_web_servers()
    engine = Engine(document, validate_scenario({"duration_s": 60}, document), seed=1)
    codec = FrameCodec(document)
    healthy = advance(engine, codec, keep_frame=True)
    assert "explain" not in json.loads(healthy.wire)
    engine.apply({"action": "fail", "target": "web-1"})
    tick = advance(engine, codec, keep_frame=True)
    explained = tick.frame["explain"]
    assert explained["web-1"]["code"] == "down"
    back = decode(codec, json.loads(tick.wire))["explain"]
    assert back == {
        node_id: {"code": entry["code"], "text": entry["text"]}
        | ({"fixes": [{"code": f["code"], "text": f["text"]} for f in entry["fixes"]]}
           if "fixes" in entry else {})
        for node_id, entry in explained.items()
    }  # fmt: skip
