"""Earlier values of a participant's identity (name, date of birth): a row per field changed
after entry, written by `people.services.participant_update` in the same transaction as the
change, read only through `sharing.reads.field_history_read` (docs/sharing.md)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from turnpoint.sharing.categories import Category

# The identity fields whose earlier values are kept.
TRACKED = ("given_name", "family_name", "preferred_name", "date_of_birth")


class ParticipantFieldChange(models.Model):
    data_category = Category.IDENTITY

    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="field_changes"
    )
    field = models.CharField(max_length=40)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    class Meta:
        app_label = "people"
        ordering = ["participant", "-changed_at", "-id"]

    LABELS = {
        "given_name": "Given name",
        "family_name": "Family name",
        "preferred_name": "Preferred name",
        "date_of_birth": "Date of birth",
    }

    def __str__(self) -> str:
        return f"{self.field} of participant {self.participant_id} changed"

    @property
    def label(self) -> str:
        return self.LABELS.get(self.field, self.field)

    @property
    def old_shown(self) -> str:
        return self.old_value

    @property
    def new_shown(self) -> str:
        return self.new_value


def as_text(value) -> str:
    """A stored value as the history keeps it: dates as YYYY-MM-DD, text as typed."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value or "")


def participant_changes(participant, before: dict, after: dict, *, acting_user, reason: str = ""
                        ) -> list[ParticipantFieldChange]:  # fmt: skip
    """The unsaved history rows of the tracked fields whose value changed."""
    return [
        ParticipantFieldChange(
            participant=participant,
            field=name,
            old_value=as_text(before[name]),
            new_value=as_text(after[name]),
            changed_by=acting_user,
            reason=reason.strip(),
        )
        for name in TRACKED
        if name in after and as_text(before[name]) != as_text(after[name])
    ]
