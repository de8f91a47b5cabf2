"""Facts from the simulation that pages hand to their scripts as json_script data.

``{% load page_data %}{% kind_looks as looks %}{{ looks|json_script:"kind-looks" }}``, and
``metric_names`` for "metric-names".
"""

from __future__ import annotations

from django import template

import simulation

register = template.Library()


@register.simple_tag
def kind_looks() -> dict[str, dict[str, str]]:
    """Each kind's shape, colour, id prefix, label and role (the diagram draws with them)."""
    return simulation.kind_looks()


@register.simple_tag
def metric_names() -> dict[str, list]:
    """The metrics of a frame: key, label, unit, format and chart colour."""
    return simulation.metric_names_json()
