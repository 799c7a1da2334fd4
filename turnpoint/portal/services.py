"""Opening, closing and setting up a participant's portal account (docs/portal.md).

Every function here writes in one transaction with its audit entry, and changes nothing when it
refuses. The set-up code is the only secret staff ever hold for a participant: it is shown once,
kept as a password hash, expires after `SETUP_CODE_DAYS`, and is spent when the participant
chooses a password with it. Wrong codes count towards the sign-in waits of that reference and
of the client's address (turnpoint.accounts.backends.sign_in_wait), so a code cannot be guessed;
every refusal runs the password hasher once, so it takes as long whether or not the reference
has an account or a waiting code.
"""

from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from turnpoint.accounts.access import access_changed_by
from turnpoint.accounts.backends import sign_in_refuse_waiting, sign_in_wait
from turnpoint.accounts.mfa import normalise, readable_code
from turnpoint.accounts.models import Role, User
from turnpoint.errors import InvalidInput, Problem
from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.categories import Category

from .models import PortalAccount

SETUP_CODE_DAYS = 7
# Three groups of four in the recovery codes' alphabet (read off a letter), about 59 bits.
SETUP_CODE_GROUPS = 3
SETUP_CODE_GROUP = 4
# One answer for a wrong reference, a wrong or spent code, an expired code, a closed account and
# a locked one: the page says nothing about which references exist.
SETUP_REFUSED = (
    "The reference or the set-up code is not right, or the code has expired. Check both, or ask "
    "your case manager for a new code."
)


def portal_username(participant) -> str:
    """A participant signs in with their reference, as printed on their letters: "TP-000042"."""
    return participant.reference


def portal_account_of(participant) -> PortalAccount | None:
    return (
        PortalAccount.objects.select_related("user").filter(participant_id=participant.pk).first()
    )


def _account_locked(participant) -> PortalAccount | None:
    """The participant's account, locked for the rest of the transaction (one writer at a time:
    two codes issued at once leave one waiting, not a mix)."""
    return (
        PortalAccount.objects.select_for_update()
        .select_related("user")
        .filter(participant_id=participant.pk)
        .first()
    )


def portal_setup_code_issue(*, acting_user, participant) -> tuple[PortalAccount, str]:
    """Open the participant's portal account (or reopen it) with a new set-up code; return the
    account and the code, the only time the code is visible. An earlier code stops working.

    The caller has checked that `acting_user` may write this participant's identity."""
    code = readable_code(groups=SETUP_CODE_GROUPS, size=SETUP_CODE_GROUP)
    now = timezone.now()
    opening = access_changed_by(acting_user, reason="portal set-up code issued", via="portal")
    with transaction.atomic(), opening:  # the account's opening is a change to access (SEC-41)
        account = _account_locked(participant)
        created = account is None
        if created:
            username = portal_username(participant)
            if User.objects.filter(username__iexact=username).exists():
                raise InvalidInput(
                    Problem("username", f"'{username}' is already a user's name; nothing changed")
                )
            user = User(
                username=username,
                first_name=participant.preferred_name or participant.given_name,
                last_name=participant.family_name,
                role=Role.PARTICIPANT,
            )
            user.set_unusable_password()
            user.save()
            account = PortalAccount(participant=participant, user=user, opened_by=acting_user)
        elif not account.user.is_active:
            account.user.is_active = True
            account.user.save(update_fields=["is_active"])
        account.setup_code_hash = make_password(normalise(code))
        account.setup_expires_at = now + timedelta(days=SETUP_CODE_DAYS)
        account.save()
        audit_write(
            acting_user=acting_user,
            action="create" if created else "update",
            categories=[Category.IDENTITY],
            participant_ids=[participant.pk],
            obj=account,
            detail={
                "portal": "set-up code issued",
                "expires_at": account.setup_expires_at.isoformat(),
            },
        )
    return account, code


def portal_access_close(*, acting_user, participant) -> PortalAccount:
    """Close the account at once: its sessions stop working on their next request (an inactive
    user is signed in nowhere) and a waiting set-up code is spent."""
    closing = access_changed_by(acting_user, reason="portal access closed", via="portal")
    with transaction.atomic(), closing:
        account = _account_locked(participant)
        if account is None or not account.user.is_active:
            raise InvalidInput(
                Problem("portal", "is not open for this participant; nothing changed")
            )
        account.user.is_active = False
        account.user.save(update_fields=["is_active"])
        account.setup_code_hash = ""
        account.setup_expires_at = None
        account.save(update_fields=["setup_code_hash", "setup_expires_at"])
        audit_write(
            acting_user=acting_user,
            action="update",
            categories=[Category.IDENTITY],
            participant_ids=[participant.pk],
            obj=account,
            detail={"portal": "closed"},
        )
    return account


def portal_set_up(*, reference: str, code: str, password: str, password_again: str) -> User:
    """The participant chooses a password with their reference and set-up code. Returns the
    portal user; raises InvalidInput naming the field, changing nothing but the failure count."""
    reference = (reference or "").strip().upper()[:150]
    problems = []
    if not reference:
        problems.append(Problem("reference", "Enter your reference, for example TP-000042"))
    if not normalise(code):
        problems.append(Problem("code", "Enter the set-up code from your letter"))
    if not password:
        problems.append(Problem("password", "Choose a password"))
    elif password != password_again:
        problems.append(Problem("password_again", "The two passwords are not the same"))
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        account = (
            PortalAccount.objects.select_for_update()
            .select_related("user")
            .filter(user__username=reference, user__role=Role.PARTICIPANT)
            .first()
        )
        now = timezone.now()
        wait, by = sign_in_wait(reference)
        waiting = account is not None and account.user.is_active and account.setup_code_waiting(now)
        # The hasher runs once whatever the answer (check_password runs it on an empty hash
        # too): a missing account or code takes as long as a wrong code (SEC-46).
        matches = check_password(normalise(code), account.setup_code_hash if waiting else "")
        if wait or not (waiting and matches):
            refused = True
        else:
            refused = False
            try:
                validate_password(password, user=account.user)
            except ValidationError as exc:
                raise InvalidInput([Problem("password", m) for m in exc.messages]) from exc
            account.user.set_password(password)
            account.user.save(update_fields=["password"])
            account.setup_code_hash = ""
            account.setup_expires_at = None
            account.set_up_at = now
            account.save(update_fields=["setup_code_hash", "setup_expires_at", "set_up_at"])
            audit_write(
                acting_user=account.user,
                action="update",
                participant_ids=[account.participant_id],
                obj=account,
                detail={"portal": "password chosen with a set-up code"},
            )
    if refused:
        # Outside the transaction above, so the failure or the refusal stays recorded (SEC-26).
        if wait:
            sign_in_refuse_waiting(username=reference, wait=wait, by=by)
        else:
            audit_write(
                acting_user=None,
                action="sign_in_failed",
                detail={"username": reference, "via": "portal set-up"},
            )
        raise InvalidInput(Problem("code", SETUP_REFUSED))
    return account.user
