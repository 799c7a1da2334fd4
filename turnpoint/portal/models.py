"""A participant's account in the portal (docs/portal.md).

The account is a `User` with the role `participant`, tied to one participant record. Staff open
it by issuing a set-up code (shown once, kept only as a password hash, valid for a week); the
participant then chooses a password with their reference and that code, and signs in like
anyone else: Argon2, the lockout, the second factor and short idle sessions all apply.
"""

from django.db import models
from django.utils import timezone

from turnpoint.sharing.categories import Category


class PortalAccount(models.Model):
    data_category = Category.IDENTITY

    participant = models.OneToOneField(
        "people.Participant", on_delete=models.PROTECT, related_name="portal_account"
    )
    user = models.OneToOneField(
        "accounts.User", on_delete=models.PROTECT, related_name="portal_account"
    )
    # The set-up code waiting to be used: a password hash, never the code itself.
    setup_code_hash = models.CharField(max_length=255, blank=True)
    setup_expires_at = models.DateTimeField(null=True, blank=True)
    opened_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    # When the participant last chose a password with a set-up code.
    set_up_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"portal account of participant {self.participant_id}"

    def setup_code_waiting(self, at) -> bool:
        return (
            bool(self.setup_code_hash)
            and self.setup_expires_at is not None
            and (at < self.setup_expires_at)
        )
