"""Design documents on the web side: parsing request bodies, validating with the engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

import simulation
from sandbox import jsontext


@dataclass(frozen=True)
class InputProblem:
    """One thing wrong with a request, shaped like the engine's Problem."""

    path: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class InputError(Exception):
    """A request that cannot be used; `problems` lists everything wrong with it."""

    def __init__(self, problems: list[Any]) -> None:
        super().__init__(
            "; ".join(f"{p.path}: {p.message}" if p.path else p.message for p in problems)
        )
        self.problems = problems

    def to_json(self) -> list[dict[str, str]]:
        return [{"path": p.path, "message": p.message} for p in self.problems]


def limits() -> simulation.Limits:
    return simulation.Limits(
        max_components=settings.SANDBOX_MAX_COMPONENTS,
        max_links=settings.SANDBOX_MAX_LINKS,
        max_bytes=settings.SANDBOX_MAX_DOCUMENT_BYTES,
    )


def check_document(document: Any, prefix: str = "") -> dict[str, Any]:
    """Validate `document` with the engine; raise InputError listing every problem.

    Returns the document as given (the stored form is what the user wrote; the engine
    fills in defaults again whenever it reads it). `prefix` is put in front of every path
    when the document sits inside a bigger request body.
    """
    problems: list[InputProblem] = []
    try:
        simulation.validate_document(document, limits())
    except simulation.DesignError as error:
        problems = [_prefixed(p, prefix) for p in error.problems]
    if isinstance(document, dict):  # else the engine's one problem says it all
        problems += unstorable_text(document, prefix)
    if problems:
        raise InputError(problems)
    return document


def unstorable_text(value: Any, path: str = "") -> list[InputProblem]:
    """Every string (or object key) in a JSON value that the database cannot store.

    PostgreSQL refuses NUL in text and JSON, and a lone surrogate (which JSON can escape)
    cannot be encoded as UTF-8 at all; both are valid JSON, and the engine checks designs,
    not storage. Walks with a stack: parsed JSON may be nested deeper than Python recursion
    goes.
    """
    problems = []
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        children: list[tuple[str, Any]] = []
        if isinstance(item, str):
            if wrong := _unstorable(item):
                problems.append(InputProblem(where, f"contains {wrong}"))
        elif isinstance(item, dict):
            for key, inner in item.items():
                if wrong := _unstorable(str(key)):
                    # The key is named by its repr, and kept out of the paths below it:
                    # a path is shown as it is, and a lone surrogate cannot be sent.
                    problems.append(InputProblem(where, f"the key {key!r} contains {wrong}"))
                    children.append((where, inner))
                else:
                    children.append((f"{where}.{key}" if where else str(key), inner))
        elif isinstance(item, list):
            children = [(f"{where}[{i}]", inner) for i, inner in enumerate(item)]
        stack.extend(reversed(children))  # popped in document order
    return problems


def _unstorable(text: str) -> str:
    if "\x00" in text:
        return "a NUL character (\\u0000), which cannot be stored"
    try:
        text.encode()
    except UnicodeEncodeError:
        return "a lone surrogate (\\ud800 to \\udfff), which is not Unicode text"
    return ""


def _prefixed(problem: Any, prefix: str) -> InputProblem:
    if not prefix:
        return InputProblem(problem.path, problem.message)
    if not problem.path:
        return InputProblem(prefix, problem.message)
    joiner = "" if problem.path.startswith("[") else "."
    return InputProblem(f"{prefix}{joiner}{problem.path}", problem.message)


def parse_json(raw: bytes, what: str = "the request body") -> Any:
    """Decode JSON bytes; raise InputError naming the line and column of a syntax error."""
    if len(raw) > settings.SANDBOX_MAX_DOCUMENT_BYTES + 64_000:
        raise InputError(
            [
                InputProblem(
                    "",
                    f"{what} is {len(raw)} bytes; at most "
                    f"{settings.SANDBOX_MAX_DOCUMENT_BYTES} bytes of document are allowed",
                )
            ]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            [InputProblem("", f"{what} is not UTF-8 text (byte {error.start})")]
        ) from None
    if not text.strip():
        raise InputError([InputProblem("", f"{what} is empty; expected a JSON object")])
    try:
        return jsontext.loads(text)
    except jsontext.JSONTextError as error:
        raise InputError([InputProblem("", f"{what} is not valid JSON: {error}")]) from None


def document_name(document: dict[str, Any], fallback: str = "Untitled design") -> str:
    name = document.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()[:120]
    return fallback


def blank_document(name: str) -> dict[str, Any]:
    return {"format": 1, "name": name, "components": [], "links": []}
