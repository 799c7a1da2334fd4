"""The absolute lifetime of a staff session (security.md SEC-27; NIST SP 800-63B AAL2).

The idle limit is Django's own: `SESSION_COOKIE_AGE` (30 minutes) renewed by every request
(`SESSION_SAVE_EVERY_REQUEST`). Activity would keep a session alive for ever, so sign-in stamps
the session and `SessionLifetimeMiddleware` ends it once `SESSION_ABSOLUTE_SECONDS` (12 hours)
have passed, however busy it was."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import JsonResponse
from django.utils import timezone
from django.utils.functional import LazyObject, empty

SIGNED_IN_AT = "signed_in_at"


def stamp_sign_in(request) -> None:
    """Called on sign-in: the absolute lifetime counts from here."""
    session = getattr(request, "session", None)
    if session is not None:
        session[SIGNED_IN_AT] = int(time.time())


class SessionLifetimeMiddleware:
    """Signs out a session older than the absolute lifetime, and leaves `request.user` as the user
    itself rather than AuthenticationMiddleware's lazy stand-in (`resolved`). Place after
    AuthenticationMiddleware and MessageMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if isinstance(user, LazyObject):
            request.user = user = resolved(user)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            signed_in_at = request.session.get(SIGNED_IN_AT)
            if signed_in_at is None:  # a session from before this rule: count from now
                request.session[SIGNED_IN_AT] = int(time.time())
            elif time.time() - signed_in_at >= settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)  # flushes the server-side session; audited as sign_out
                if request.path.startswith("/api/"):
                    return JsonResponse({"errors": [{"field": "", "reason": "session ended"}]},
                                        status=401)  # fmt: skip
                messages.info(request, "You were signed out: a session lasts at most "
                              f"{settings.SESSION_ABSOLUTE_SECONDS // 3600} hours.")  # fmt: skip
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)


def resolved(user):
    """The user a lazy `request.user` stands for. AuthenticationMiddleware's lazy object loads
    the user on first use and then passes every later attribute read through a proxy: a
    participant page reads the user's role, agency and programmes several hundred times (the
    policy asks at each category), and the proxy cost about 0.3 ms of it (docs/benchmarks.md).
    Every page reads the user at once anyway (this middleware asks whether it is signed in)."""
    if user._wrapped is empty:
        user._setup()
    return user._wrapped


def sessions_end_others(request) -> int:
    """End every other session of the signed-in user, keeping this one (SEC-27: after a
    password or security-code change, or a lost phone). Audited; returns how many ended."""
    from turnpoint.sharing.audit import audit_write

    user, keep = request.user, request.session.session_key
    with transaction.atomic():
        ended = sessions_end_all(user, keep=keep)
        audit_write(acting_user=user, action="sign_out", detail={"other_sessions_ended": ended})
    return ended


def sessions_end_all(user, *, keep: str | None = None) -> int:
    """Delete every live server-side session of `user` but `keep`; return how many. Sessions
    are stored signed and encoded, so each live one is read: the caller audits."""
    ended = 0
    live = Session.objects.filter(expire_date__gt=timezone.now())
    if keep is not None:
        live = live.exclude(session_key=keep)
    for session in live.iterator(chunk_size=500):
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            session.delete()
            ended += 1
    return ended
