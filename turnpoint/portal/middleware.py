"""A participant's session reaches the portal and nothing of the staff service (docs/portal.md).

Runs after the second-factor middleware. A participant signed in and past the security code
may open the portal, their sessions page, sign-out and the security-code pages; the address of
the service ("/") takes them to the portal; every other page answers 403, whatever its own
checks would have said. The API is closed to them by its authentication (turnpoint/api/auth.py).
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from turnpoint.accounts.models import Role

OPEN_PREFIXES = ("/static/", "/api/", "/portal/")
OPEN_NAMES = ("login", "logout", "web:mfa_verify", "web:mfa_enrol", "web:account_sessions")


class PortalBoundaryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths = self._service_root = None

    def __call__(self, request):
        user = request.user
        if (
            not user.is_authenticated
            or user.role != Role.PARTICIPANT
            or request.path.startswith(OPEN_PREFIXES)
        ):
            return self.get_response(request)
        if self._open_paths is None:  # the URLconf is loaded by the first request
            self._open_paths = frozenset(reverse(name) for name in OPEN_NAMES)
            self._service_root = reverse("web:caseload")
        if request.path in self._open_paths:
            return self.get_response(request)
        if request.path == self._service_root:
            return redirect("portal:home")
        raise PermissionDenied("This page is for staff. Your own record is in the portal.")
