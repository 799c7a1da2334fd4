"""What every endpoint module shares: pagination, category-shaped output, versions.

Minimum necessary (security.md SEC-04): each output field belongs to a data category, and a
response carries only the fields of categories the policy lets this user read for that
programme. Fields left out are absent, not null, so a client cannot mistake "withheld" for
"empty".
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404
from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField

from turnpoint.errors import Problem
from turnpoint.sharing.audit import audit_denial
from turnpoint.sharing.filters import filter_refusals
from turnpoint.sharing.reach import readable_categories

from .errors import ApiError

MAX_LIMIT = 1000
MAX_OFFSET = 10**12
# Ids are 64-bit on every database; a larger number is a record that cannot exist, not an error.
MAX_ID = 2**63 - 1
MAX_VERSION = 2**31 - 1  # versions are 32-bit columns


class OutSchema(BaseModel):
    """A response body. Plain pydantic rather than ninja's Schema: endpoints hand it dicts
    already shaped by category, and ninja's attribute resolver made a 1000-row page several
    times slower for nothing."""

    model_config = ConfigDict(from_attributes=True)


class WriteSchema(Schema):
    """A request body: any field it does not declare is refused by name (no mass assignment,
    security.md SEC-31), so `synthetic`, `version` or `agency` cannot be slipped in."""

    model_config = ConfigDict(extra="forbid")


class PageQuery(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description=f"At most {MAX_LIMIT}.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def id_field(description: str):
    return Field(None, ge=1, le=MAX_ID, description=description)


def reachable_id(pk: int) -> int:
    """Refuse ids no database can hold the same way as missing ones (404)."""
    if not 1 <= pk <= MAX_ID:
        raise Http404("No such record")
    return pk


class ErrorOut(BaseModel):
    field: str = PydanticField(description="The field, header or parameter; '' for the request.")
    reason: str


class ErrorsOut(BaseModel):
    """The body of every error response (docs/api.md, "Errors")."""

    errors: list[ErrorOut]


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "Makes a retried POST safe: a repeat returns the first response "
    "(docs/api.md, 'Idempotent POSTs').",
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": '^(W/)?"?[0-9]+"?$'},
    "description": 'The ETag you read, e.g. "3": refused with 412 if the record changed since.',
}


def header_params(*parameters: dict) -> dict:
    """Document request headers the endpoint reads itself (as `openapi_extra`)."""
    return {"parameters": list(parameters)}


def responses(ok: dict, *codes: int) -> dict:
    """A route's documented responses: its success plus the error statuses it can answer
    (every route can answer 401)."""
    return {**ok, **dict.fromkeys(sorted({401, *codes}), ErrorsOut)}


def page(
    queryset,
    query: PageQuery,
    dump: Callable[[list], list[dict]],
    count: Callable[[], int] | None = None,
    read: Callable[[Any], list] = list,
) -> dict:
    """One count and one page query, whatever the page size. `count` answers the count when the
    queryset's own would be dearer (`reach.caseload_count`); `read` reads the page's sliced
    queryset (a selector, `reads.participants_list`, records what it shows)."""
    count = count() if count is not None else queryset.count()
    rows = read(queryset[query.offset : query.offset + query.limit])
    return {"count": count, "limit": query.limit, "offset": query.offset, "items": dump(rows)}


def refuse_oracles(
    request, filters: PageQuery, shape: "Shape | None", *, on: dict[str, str | None], programmes=()
) -> None:
    """No filter oracle (security.md SEC-44). `on` maps each filter the list offers to the output
    field of `shape` it narrows by (None: a value every reader of the list sees). A query
    parameter the list does not offer (a sort, a search, another field) is refused with 400
    rather than ignored; a filter on a field of a category the user may not read in
    `programmes` (the programmes the list spans) with 403, audited (SEC-20). Either way nothing
    is counted or listed."""
    offered = ["limit", "offset", *on]
    unknown = [
        Problem(name, f"is not a parameter of this list; it takes: {', '.join(offered)}")
        for name in request.GET
        if name not in offered
    ]
    if unknown:
        raise ApiError(400, unknown)
    used = {
        name: shape.category_of(field) if shape is not None and field is not None else None
        for name, field in on.items()
        if getattr(filters, name) is not None
    }
    refused = filter_refusals(request.auth, used, programmes=programmes)
    if refused:
        route = f"{request.method} {request.path}"
        audit_denial(request.auth, route=route, reason="; ".join(map(str, refused)))
        raise ApiError(403, refused)


def may_order_by(user, shape: "Shape", name: str) -> bool:
    """Whether a list may keep its order by output field `name` for this user: a list in the
    order of a field the reader may not read would reveal it (SEC-44). Decided on role defaults
    alone, which programme switches only ever widen."""
    return not filter_refusals(user, {name: shape.category_of(name)}, programmes=())


@dataclass(frozen=True)
class Shape:
    """Which output field belongs to which data category, for one kind of record."""

    always: tuple[str, ...]
    by_category: dict[str, tuple[str, ...]]
    getters: dict[str, Callable[[Any], Any]] = field(default_factory=dict)

    def field_names(self) -> set[str]:
        return set(self.always).union(*self.by_category.values())

    def category_of(self, name: str) -> str | None:
        """The data category of output field `name`; None for a field every reader sees."""
        for category, names in self.by_category.items():
            if name in names:
                return category
        if name not in self.always:
            raise KeyError(name)
        return None

    def shown(self, readable) -> list[str]:
        return [c for c in self.by_category if c in readable]

    def dump(self, obj, readable) -> dict:
        names = list(self.always)
        for category in self.shown(readable):
            names.extend(self.by_category[category])
        return {n: self.getters[n](obj) if n in self.getters else getattr(obj, n) for n in names}


class Readable:
    """The categories a user may read, per programme, asked once per programme per request."""

    def __init__(self, user):
        self.user = user
        self._cache: dict[int | None, frozenset[str]] = {}

    def __call__(self, programme) -> frozenset[str]:
        key = programme.pk if programme is not None else None
        if key not in self._cache:
            self._cache[key] = readable_categories(self.user, programme=programme)
        return self._cache[key]


def as_json(schema: type[BaseModel], data: dict) -> dict:
    """Validate `data` against the declared response schema and dump it as the values to encode,
    for responses built by hand (idempotent POSTs store exactly what they send)."""
    return schema.model_validate(data).model_dump(exclude_unset=True)


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_version(request) -> int | None:
    """The version an `If-Match: "<version>"` header names, or None when there is none."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_VERSION):
        raise ApiError(400, Problem("If-Match", 'must be the ETag you read, e.g. If-Match: "3"'))
    return int(value)


def expected_version(request, body_version: int | None, *, required: bool) -> int | None:
    """The version a write was based on, from If-Match or the body; 428 when required and absent
    (RFC 6585 §3, security.md SEC-34)."""
    header = if_match_version(request)
    if header is not None and body_version is not None and header != body_version:
        raise ApiError(400, Problem("version", "does not match the If-Match header"))
    version = header if header is not None else body_version
    if version is None and required:
        raise ApiError(
            428,
            Problem(
                "If-Match",
                "is required: send the ETag you read (If-Match: \"<version>\") or a 'version' "
                "field, so a change made by someone else since is not overwritten",
            ),
        )
    return version
