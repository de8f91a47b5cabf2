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
    """A live control (fail, scale, set_rate, ...) that cannot be applied; the message says why."""
