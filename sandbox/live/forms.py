from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from sandbox.live.scenarios import CUSTOM, resolve_scenario, scenario_choices
from sandbox.live.steering import SPEED_STEPS
from simulation import DesignError

MAX_CUSTOM_SCENARIO_CHARS = 200_000


def speed_choices() -> list[tuple[str, str]]:
    choices = [(str(s), f"{s}x") for s in SPEED_STEPS if s <= settings.LIVE_MAX_SPEED]
    if settings.LIVE_ALLOW_UNPACED:
        choices.append(("max", "as fast as possible"))
    return choices


class RunForm(forms.Form):
    """Start a run of a design: which scenario, which seed, how fast."""

    scenario = forms.ChoiceField(label="Scenario")
    scenario_json = forms.CharField(
        label="Custom scenario (JSON)",
        required=False,
        max_length=MAX_CUSTOM_SCENARIO_CHARS,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )
    seed = forms.IntegerField(label="Seed", min_value=0, max_value=2**31 - 1, required=False)
    speed = forms.ChoiceField(label="Speed", initial="1")

    def __init__(self, *args: Any, document: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.document = document
        self.choices = scenario_choices(document)
        self.fields["scenario"].choices = [(c.key, c.title) for c in self.choices] + [
            (CUSTOM, "Custom scenario (JSON below)")
        ]
        self.fields["speed"].choices = speed_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        key = data.get("scenario")
        if key is None:
            return data
        if key == CUSTOM and not data.get("scenario_json", "").strip():
            self.add_error("scenario_json", "paste a scenario as JSON, or pick another scenario")
            return data
        try:
            name, scenario = resolve_scenario(self.document, key, data.get("scenario_json", ""))
        except DesignError as exc:
            field = "scenario_json" if key == CUSTOM else "scenario"
            for problem in exc.problems:
                self.add_error(field, str(problem))
            return data
        data["scenario_name"] = name
        data["validated_scenario"] = scenario
        if data.get("seed") is None:
            data["seed"] = int(scenario.get("seed", 0)) % 2**31
        data["speed_value"] = 0.0 if data.get("speed") == "max" else float(data.get("speed", 1))
        return data
