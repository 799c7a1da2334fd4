"""Nothing but the security-code pages until the second factor is verified (security.md SEC-25).

Runs after AuthenticationMiddleware (last in settings.MIDDLEWARE). A signed-in user whose session is
not verified is sent to set up an authenticator app (no confirmed app yet) or to enter a code; every
other page, including the sign-in page and the Django admin, redirects there. Left alone: sign-out,
the two security-code pages, static files, and the API, which never reads the session (it signs in
only with a bearer token, turnpoint/api/auth.py, so a session cookie there is simply
unauthenticated).
"""

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .mfa import session_is_verified, totp_device_confirmed

ALWAYS_OPEN_PREFIXES = ("/static/", "/api/")


class MfaRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(ALWAYS_OPEN_PREFIXES):
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated or session_is_verified(request.session, user):
            return self.get_response(request)
        open_paths = {
            reverse("logout"),
            reverse("web:mfa_verify"),
            reverse("web:mfa_enrol"),
        }
        if request.path in open_paths:
            return self.get_response(request)
        name = "web:mfa_verify" if totp_device_confirmed(user) else "web:mfa_enrol"
        target = reverse(name)
        if request.method == "GET" and request.path != reverse("login"):
            target += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            # htmx follows a 302 inside the page; HX-Redirect sends the whole window instead.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
