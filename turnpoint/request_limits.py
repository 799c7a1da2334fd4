"""Oversized and mistyped requests get a clear answer, never a 500 (security.md SEC-45).

A body longer than `DATA_UPLOAD_MAX_MEMORY_SIZE` is refused with 413 before anything reads it
(Turnpoint takes no file uploads, so the limit is the whole body's). A write under /api/ with a
body that is not JSON is refused with 415. The API answers in its one error shape
(`{"errors": [...]}`); pages answer with a plain page. Runs after the request-context and
secure-headers middleware, so these answers carry the request id and the secure headers.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template import loader

from turnpoint.errors import InvalidInput, Problem

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def too_large_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return f"is longer than this service accepts: send at most {limit:,} bytes"


def refused(request, status: int, problem: Problem) -> HttpResponse:
    if is_api(request):
        return JsonResponse(InvalidInput(problem).as_json(), status=status)
    html = loader.get_template("refused.html").render(
        {
            "status": status,
            "reason": f"{problem.field} {problem.reason}",
            "request_id": getattr(request, "request_id", ""),
        }
    )
    return HttpResponse(html, status=status)


def too_large(request) -> HttpResponse:
    return refused(request, 413, Problem("body", too_large_message()))


class RequestLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw_length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw_length)
        except ValueError:
            return refused(request, 400, Problem("Content-Length", "is not a whole number"))
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return too_large(request)
        content_type = request.META.get("CONTENT_TYPE", "")
        writes = is_api(request) and request.method in BODY_METHODS and length > 0
        if writes and not is_json(content_type):
            sent = content_type.split(";", 1)[0].strip() or "none"
            reason = f"must be application/json (the body is JSON); got {sent}"
            return refused(request, 415, Problem("Content-Type", reason))
        return self.get_response(request)
