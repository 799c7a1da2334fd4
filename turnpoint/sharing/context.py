"""Per-request facts the audit log records (request id, client address), and what the policy
may remember for the rest of one request (`memo`)."""

import contextvars
import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestContext:
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    client_ip: str | None = None
    channel: str = "system"
    # Answers the policy looks up once per request (the ids of a user's team programmes). Only
    # a request has one to keep: outside a request `current()` gives a new, empty one each time,
    # so commands and tests always read afresh.
    memo: dict = field(default_factory=dict, compare=False, repr=False)


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "turnpoint_request_context", default=None
)


def current() -> RequestContext:
    ctx = _current.get()
    return ctx if ctx is not None else RequestContext()


def activate(ctx: RequestContext) -> contextvars.Token:
    return _current.set(ctx)


def deactivate(token: contextvars.Token) -> None:
    _current.reset(token)
