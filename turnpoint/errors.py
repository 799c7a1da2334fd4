"""One shape for every validation problem, used by the API, the loaders and the CLI alike:
`{"errors": [{"field": "offence_date", "reason": "is in the future"}]}` (STYLE.md rule 10)."""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason


class InvalidInput(Exception):
    """Input was refused; nothing was changed. Carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    def as_json(self) -> dict:
        return {"errors": [asdict(p) for p in self.problems]}


class Conflict(Exception):
    """The record changed since it was read (optimistic locking, security.md SEC-34)."""
