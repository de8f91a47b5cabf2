"""Autoscaling: after each tick, tiers with ``autoscale`` on follow their demand."""

from __future__ import annotations

import math

from .components.base import EPS
from .components.params import instance_capacity
from .controls import Controls
from .frame import NodeFrame
from .state import State


class Autoscaler:
    """Scales each autoscaling tier towards ``target_util`` of its arrivals, within its
    instance bounds, at most once per ``cooldown_s`` (docs/model.md, "Autoscaling")."""

    def __init__(self, state: State, controls: Controls) -> None:
        self.state = state
        self.controls = controls
        m = state.model
        self.scalers = [i for i in m.order if "autoscale" in m.params[i]]

    def after_tick(self, nodes: list[NodeFrame]) -> None:
        state = self.state
        for i in self.scalers:
            p = state.params[i]
            if not p["autoscale"]:
                continue
            if state.now - state.last_scale[i] < p["cooldown_s"] - EPS:
                continue
            node = nodes[i]
            alive = node.ready
            per_instance = instance_capacity(p)
            dead = len(state.dead_times[i])
            current = state.inst[i] + len(state.starting[i]) - dead
            needed = current
            if per_instance > 0:
                # Enough instances to serve the arrivals at the target utilisation; the
                # headroom above the target drains a backlog. Only a backlog that even a
                # fully used fleet could not drain before the next decision takes effect
                # asks for more (counting it as one tick's demand overshoots after a step).
                horizon = max(p["provision_s"] + p["cooldown_s"], state.dt)
                needed = max(
                    node.offered / (per_instance * p["target_util"]),
                    (node.offered + node.queued / horizon) / per_instance,
                )
            desired = min(max(math.ceil(needed - 1e-6), p["min_instances"]), p["max_instances"])
            if alive == 0 and not state.starting[i] and i not in state.resizing:
                desired = max(desired, current + 1)
            if desired > current or (desired < current and needed < current * 0.8):
                self.controls.scale_to(i, desired + dead, "autoscaled")
                state.last_scale[i] = state.now
