"""Sign-in with lockout after repeated failures (security.md SEC-26).

Failures are counted from the audit log, so there is no second counter to keep in step. Wrong
passwords and wrong security codes (SEC-25) count together, since the last sign-in that passed
both steps: a password-holder cannot reset the count by signing in again with the password. A
locked account gets exactly the same answer as a wrong password or an unknown username: nothing
reveals which usernames exist.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.models import AuditEntry


def recent_failures(username: str) -> int:
    since = timezone.now() - timedelta(seconds=settings.SIGN_IN_WINDOW_SECONDS)
    # A sign-in that passed both steps or an administrator's unlock starts the count again.
    last_success = (
        AuditEntry.objects.filter(
            Q(action="mfa_verified", username=username)
            | Q(action="unlocked", detail__username=username),
            at__gte=since,
        )
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    failures = AuditEntry.objects.filter(
        Q(action="sign_in_failed", detail__username=username)
        | Q(action="mfa_failed", username=username),
        at__gte=since,
    )
    if last_success:
        failures = failures.filter(id__gt=last_success)
    return failures.count()


PARTICIPANT_REFERENCE = re.compile(r"tp-\d{6,}", re.IGNORECASE)


class LockoutBackend(ModelBackend):
    def get_user(self, user_id):
        """The signed-in user with their agency in the same query: every audited read and every
        disclosure decision asks for it (docs/benchmarks.md, "Policy and audit overhead")."""
        from django.contrib.auth import get_user_model

        try:
            user = get_user_model()._default_manager.select_related("agency").get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and PARTICIPANT_REFERENCE.fullmatch(username.strip()):
            # A participant signs in with their reference as printed ("TP-000042"), however
            # they type it (turnpoint.portal.services.portal_username).
            username = username.strip().upper()
        if username and recent_failures(username) >= settings.SIGN_IN_MAX_FAILURES:
            audit_write(acting_user=None, action="denied",
                        detail={"username": username[:150], "reason": "locked"})  # fmt: skip
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def account_unlock(*, acting_user, username: str, via: str, reason: str = "") -> bool:
    """An administrator lifts a lockout at once (SEC-26); audited with who (`acting_user`, or
    `via` from the command line) and why (SEC-41). True when it was locked."""
    with transaction.atomic():
        was_locked = recent_failures(username) >= settings.SIGN_IN_MAX_FAILURES
        detail = {"username": username[:150], "was_locked": was_locked, "via": via,
                  "reason": reason.strip()[:200]}  # fmt: skip
        audit_write(acting_user=acting_user, action="unlocked", detail=detail)
    return was_locked
