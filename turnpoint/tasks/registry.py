"""The registry of background tasks: a name, the function the worker calls, and how it is
retried. Register with one line in turnpoint/tasks/jobs.py (docs/tasks.md, "Adding a task")."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Registered:
    name: str
    func: Callable[..., Any]
    daily: bool
    # None: the settings' TURNPOINT_TASK_ATTEMPTS / TURNPOINT_TASK_BACKOFF_SECONDS.
    attempts: int | None
    backoff_seconds: int | None


REGISTRY: dict[str, Registered] = {}


def register(
    name: str,
    func: Callable[..., Any],
    *,
    daily: bool = False,
    attempts: int | None = None,
    backoff_seconds: int | None = None,
) -> Callable[..., Any]:
    """Register `func` as the background task `name`; `daily=True` also puts it on the daily
    schedule. The function takes keyword arguments that JSON can carry and returns a value JSON
    can carry (or None); it may run more than once (a retry), so it must be safe to repeat."""
    if not name or len(name) > 100:
        raise ValueError(f"task name {name!r}: must be 1 to 100 characters")
    if name in REGISTRY and REGISTRY[name].func is not func:
        raise ValueError(f"task name {name!r}: already registered for another function")
    if attempts is not None and attempts < 1:
        raise ValueError(f"task {name!r}: attempts must be 1 or more")
    if backoff_seconds is not None and backoff_seconds < 0:
        raise ValueError(f"task {name!r}: backoff_seconds must be 0 or more")
    REGISTRY[name] = Registered(name, func, daily, attempts, backoff_seconds)
    return func


def registered(name: str) -> Registered | None:
    return REGISTRY.get(name)


def daily_tasks() -> list[Registered]:
    return sorted((r for r in REGISTRY.values() if r.daily), key=lambda r: r.name)
