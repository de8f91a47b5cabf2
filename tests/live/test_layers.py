"""The embedded channel layer sweeps expired messages, at most once a second."""

from __future__ import annotations

import asyncio
import time

import pytest

from sandbox.live.layers import SWEEP_EVERY_S, InMemoryChannelLayer


@pytest.mark.asyncio
async def test_expired_messages_go_at_the_next_sweep_not_before() -> None:
    layer = InMemoryChannelLayer(expiry=0.01)
    await layer.send("first", {"type": "x"})
    await asyncio.sleep(0.05)
    layer._clean_expired()
    assert "first" not in layer.channels
    await layer.send("second", {"type": "x"})
    await asyncio.sleep(0.05)
    layer._clean_expired()
    assert "second" in layer.channels, "swept again within the second"
    layer._last_sweep = time.monotonic() - SWEEP_EVERY_S
    layer._clean_expired()
    assert "second" not in layer.channels


@pytest.mark.asyncio
async def test_it_still_delivers_to_groups() -> None:
    layer = InMemoryChannelLayer()
    await layer.group_add("run.x", "viewer")
    await layer.group_send("run.x", {"type": "run.frame", "tick": 1})
    assert (await layer.receive("viewer"))["tick"] == 1
