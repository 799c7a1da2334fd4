"""Consents: to share a participant's information (`ShareConsent`: categories x recipients x
purposes x period, 42 CFR 2.31; security.md SEC-06 to SEC-11) and to take part in a programme
(`ParticipationConsent`, R12). The rules about them live in `sharing/consents.py` and
`sharing/participation.py`; here only what a row is and what it answers about itself."""

from datetime import date

from django.db import models
from django.utils import timezone

from ..categories import Category


class SignatureMethod(models.TextChoices):
    WRITTEN = "written", "Signed on paper"
    ELECTRONIC = "electronic", "Signed electronically"


class RevocableEvent(models.TextChoices):
    """Events of the pathway after which a 42 CFR 2.35 consent becomes revocable: both are
    states of the journey machine, no later than the final disposition (2.35(c))."""

    DECISION = "decision", "The decision on the referral (the episode starts or the referral ends)"
    EPISODE_EXIT = "episode_exit", "The end of the episode (the participant leaves the programme)"


# How each event reads in a sentence, to staff and (on the printed consent) to the participant.
EVENT_PHRASE = {
    RevocableEvent.DECISION: "the decision on the referral is made (the episode starts or the "
    "referral ends)",
    RevocableEvent.EPISODE_EXIT: "the episode ends",
}
EVENT_PHRASE_TO_PARTICIPANT = {
    RevocableEvent.DECISION: "the court or prosecutor has decided on your referral",
    RevocableEvent.EPISODE_EXIT: "your time in the programme ends (you graduate, leave or are "
    "discharged)",
}
# Referral states in which each event has happened.
EVENT_REACHED = {
    RevocableEvent.DECISION: frozenset({"episode", "exit", "follow_up", "closed", "left"}),
    RevocableEvent.EPISODE_EXIT: frozenset({"exit", "follow_up", "closed", "left"}),
}
# A criminal-justice referral is open until the episode ends: after the final disposition 2.35
# no longer applies.
_OPEN_STATES = (
    "referral", "screening", "eligibility", "assessment", "recommendation", "decision", "episode",
)  # fmt: skip


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


class ShareConsent(models.Model):
    data_category = Category.IDENTITY

    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="share_consents"
    )
    disclosing_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="+"
    )
    recipient_user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipient_role = models.CharField(max_length=30, blank=True)
    recipient_agency = models.ForeignKey(
        "accounts.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    categories = models.JSONField()
    purposes = models.JSONField()
    starts_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revocation_statement = models.TextField()
    revocation_method = models.TextField()
    signature_method = models.CharField(max_length=20, choices=SignatureMethod.choices)
    signed_by = models.CharField(max_length=200)
    representative_authority = models.CharField(max_length=200, blank=True)
    signed_on = models.DateField()
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revocation_how = models.TextField(blank=True)
    # 42 CFR 2.35 (SEC-09): the criminal-justice referral the consent was given for, and when it
    # becomes revocable (a date, an event, or whichever of the two comes first).
    referral = models.ForeignKey(
        "journeys.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revocable_from = models.DateField(null=True, blank=True)
    revocable_after_event = models.CharField(
        max_length=20, choices=RevocableEvent.choices, blank=True
    )

    class Meta:
        indexes = [models.Index(fields=["participant", "revoked_at"])]

    def __str__(self) -> str:
        return f"Consent {self.pk} for participant {self.participant_id}"

    def is_active(self, at) -> bool:
        return self.revoked_at is None and self.starts_at <= at < self.expires_at

    def names(self, user) -> bool:
        """Does this consent name `user` as a recipient? Every part that is set must match, and
        one naming no agency names no one (SEC-39: never every court or every judge)."""
        if not self.recipient_agency_id:
            return False
        if self.recipient_user_id and self.recipient_user_id != user.pk:
            return False
        if self.recipient_role and self.recipient_role != user.role:
            return False
        return not (self.recipient_agency_id and self.recipient_agency_id != user.agency_id)

    @property
    def irrevocable_for_a_time(self) -> bool:
        return bool(self.revocable_from or self.revocable_after_event)

    def revocation_condition(self, *, to_participant: bool = False) -> str:
        """When it becomes revocable, in words: "12 May 2027 or the episode ends, whichever comes
        first" (read after "until"); empty for a consent revocable at any time."""
        phrases = EVENT_PHRASE_TO_PARTICIPANT if to_participant else EVENT_PHRASE
        parts = []
        if self.revocable_from:
            parts.append(_day(self.revocable_from))
        if self.revocable_after_event:
            parts.append(phrases[RevocableEvent(self.revocable_after_event)])
        return " or ".join(parts) + (", whichever comes first" if len(parts) == 2 else "")

    def covers(self, user, category: str, purpose: str, at) -> bool:
        return category in self.categories and self.applies(user, purpose, at)

    def applies(self, user, purpose: str, at) -> bool:
        """Does this consent cover reads by `user` for `purpose` at `at`, of its categories?
        `covers` with the category left out, so a page can test a consent once for all."""
        return purpose in self.purposes and self.names(user) and self.is_active(at)


class Coercion(models.TextChoices):
    # From ordered to freely chosen (seed 000: "legal coercion" where the legal consequences
    # are deferred, reduced or lifted, yet the decision to enter stays with the person).
    MANDATORY = "mandatory", "Mandatory: treatment is a condition of the order"
    LEGAL_PRESSURE = (
        "legal_pressure",
        "Chosen under legal pressure: consequences deferred or reduced",
    )
    INFORMAL_PRESSURE = "informal_pressure", "Chosen under informal pressure (family, work)"
    VOLUNTARY = "voluntary", "Voluntary"


class ParticipationConsent(models.Model):
    data_category = Category.LEGAL

    referral = models.ForeignKey(
        "journeys.Referral", on_delete=models.PROTECT, related_name="participation_consents"
    )
    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="participation_consents"
    )
    alternatives_explained = models.TextField()
    coercion = models.CharField(max_length=20, choices=Coercion.choices)
    agreed_max_weeks = models.PositiveIntegerField()
    custodial_weeks_replaced = models.PositiveIntegerField(null=True, blank=True)
    non_completion_explained = models.TextField()
    right_to_withdraw_explained = models.BooleanField()
    signed_by = models.CharField(max_length=200)
    signed_on = models.DateField()
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_how = models.TextField(blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"Participation consent {self.pk} for referral {self.referral_id}"
