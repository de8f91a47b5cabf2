"""`{% live_run_panel as panel %}`: the run panel's data on a design page."""

from __future__ import annotations

from typing import Any

from django import template

from sandbox.live.views import panel_context

register = template.Library()


@register.simple_tag(takes_context=True)
def live_run_panel(context: template.Context) -> dict[str, Any]:
    """The panel for the page's `design`, run through its `share_token` when there is one."""
    return panel_context(context["request"], context["design"], context.get("share_token") or "")
