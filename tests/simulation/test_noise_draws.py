"""The noise's random draws: the same numbers, whichever way they are drawn."""

from __future__ import annotations

import random

from simulation.noise import normal_pair


def test_a_normal_pair_is_two_gauss_calls_whatever_gauss_kept():
    """``normal_pair`` gives the numbers two ``gauss(0, 1)`` calls give and leaves the
    generator as they do, also after an odd number of other gauss calls (a client's
    Poisson draw for a large mean) left one normal kept."""
    ours, theirs = random.Random(4), random.Random(4)
    for draw in range(3000):
        if draw % 7 == 0:
            assert ours.gauss(30.0, 5.0) == theirs.gauss(30.0, 5.0)
        assert normal_pair(ours) == (theirs.gauss(0.0, 1.0), theirs.gauss(0.0, 1.0))
        assert ours.getstate() == theirs.getstate()
        assert ours.gauss_next == theirs.gauss_next
