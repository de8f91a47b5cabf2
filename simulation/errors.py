"""Errors raised by the simulation package: bad documents, bad scenarios, bad controls."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located by a path such as ``components[3].params.rps``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def to_json(self) -> dict:
        return {"path": self.path, "message": self.message}


def label_of(comp: dict) -> str:
    """The name users gave a component: its label, or its id when it has none."""
    label = comp.get("label")
    return label if isinstance(label, str) and label else comp["id"]


def named(comp: dict) -> str:
    """A component as a problem names it: ``'Checkout web' (id web-1)``, by the label users
    gave it with the id the path and the document use; just its id when it has no label."""
    label = label_of(comp)
    return comp["id"] if label == comp["id"] else f"'{label}' (id {comp['id']})"


class DesignError(ValueError):
    """A design document or scenario is invalid; ``problems`` lists every error found."""

    def __init__(self, problems: list[Problem] | Problem | str, message: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems, message or "invalid")]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems) or "invalid document")


class ControlError(ValueError):
    """A control that cannot be applied: ``path`` names what is wrong (``target``,
    ``scale.instances``, an action, or "" for the whole message) and ``message`` says why.

    One type for every refusal on the way from the socket to the engine; ``str()`` gives
    ``path: message`` as a Problem does.
    """

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(str(Problem(path, message)))

    @classmethod
    def from_problems(cls, problems: list[Problem]) -> ControlError:
        """The first problem's path; the message goes on with the others (``a; b: c``)."""
        first, *rest = problems
        return cls(first.path, "; ".join([first.message, *(str(p) for p in rest)]))
