"""The second factor: an authenticator app (TOTP) and recovery codes (security.md SEC-25).

Signing in takes two steps. The password step (Django's sign-in form) signs the user in but
leaves the session unverified; turnpoint.accounts.middleware then allows only the security-code
pages and sign-out until one of the functions here accepts a code and `session_mark_verified`
marks the session. Every outcome is audited (SEC-20); refused codes count towards the sign-in
waits (turnpoint.accounts.backends.account_wait).
"""

import secrets
import time
from typing import NoReturn

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from turnpoint.sharing.audit import audit_write

from . import totp
from .models import RecoveryCode, TotpDevice, User

# The session key that marks the second factor as verified; its value is the user's id, so a
# session that somehow changes hands never carries another user's verification.
MFA_SESSION_KEY = "_mfa_verified"
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: recovery codes are read off paper.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_GROUP = 5  # two groups of five: "abcde-fghjk", about 49 bits


class CodeRefused(Exception):
    """The code was wrong, already used, or there was no code at all."""


def readable_code(*, groups: int, size: int) -> str:
    """A random code to read off paper: `groups` groups of `size` characters of
    RECOVERY_ALPHABET, joined by hyphens ("abcde-fghjk"); the set-up codes of the portal too."""
    return "-".join(
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(size)) for _ in range(groups)
    )


def session_is_verified(session, user) -> bool:
    return session.get(MFA_SESSION_KEY) == str(user.pk)


def session_mark_verified(request, user) -> None:
    """Mark the session verified and give it a new id (the privilege changed, SEC-27)."""
    request.session.cycle_key()
    request.session[MFA_SESSION_KEY] = str(user.pk)


def normalise(code: str) -> str:
    """What people type, without spaces and hyphens, in lower case."""
    return "".join(ch for ch in (code or "") if ch not in " -\t").lower()


def totp_device_confirmed(user) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def totp_device_for_enrolment(*, user: User) -> TotpDevice:
    """The user's device waiting to be confirmed, created on first call (the secret stays the
    same when the enrolment page is reloaded). Raises ValueError if one is already confirmed."""
    device, _ = TotpDevice.objects.get_or_create(user=user, defaults={"secret": totp.secret_new()})
    if device.confirmed:
        raise ValueError(f"{user.username} already has an authenticator app")
    return device


def _recovery_codes_replace(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    raw = [readable_code(groups=2, size=RECOVERY_GROUP) for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=make_password(normalise(code))) for code in raw
    )
    return raw


def _failed(user: User, *, stage: str) -> NoReturn:
    # Outside the transaction that refused the code, so the refusal itself is kept.
    audit_write(acting_user=user, action="mfa_failed", detail={"stage": stage})
    raise CodeRefused


def totp_device_confirm(*, user: User, code: str, at: float | None = None) -> list[str]:
    """Confirm the device with a first code; return the new recovery codes (shown once)."""
    at = time.time() if at is None else at
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        step = None
        if device is not None and not device.confirmed:
            step = totp.totp_match(totp.secret_bytes(device.secret), normalise(code), at=at)
        if step is not None:
            device.confirmed_at = timezone.now()
            device.last_used_step = step
            device.save(update_fields=["confirmed_at", "last_used_step"])
            codes = _recovery_codes_replace(user)
            audit_write(acting_user=user, action="mfa_enrolled", obj=device,
                        detail={"recovery_codes": len(codes)})  # fmt: skip
            audit_write(acting_user=user, action="mfa_verified", detail={"method": "totp"})
            return codes
    _failed(user, stage="enrolment")


def mfa_verify(*, user: User, code: str, at: float | None = None) -> dict:
    """Accept a current TOTP code or an unused recovery code, once.

    Returns {"method": "totp"} or {"method": "recovery_code", "remaining": N}; raises
    CodeRefused (after auditing the failure) for anything else."""
    at = time.time() if at is None else at
    typed = normalise(code)
    with transaction.atomic():
        # Locking the device row serialises two requests racing with the same code.
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.confirmed and typed:
            step = totp.totp_match(
                totp.secret_bytes(device.secret), typed, at=at, after_step=device.last_used_step
            )
            if step is not None:
                device.last_used_step = step
                device.save(update_fields=["last_used_step"])
                audit_write(acting_user=user, action="mfa_verified", detail={"method": "totp"})
                return {"method": "totp"}
            if len(typed) != totp.DIGITS or not typed.isdigit():  # not an app code
                used = _recovery_code_use(user, typed)
                if used is not None:
                    remaining = RecoveryCode.objects.filter(user=user, used_at__isnull=True)
                    result = {"method": "recovery_code", "remaining": remaining.count()}
                    audit_write(acting_user=user, action="mfa_recovery_used", obj=used,
                                detail={"remaining": result["remaining"]})  # fmt: skip
                    audit_write(acting_user=user, action="mfa_verified",
                                detail={"method": "recovery_code"})  # fmt: skip
                    return result
    _failed(user, stage="verification")


def _recovery_code_use(user: User, typed: str) -> RecoveryCode | None:
    for candidate in RecoveryCode.objects.select_for_update().filter(
        user=user, used_at__isnull=True
    ):
        if check_password(typed, candidate.code_hash):
            candidate.used_at = timezone.now()
            candidate.save(update_fields=["used_at"])
            return candidate
    return None


def mfa_reset(*, user: User, reason: str = "", acting_user=None, via: str = "") -> int:
    """Remove the user's authenticator app and recovery codes and end their sessions, so they
    set up a new app at their next sign-in. Returns the number of sessions ended.

    Audited with who did it (`acting_user`, or `via`: the command line) and why (SEC-41); the
    entry names the user whose app was reset."""
    with transaction.atomic():
        had_device = TotpDevice.objects.filter(user=user).delete()[0] > 0
        RecoveryCode.objects.filter(user=user).delete()
        ended = _sessions_end(user)
        audit_write(acting_user=acting_user, action="mfa_reset", obj=user,
                    detail={"user": user.username, "had_device": had_device,
                            "sessions_ended": ended, "reason": reason.strip()[:200],
                            "via": via})  # fmt: skip
    return ended


def _sessions_end(user: User) -> int:
    """Delete every unexpired session signed in as `user` (an administrator's job: it decodes
    each live session once)."""
    ended = 0
    live = Session.objects.filter(expire_date__gt=timezone.now())
    for session in live.iterator(chunk_size=500):
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            session.delete()
            ended += 1
    return ended


def mfa_current_code(*, user: User, at: float | None = None) -> str:
    """The code the user's app shows now (for the demo; the command refuses outside DEBUG)."""
    if not settings.DEBUG or settings.PRODUCTION:
        raise PermissionError("current codes are shown only with DEBUG on, outside production")
    device = TotpDevice.objects.filter(user=user).first()
    if device is None:
        raise LookupError(f"{user.username} has no authenticator app yet")
    return totp.totp(totp.secret_bytes(device.secret), at=time.time() if at is None else at)


def demo_device_create(*, user: User) -> TotpDevice:
    """A confirmed device with no recovery codes, for the demo's synthetic users only."""
    TotpDevice.objects.filter(user=user).delete()
    device = TotpDevice.objects.create(
        user=user, secret=totp.secret_new(), confirmed_at=timezone.now()
    )
    audit_write(acting_user=user, action="mfa_enrolled", obj=device, detail={"by": "demo"})
    return device
