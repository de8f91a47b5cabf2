"""JSON text from users (request bodies, uploads, form fields, socket messages), decoded
with one error for everything Python's json module refuses."""

from __future__ import annotations

import json
import sys
from typing import Any


class JSONTextError(ValueError):
    """Text that is not JSON the server can read; the message says what and where."""


def loads(text: str) -> Any:
    """Decode JSON text; raise JSONTextError for anything json.loads cannot decode.

    Beyond syntax errors (with their line and column), json.loads raises RecursionError
    for arrays or objects nested about a thousand deep and a bare ValueError for an integer
    of more digits than Python converts (4300 by default): both are the sender's mistakes.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise JSONTextError(f"{error.msg} at line {error.lineno}, column {error.colno}") from None
    except RecursionError:
        raise JSONTextError("arrays or objects nested too deeply") from None
    except ValueError:
        raise JSONTextError(
            f"a number with more than {sys.get_int_max_str_digits()} digits"
        ) from None
