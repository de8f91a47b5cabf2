"""How evenly a balancer dealing by weight spreads arrivals over instances.

A weighted balancer picks targets by smooth weighted round robin (nginx's algorithm) and
each target's instances take its picks in turn. An instance then receives every g-th
arrival, with g varying around its mean 1/share: with weights 3:1 the heavy target sees
gaps of 1, 2, 1 arrivals. That spread makes its arrivals burstier than an even deal
(which gives ca2 = share per instance); ``gap_variances`` measures it.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import pairwise

WINDOW = 4096  # picks simulated: the gap variance of any weights to well under 1%


@lru_cache(maxsize=256)
def gap_variances(weights: tuple[float, ...], instances: tuple[int, ...]) -> tuple[float, ...]:
    """Per target: the variance of the number of arrivals between two that reach the same
    instance of it (0 for a perfectly even deal)."""
    total = sum(weights)
    score = [0.0] * len(weights)
    picks: list[list[int]] = [[] for _ in weights]
    order = range(len(weights))
    for n in range(WINDOW):
        for j in order:
            score[j] += weights[j]
        best = max(order, key=score.__getitem__)
        score[best] -= total
        picks[best].append(n)
    variances = []
    for positions, count in zip(picks, instances, strict=True):
        gaps = []
        for r in range(count):
            mine = positions[r::count]  # the picks instance r takes
            gaps += [later - earlier for earlier, later in pairwise(mine)]
        if len(gaps) < 2:
            variances.append(0.0)
            continue
        mean = sum(gaps) / len(gaps)
        variances.append(sum((g - mean) ** 2 for g in gaps) / len(gaps))
    return tuple(variances)
