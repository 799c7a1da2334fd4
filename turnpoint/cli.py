"""Helpers shared by Turnpoint's subcommands: `--json` output and clear failures."""

import json
from typing import NoReturn

from django.core.management.base import CommandError


def emit(command, payload, *, as_json: bool, text: str) -> None:
    """Print `payload` as JSON for scripts, or `text` for people."""
    command.stdout.write(json.dumps(payload, indent=2, default=str) if as_json else text)


def fail(command, problems: list[str], *, as_json: bool, headline: str) -> NoReturn:
    """Report every problem and exit non-zero (CommandError exits with status 1)."""
    if as_json:
        command.stdout.write(json.dumps({"ok": False, "errors": problems}, indent=2))
        raise CommandError(headline)
    raise CommandError(headline + "\n" + "\n".join(f"  - {p}" for p in problems))
