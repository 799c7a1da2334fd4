"""The one error the simulator raises for bad input: it names the file, the key and the reason."""

from __future__ import annotations


class SimulatorInputError(ValueError):
    """A scenario or parameter file was refused.

    ``file`` is the path as the user gave it, ``key`` a dotted path inside the file
    (``disposal_mix.shares.custody``) and ``reason`` what is wrong, in plain words.
    """

    def __init__(self, file: str, key: str, reason: str) -> None:
        self.file = str(file)
        self.key = key
        self.reason = reason
        super().__init__(f"{self.file}: {key}: {reason}")

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "field": self.key, "reason": self.reason}
