"""Sign-in with growing waits after repeated failures (security.md SEC-26, SEC-46).

Failures are counted from the audit log, so there is no second counter to keep in step: per
account (the username typed, known or not) and per client address. Wrong passwords and wrong
security codes (SEC-25) count together for an account, since the last sign-in that passed both
steps or an administrator's unlock: a password-holder cannot reset the count by signing in again
with the password.

After `SIGN_IN_MAX_FAILURES` failures within `SIGN_IN_WINDOW_SECONDS` an account must wait
`SIGN_IN_FIRST_WAIT_SECONDS` from its last failure, and each further failure doubles the wait, up
to `SIGN_IN_MAX_WAIT_SECONDS`. An address gets the same after `SIGN_IN_ADDRESS_MAX_FAILURES`
failures for any usernames. An attempt refused for waiting is audited as `denied` but is not a
failure, so nobody can keep another person locked out by hammering: the wait runs out on time.
A waiting account gets exactly the same answer as a wrong password or an unknown username:
nothing reveals which usernames exist.
"""

import math
import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from turnpoint.sharing import context
from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.models import AuditEntry

# Set on a request refused for waiting: its `user_login_failed` is not counted (signals.py).
WAITING = "sign_in_waiting"


def _account_failures(username: str, since):
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
    return failures


def wait_after(failures: int, last_failure, *, allowed: int, now) -> int:
    """Seconds still to wait after `failures` failures, the last at `last_failure`, when
    `allowed` are free: the first wait, doubled for each failure beyond, at most the cap."""
    if failures < allowed or last_failure is None:
        return 0
    doublings = min(failures - allowed, 32)
    wait = min(
        settings.SIGN_IN_FIRST_WAIT_SECONDS * 2**doublings, settings.SIGN_IN_MAX_WAIT_SECONDS
    )
    left = (last_failure + timedelta(seconds=wait) - now).total_seconds()
    return max(0, math.ceil(left))


def account_wait(username: str) -> int:
    """Seconds before `username` (which may not exist) may try to sign in again; 0 for now."""
    now = timezone.now()
    since = now - timedelta(seconds=settings.SIGN_IN_WINDOW_SECONDS)
    seen = _account_failures(username, since).aggregate(n=Count("id"), last=Max("at"))
    return wait_after(seen["n"], seen["last"], allowed=settings.SIGN_IN_MAX_FAILURES, now=now)


def address_wait(address: str | None) -> int:
    """Seconds before anyone at `address` may try to sign in again; 0 for now."""
    if not address:
        return 0
    now = timezone.now()
    since = now - timedelta(seconds=settings.SIGN_IN_WINDOW_SECONDS)
    seen = AuditEntry.objects.filter(
        action="sign_in_failed", client_ip=address, at__gte=since
    ).aggregate(n=Count("id"), last=Max("at"))
    allowed = settings.SIGN_IN_ADDRESS_MAX_FAILURES
    return wait_after(seen["n"], seen["last"], allowed=allowed, now=now)


def sign_in_wait(username: str) -> tuple[int, str]:
    """Seconds to wait before this sign-in may be tried, and whose failures call for it
    (`account` or `address`, the client's, from the request context); (0, "") for now."""
    by_account = account_wait(username)
    by_address = address_wait(context.current().client_ip)
    if by_account >= by_address:
        return by_account, "account" if by_account else ""
    return by_address, "address"


def sign_in_refuse_waiting(*, username: str, wait: int, by: str, request=None) -> None:
    """Audit a refusal for waiting; mark the request so it is not counted as a failure."""
    detail = {"username": username[:150], "reason": "locked", "by": by, "wait_seconds": wait}
    audit_write(acting_user=None, action="denied", detail=detail)
    if request is not None:
        setattr(request, WAITING, True)


PARTICIPANT_REFERENCE = re.compile(r"tp-\d{6,}", re.IGNORECASE)


class LockoutBackend(ModelBackend):
    def get_user(self, user_id):
        """The signed-in user with their agency in the same query: every audited read and every
        disclosure decision asks for it (docs/benchmarks.md, "Policy and audit overhead")."""
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
        if username:
            wait, by = sign_in_wait(username)
            if wait:
                sign_in_refuse_waiting(username=username, wait=wait, by=by, request=request)
                return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def account_unlock(*, acting_user, username: str, via: str, reason: str = "") -> bool:
    """An administrator lets an account try again at once (SEC-26); audited with who
    (`acting_user`, or `via` from the command line) and why (SEC-41). True when it was waiting.
    A waiting address is not lifted: it runs out on its own."""
    with transaction.atomic():
        was_locked = account_wait(username) > 0
        detail = {"username": username[:150], "was_locked": was_locked, "via": via,
                  "reason": reason.strip()[:200]}  # fmt: skip
        audit_write(acting_user=acting_user, action="unlocked", detail=detail)
    return was_locked
