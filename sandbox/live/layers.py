"""The in-memory channel layer of the embedded set-up, made cheaper for many viewers."""

from __future__ import annotations

import time

from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer

SWEEP_EVERY_S = 1.0


class InMemoryChannelLayer(ChannelsInMemoryChannelLayer):
    """Channels' in-memory layer, sweeping expired messages at most once a second.

    Channels sweeps every channel and group on each receive and group send: a frame
    to 100 viewers made 101 sweeps over 100 channels. Messages live for `expiry`
    (60 s), so a sweep a second expires them just as well.
    """

    _last_sweep = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < SWEEP_EVERY_S:
            return
        self._last_sweep = now
        super()._clean_expired()
