"""Scenario and live-control validation."""

from __future__ import annotations

import pytest

from simulation import DesignError, validate_document, validate_scenario
from simulation.errors import ControlError
from simulation.scenario import control_or_raise

from .designs import web_stack

DOC = validate_document(web_stack())


def problems_of(scenario: dict) -> list[str]:
    with pytest.raises(DesignError) as info:
        validate_scenario(scenario, DOC)
    return [str(p) for p in info.value.problems]


def test_an_empty_scenario_gets_defaults():
    """No scenario means 600 s at 1 s ticks, no noise, nothing scheduled."""
    assert validate_scenario(None, DOC) == {
        "duration_s": 600.0, "tick_s": 1.0, "noise": False, "traffic": [], "spikes": [],
        "waves": [], "faults": [], "checks": [],
    }  # fmt: skip


def test_a_full_scenario_is_accepted_and_faults_are_sorted():
    """Traffic, spikes, waves, faults and checks as documented."""
    out = validate_scenario(
        {
            "duration_s": 300, "tick_s": 0.5, "seed": 7, "noise": True,
            "traffic": [{"at": 120, "source": "users", "rps": 4000, "ramp_s": 30}],
            "spikes": [{"at": 50, "source": "users", "rps": 1000, "duration_s": 5}],
            "waves": [{"source": "users", "amplitude": 0.5, "period_s": 600}],
            "faults": [{"at": 200, "target": "db", "action": "fail"},
                       {"at": 100, "target": "cache", "action": "flush"}],
            "checks": [{"metric": "error_rate", "op": ">", "value": 0.05, "for_s": 30,
                        "abort": True}],
        },
        DOC,
    )  # fmt: skip
    assert [f["at"] for f in out["faults"]] == [100.0, 200.0]
    assert out["checks"][0]["name"] == "error_rate > 0.05 for 30s"
    assert out["waves"][0]["peak_s"] == 300.0
    assert out["seed"] == 7


def test_targets_must_exist():
    """A fault naming a missing component is an error with its path."""
    assert problems_of({"faults": [{"at": 1, "target": "ghost", "action": "fail"}]}) == [
        "faults[0].target: no component with id 'ghost'"
    ]


def test_traffic_sources_must_be_clients():
    """Traffic changes apply to clients."""
    assert problems_of({"traffic": [{"at": 1, "source": "web", "rps": 5}]}) == [
        "traffic[0].source: web is a web_server, not a client"
    ]


def test_times_and_rates_are_checked():
    """Negative times and rates are errors."""
    assert problems_of(
        {"duration_s": -1, "traffic": [{"at": -3, "source": "users", "rps": 5}]}
    ) == [
        "duration_s: must be a number from 0.001 to 2.592e+06",
        "traffic[0].at: must be a number from 0 to 2.592e+06",
    ]


def test_checks_name_known_metrics():
    """A check's metric is a global one, or a node metric with a component."""
    assert problems_of({"checks": [{"metric": "happiness", "value": 1}]})[0].startswith(
        "checks[0].metric: must be one of: offered_rps"
    )


def test_unknown_scenario_fields_are_errors():
    """Typos are reported."""
    assert problems_of({"fault": []})[0].startswith("fault: unknown field")


@pytest.mark.parametrize(
    ("control", "message"),
    [
        ({"action": "explode", "target": "web"}, "action: must be one of: fail, recover"),
        ({"action": "fail", "target": "nope"}, "target: no component with id 'nope'"),
        ({"action": "scale", "target": "web", "instances": 0}, "instances: must be an integer"),
        ({"action": "scale", "target": "users", "instances": 2}, "target: users (client) has no"),
        ({"action": "set_rate", "target": "web", "rps": 5}, "target: web is a web_server, not a"),
        ({"action": "set_param", "target": "cache", "param": "hit_ratio", "value": 2},
         "value: must be a number from 0 to 1"),
        ({"action": "set_param", "target": "db", "param": "role", "value": "replica"},
         "param: database has no parameter 'role' to change"),
        ({"action": "flush", "target": "db"}, "target: db is a database; only a cache or cdn"),
        ({"action": "link_latency", "from": "lb", "to": "db", "ms": 5}, "from: no link lb -> db"),
    ],
)  # fmt: skip
def test_a_bad_control_raises_control_error_saying_why(control: dict, message: str):
    """Each bad control names the field and the reason."""
    with pytest.raises(ControlError) as info:
        control_or_raise(control, DOC)
    assert str(info.value).startswith(message)


def test_a_good_control_comes_back_normalised():
    """Numbers become floats; the action and target are kept."""
    assert control_or_raise({"action": "set_rate", "target": "users", "rps": 20}, DOC) == {
        "action": "set_rate", "target": "users", "rps": 20.0,
    }  # fmt: skip


def test_retry_plans_too_long_for_the_tick_are_refused_and_retry_settings_stay_fixed():
    """Retries are planned one slot per tick ahead (bounded memory), and planned when the
    run starts: a control may not change them silently."""
    from simulation.examples import get_example

    document = validate_document(get_example("retry-storm").document)
    assert validate_scenario({"tick_s": 1}, document)["tick_s"] == 1
    document["components"][0]["params"].update(retries=10, backoff_ms=600_000)
    with pytest.raises(DesignError) as caught:
        validate_scenario({"tick_s": 0.1}, document)
    assert "tick_s" in str(caught.value)
    assert "fewer retries" in str(caught.value)
    control = {"action": "set_param", "target": "users", "param": "retries", "value": 1}
    with pytest.raises(DesignError) as caught:
        validate_scenario({"faults": [{"at": 1, **control}]}, document)
    assert "retries cannot change during a run" in str(caught.value)
