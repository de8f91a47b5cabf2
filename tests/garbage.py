"""Garbage for the web tests: JSON values and form text of every wrong kind, and ways to put
them into otherwise valid payloads."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

# Text the layers below the views trip over: NUL (PostgreSQL text refuses it), a lone
# surrogate (not encodable as UTF-8), markup, numbers that are too long or not numbers.
NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x" * 10_000,
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "9" * 30,
    "1e999",
    "NaN",
    "-1",
    "0",
    "١٢٣",
    "\u202eevil",
]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([-1, 0, 2**31, 2**63, 10**30, -(10**30)])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
    | st.sampled_from(NASTY_TEXT)
)

# Any JSON value Python's json module writes (NaN and Infinity included).
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=6) | st.sampled_from(NASTY_TEXT), inner, max_size=3)
    ),
    max_leaves=6,
)

# Form fields and query strings are text: of the wrong kind, too long, or none at all (HTTP
# carries no lone surrogate: Django decodes form data with errors="replace").
FORM_GARBAGE = [
    *(text for text in NASTY_TEXT if text != "\ud800"),
    "   padded   ",
    "1.5",
    "-0",
    "1e5",
    "0x10",
    "9" * 5000,
    "x" * 100_000,
    "None",
    "[]",
    "{}",
    "%00",
    "true",
]
form_text = st.sampled_from(FORM_GARBAGE) | st.text(
    st.characters(exclude_categories=["Cs"]), max_size=20
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place inside a JSON value (keys of objects, indexes of lists)."""
    out = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            out += paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            out += paths(inner, (*prefix, index))
    return out


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A copy of ``value`` with the place at ``path`` holding ``new`` (the whole at ())."""
    if not path:
        return new
    out = copy.deepcopy(value)
    holder = out
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = new
    return out


@st.composite
def broken(draw: st.DrawFn, value: Any, *, keep_root: bool = False) -> Any:
    """``value`` with one to three places replaced by any JSON value (never the whole of
    it with ``keep_root``)."""
    for _ in range(draw(st.integers(1, 3))):
        places = paths(value)
        if keep_root and len(places) > 1:
            places = places[1:]
        value = replaced(value, draw(st.sampled_from(places)), draw(json_values))
    return value
