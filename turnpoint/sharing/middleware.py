from django.core.exceptions import PermissionDenied

from . import context
from .audit import audit_denial
from .reach import OutOfReach


class RequestContextMiddleware:
    """Gives every request an id (also sent back as X-Request-ID) for the audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "api" if request.path.startswith("/api/") else "web"
        ctx = context.RequestContext(client_ip=request.META.get("REMOTE_ADDR"), channel=channel)
        request.request_id = ctx.request_id
        token = context.activate(ctx)
        try:
            response = self.get_response(request)
        finally:
            context.deactivate(token)
        response["X-Request-ID"] = ctx.request_id
        return response


CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Inline style attributes are allowed (charts and components set widths); scripts are not.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


class SecureHeadersMiddleware:
    """Content-Security-Policy on every response, and `Cache-Control: no-store` on everything but
    static files, so no page or API response with participant data is kept by a browser or proxy
    (security.md SEC-28)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        return response


class DenialAuditMiddleware:
    """Audit every page request refused to a user (security.md SEC-20): a 403, with the reason
    the policy gave, and a "not found" for a record that exists but is out of the user's reach
    (`policy.OutOfReach`), with the object. The API audits its own refusals (api/errors.py).
    Sits inside RequestContextMiddleware so the entry carries the request id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/"):
            return response
        denial = getattr(request, "_denial", None)
        if response.status_code == 403 and denial is None:
            denial = {"reason": getattr(response, "denial_reason", "") or "refused"}
        if denial is not None and response.status_code in (403, 404):
            user = getattr(request, "user", None)
            audit_denial(
                user if user is not None and user.is_authenticated else None,
                route=f"{request.method} {request.path}",
                **denial,
            )
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied):
            request._denial = {"reason": str(exception) or "permission denied"}
        elif isinstance(exception, OutOfReach):
            request._denial = {
                "reason": f"the {exception.kind} is not in your caseload",
                "obj_type": exception.kind,
                "obj_id": exception.pk,
            }
