"""Sign-in, sign-out and failed sign-ins go to the audit log (security.md SEC-20), and a user
saved as inactive keeps no token or session (SEC-27, SEC-43; turnpoint.accounts.revocation).

`sign_in` is the password step; the second factor writes `mfa_verified` (turnpoint.accounts.mfa).
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from turnpoint.sharing.audit import audit_write

from .backends import WAITING
from .mfa import MFA_SESSION_KEY
from .models import User
from .revocation import user_access_end
from .sessions import stamp_sign_in


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    stamp_sign_in(request)
    # A password sign-in never inherits a verified second factor, even into the same session.
    if request is not None and hasattr(request, "session"):
        request.session.pop(MFA_SESSION_KEY, None)
    audit_write(acting_user=user, action="sign_in")


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        audit_write(acting_user=user, action="sign_out")


@receiver(user_login_failed)
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    if getattr(request, WAITING, False):
        return  # refused for waiting and audited as `denied`: not another failure (SEC-46)
    # The username typed is recorded (it may not exist); the password never is.
    audit_write(
        acting_user=None, action="sign_in_failed",
        detail={"username": str(credentials.get("username", ""))[:150]},
    )  # fmt: skip


@receiver(post_save, sender=User)
def _inactive_user_holds_nothing(sender, instance, created, **kwargs):
    # However a user was deactivated, they keep no token and no session (SEC-27, SEC-43).
    if not created and not instance.is_active:
        user_access_end(user=instance, reason="the user was saved as inactive")
