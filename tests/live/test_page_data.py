"""The run page hands its scripts the kinds' looks and the metric names as page data."""

from __future__ import annotations

import json
import re
from typing import Any

from django.test import Client
from django.urls import reverse

from sandbox.live.series import SERIES_COLUMNS
from simulation import kind_looks, metric_names, metric_names_json


def _json_script(html: str, element_id: str) -> Any:
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, f"the page has the {element_id} json_script"
    return json.loads(match.group(1))


def test_the_run_page_carries_the_kinds_looks_and_the_metric_names(
    alice_client: Client, make_run: Any
) -> None:
    run = make_run()
    response = alice_client.get(reverse("live:run_detail", args=[run.pk]))
    assert response.status_code == 200
    assert _json_script(response.text, "kind-looks") == kind_looks()
    assert _json_script(response.text, "metric-names") == metric_names_json()


def test_the_runs_series_columns_come_from_the_metric_names() -> None:
    assert SERIES_COLUMNS is metric_names.SERIES_COLUMNS
