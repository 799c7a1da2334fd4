"""Every API error has one body: `{"errors": [{"field": ..., "reason": ...}]}`, built by the one
formatter in turnpoint/errors.py (STYLE.md rule 10). Statuses:

- 400 the request is malformed or a value is invalid (schema, unknown field, service rule);
- 401 no valid token; 403 the policy refused the action (and the refusal is audited, SEC-20);
- 404 missing and forbidden alike (SEC-02);
- 409 the current state conflicts: an illegal transition, a stale version on a transition, the
  same Idempotency-Key still in progress, or a new participant who is probably someone already
  recorded (the body also names the `candidates` the caller may see);
- 412 a stale If-Match or version on an update; 428 an update without one (SEC-34);
- 413 the body is longer than `DATA_UPLOAD_MAX_MEMORY_SIZE`; 415 a body that is not JSON (SEC-45);
- 422 an Idempotency-Key reused with a different body (SEC-35).
"""

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.request_limits import too_large_message
from turnpoint.sharing import context
from turnpoint.sharing.audit import audit_denial, audit_write
from turnpoint.sharing.reach import OutOfReach
from turnpoint.sharing.rules import PolicyDenied

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error with its HTTP status and the problems to report."""

    def __init__(self, status: int, problems: list[Problem] | Problem, extra: dict | None = None):
        self.status = status
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        self.extra = extra or {}  # more of the body beside "errors" (a 409's candidates)
        super().__init__("; ".join(str(p) for p in self.problems))


def problem_body(problems: list[Problem]) -> dict:
    return InvalidInput(problems).as_json()


# Plain words for the pydantic error types a client meets most.
_REASONS = {
    "extra_forbidden": "is not a field you can set",
    "missing": "is required",
    "date_from_datetime_parsing": "is not a date (use YYYY-MM-DD)",
    "date_parsing": "is not a date (use YYYY-MM-DD)",
    "date_type": "is not a date (use YYYY-MM-DD)",
    "int_parsing": "is not a whole number",
    "int_type": "is not a whole number",
    "bool_parsing": "is not true or false",
    "bool_type": "is not true or false",
    "string_type": "is not text",
    "model_attributes_type": "is not an object",
    "dict_type": "is not an object",
}

# The names ninja gives its parameter sources, and our body parameter names, left out of "field".
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
_BODY_PARAMS = {"payload"}


def field_name(loc) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    if parts and parts[0] in _BODY_PARAMS:
        parts = parts[1:]
    return ".".join(parts)


def validation_problems(errors: list[dict]) -> list[Problem]:
    problems = []
    for error in errors:
        reason = _REASONS.get(error.get("type", ""))
        if reason is None:
            msg = str(error.get("msg", "is not valid"))
            msg = msg.removeprefix("Value error, ")
            reason = msg[:1].lower() + msg[1:]
        problems.append(Problem(field_name(error.get("loc", ())), reason))
    return problems


def install(api: NinjaAPI) -> None:
    """Replace ninja's handlers so every error takes the one shape."""

    def respond(request, status: int, problems: list[Problem], extra=None, **headers):
        body = {**problem_body(problems), **(extra or {})}
        response = api.create_response(request, body, status=status)
        for name, value in headers.items():
            response[name.replace("_", "-")] = value
        return response

    @api.exception_handler(ValidationError)
    def on_validation(request: HttpRequest, exc: ValidationError):
        return respond(request, 400, validation_problems(exc.errors))

    @api.exception_handler(InvalidInput)
    def on_invalid(request: HttpRequest, exc: InvalidInput):
        return respond(request, 400, exc.problems)

    @api.exception_handler(ApiError)
    def on_api_error(request: HttpRequest, exc: ApiError):
        return respond(request, exc.status, exc.problems, exc.extra)

    @api.exception_handler(Conflict)
    def on_conflict(request: HttpRequest, exc: Conflict):
        return respond(request, 409, [Problem("version", str(exc))])

    @api.exception_handler(PolicyDenied)
    def on_denied(request: HttpRequest, exc: PolicyDenied):
        user = getattr(request, "auth", None)
        audit_write(
            acting_user=user,
            action="denied",
            detail={"route": f"{request.method} {request.path}", "reason": str(exc)},
        )
        return respond(request, 403, [Problem("", str(exc))])

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404):
        if isinstance(exc, OutOfReach):  # answered as "not found" alike; audited (SEC-20)
            audit_denial(
                getattr(request, "auth", None), route=f"{request.method} {request.path}",
                reason=f"the {exc.kind} is not in your caseload", obj_type=exc.kind,
                obj_id=exc.pk,
            )  # fmt: skip
        return respond(request, 404, [Problem("", "not found")])

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError):
        reason = "sign in with a token: send the header 'Authorization: Bearer <token>'"
        return respond(request, 401, [Problem("Authorization", reason)], WWW_Authenticate="Bearer")

    @api.exception_handler(RequestDataTooBig)
    def on_too_big(request: HttpRequest, exc: RequestDataTooBig):
        # RequestLimitsMiddleware refuses a declared length first; this catches the rest (SEC-45).
        return respond(request, 413, [Problem("body", too_large_message())])

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError):
        return respond(request, exc.status_code, [Problem("", str(exc))])

    @api.exception_handler(Exception)
    def on_unexpected(request: HttpRequest, exc: Exception):
        # SEC-23: no stack trace, SQL or settings in the answer; the request id finds the log.
        request_id = context.current().request_id
        logger.exception("API error in request %s", request_id)
        reason = f"something went wrong on our side; quote request id {request_id}"
        return respond(request, 500, [Problem("", reason)])
