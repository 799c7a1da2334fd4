"""Revoking API tokens and deactivating users (security.md SEC-43, SEC-27).

A revocation is a row of its own (`ApiTokenRevocation`), keyed by the token's digest and never
changed or removed: a revoked token never works again, whatever is later edited. Deactivating a
user revokes every token they hold and ends every session they have, so reactivating them later
brings back neither. Each is audited in the same transaction as the change.

Any save of an inactive user (the Django admin's form, the portal closing an account, a plain
`user.save()`) also ends what they still hold (`signals._inactive_user_holds_nothing`); only a
bulk `QuerySet.update(is_active=False)` goes round it, and even then the user's tokens and
sessions stop working because an inactive user signs in nowhere.
"""

from django.db import transaction

from turnpoint.sharing.audit import audit_write

from .access import access_changed_by
from .models import ApiToken, ApiTokenRevocation, User
from .sessions import sessions_end_all


def api_token_revoke(*, token: ApiToken, acting_user, reason: str = "", via: str = "") -> bool:
    """Revoke `token` for good; audited as `token_revoked` with who (`acting_user`, or `via`
    from the command line) and why (SEC-41). False when it already was."""
    with transaction.atomic():
        _, created = ApiTokenRevocation.objects.get_or_create(
            digest=token.digest, defaults={"reason": reason[:200]}
        )
        if created:
            detail = {"token": token.pk, "label": token.label, "user": token.user.username,
                      "reason": reason[:200], "via": via}  # fmt: skip
            audit_write(acting_user=acting_user, action="token_revoked", obj=token, detail=detail)
    return created


def _tokens_revoke_and_sessions_end(*, user: User, acting_user, reason: str) -> dict:
    tokens = list(ApiToken.objects.unrevoked().filter(user=user).select_related("user"))
    for token in tokens:
        api_token_revoke(token=token, acting_user=acting_user, reason=reason)
    sessions = sessions_end_all(user)
    return {"username": user.username, "tokens_revoked": len(tokens), "sessions_ended": sessions,
            "reason": reason[:200]}  # fmt: skip


def user_deactivate(*, user: User, acting_user, reason: str) -> dict:
    """Deactivate `user`: they can no longer sign in, their tokens are revoked and their sessions
    end, in one transaction with the audit entries (`token_revoked` for each token, then
    `user_deactivated` with the counts). Returns the entry's detail."""
    with transaction.atomic():
        detail = _tokens_revoke_and_sessions_end(user=user, acting_user=acting_user, reason=reason)
        user.is_active = False
        with access_changed_by(acting_user, reason=reason, via="deactivation"):
            user.save()  # an `access_changed` entry with who and why (accounts.access)
        audit_write(acting_user=acting_user, action="user_deactivated", obj=user, detail=detail)
    return detail


def user_access_end(*, user: User, reason: str) -> dict | None:
    """For an inactive user saved some other way: revoke the tokens and end the sessions they
    still hold, audited as `user_deactivated` with no acting user. None (and no entry) when they
    held nothing."""
    with transaction.atomic():
        detail = _tokens_revoke_and_sessions_end(user=user, acting_user=None, reason=reason)
        if not detail["tokens_revoked"] and not detail["sessions_ended"]:
            return None
        audit_write(acting_user=None, action="user_deactivated", obj=user, detail=detail)
    return detail
