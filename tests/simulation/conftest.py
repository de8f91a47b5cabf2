"""Hypothesis profiles: exploring locally, repeatable on CI (where a red main blocks everyone)."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")
