"""The live protocol's client messages: only the listed actions, every field checked."""

from __future__ import annotations

import json

import pytest

from sandbox.live.protocol import (
    ACTIONS,
    MAX_MESSAGE_BYTES,
    SpeedLimits,
    TokenBucket,
    parse_message,
)
from simulation import ControlError

LIMITS = SpeedLimits(max_speed=100, allow_unpaced=True)


def parse(message: object) -> dict:
    return parse_message(json.dumps(message), LIMITS)


def test_it_accepts_each_listed_action() -> None:
    assert parse({"action": "pause"}) == {"action": "pause"}
    assert parse({"action": "fail", "target": "web-1"}) == {"action": "fail", "target": "web-1"}
    assert parse({"action": "fail", "target": "web-1", "count": 1}) == {
        "action": "fail",
        "target": "web-1",
        "count": 1,
    }
    assert parse({"action": "flush", "target": "cache"}) == {"action": "flush", "target": "cache"}
    param = {"action": "set_param", "target": "cache", "param": "hit_ratio", "value": 0.5}
    assert parse(param) == {
        "action": "set_param",
        "target": "cache",
        "param": "hit_ratio",
        "value": 0.5,
    }
    assert parse({"action": "spike", "target": "users", "rps": 500, "duration_s": 30}) == {
        "action": "spike",
        "target": "users",
        "rps": 500.0,
        "duration_s": 30.0,
    }
    assert parse({"action": "scale", "target": "web-1", "instances": 4}) == {
        "action": "scale",
        "target": "web-1",
        "instances": 4,
    }
    assert parse({"action": "set_rate", "target": "users", "rps": 2000}) == {
        "action": "set_rate",
        "target": "users",
        "rps": 2000.0,
    }
    assert parse({"action": "speed", "value": 10}) == {"action": "speed", "value": 10.0}
    assert parse({"action": "speed", "value": "max"}) == {"action": "speed", "value": 0.0}
    assert set(ACTIONS) == {
        "start",
        "pause",
        "resume",
        "stop",
        "speed",
        "set_rate",
        "fail",
        "recover",
        "scale",
        "flush",
        "spike",
        "set_param",
    }


def test_it_drops_fields_it_does_not_know() -> None:
    assert parse({"action": "stop", "extra": "x"}) == {"action": "stop"}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("{not json", "message: not valid JSON"),
        ("[1, 2]", "message: must be a JSON object"),
        ('{"type": "pause"}', "action: missing"),
        ('{"action": "__class__"}', "action: unknown action '__class__'"),
        ('{"action": "fail"}', "fail.target: must be a component id"),
        ('{"action": "fail", "target": "w", "count": 0}', "fail.count: must be"),
        ('{"action": "spike", "target": "u", "rps": 5}', "spike.duration_s: must be"),
        ('{"action": "set_param", "target": "w", "value": 1}', "set_param.param: must be"),
        ('{"action": "set_param", "target": "w", "param": "x", "value": [1]}', "set_param.value"),
        ('{"action": "set_param", "param": "x", "value": 1}', "set_param.target: must be"),
        ('{"action": "spike", "target": "u", "rps": 5, "duration_s": 0}', "spike.duration_s: must"),
        ('{"action": "fail", "target": "w", "count": "one"}', "fail.count: must be"),
        (
            '{"action": "scale", "target": "w", "instances": 0}',
            "scale.instances: must be an integer",
        ),
        (
            '{"action": "scale", "target": "w", "instances": 2.5}',
            "scale.instances: must be an integer",
        ),
        (
            '{"action": "scale", "target": "w", "instances": true}',
            "scale.instances: must be an integer",
        ),
        ('{"action": "set_rate", "target": "u", "rps": -1}', "set_rate.rps: must be a number"),
        ('{"action": "set_rate", "target": "u", "rps": "9"}', "set_rate.rps: must be a number"),
        ('{"action": "speed", "value": 0.5}', "speed.value: must be a number from 1 to 100"),
        ('{"action": "speed", "value": 101}', "speed.value: must be a number from 1 to 100"),
    ],
)
def test_it_names_the_field_that_is_wrong(text: str, error: str) -> None:
    with pytest.raises(ControlError) as caught:
        parse_message(text, LIMITS)
    assert str(caught.value).startswith(error)


def test_it_refuses_binary_and_oversized_messages() -> None:
    with pytest.raises(ControlError, match="not binary"):
        parse_message(None, LIMITS)
    with pytest.raises(ControlError, match="longer than"):
        parse_message(json.dumps({"action": "stop", "pad": "x" * MAX_MESSAGE_BYTES}), LIMITS)


def test_it_refuses_unpaced_speed_when_settings_forbid_it() -> None:
    limits = SpeedLimits(max_speed=20, allow_unpaced=False)
    with pytest.raises(ControlError, match='"max" is not allowed'):
        parse_message('{"action": "speed", "value": "max"}', limits)


def test_the_token_bucket_allows_a_burst_then_the_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])
    assert [bucket.allow() for _ in range(4)] == [True, True, True, False]
    now[0] += 0.5
    assert bucket.allow() is True
    assert bucket.allow() is False
