"""Disclosures: each time a participant's information crosses from one agency to another, one
record per participant with its legal basis (security.md SEC-13; 42 CFR 2.25; Caldicott 1).
The participant's accounting of disclosures is read from these rows."""

from django.db import models
from django.utils import timezone

from . import context
from .categories import Category


class LegalBasis(models.TextChoices):
    CONSENT = "consent", "Consent"
    STATUTE = "statute", "Statute"
    COURT_ORDER = "court_order", "Court order"
    SAFEGUARDING = "safeguarding", "Safeguarding"


class Disclosure(models.Model):
    data_category = Category.IDENTITY

    at = models.DateTimeField(default=timezone.now, db_index=True)
    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="disclosures"
    )
    recipient_user = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    recipient_agency = models.CharField(max_length=200, blank=True)
    categories = models.JSONField()
    purpose = models.CharField(max_length=30)
    legal_basis = models.CharField(max_length=20, choices=LegalBasis.choices)
    basis_reference = models.CharField(max_length=200)
    notice_attached = models.BooleanField()
    channel = models.CharField(max_length=20, blank=True)
    request_id = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["participant", "at"])]

    def __str__(self) -> str:
        return f"Disclosure {self.pk} of participant {self.participant_id}"


def disclosure_write(*, recipient, participant_ids, categories, purpose, legal_basis,
                     basis_reference, notice_attached, channel=""):  # fmt: skip
    """Record one disclosure per participant. Call in the transaction of the disclosure."""
    if legal_basis not in LegalBasis.values:
        raise ValueError(f"a disclosure needs a legal basis, not {legal_basis!r}")
    if not basis_reference:
        raise ValueError("a disclosure names its basis (consent id, statute, order or break-glass)")
    ctx = context.current()
    return Disclosure.objects.bulk_create(
        Disclosure(
            participant_id=pid, recipient_user=recipient,
            recipient_agency=str(recipient.agency) if recipient.agency_id else "",
            categories=sorted(categories), purpose=purpose, legal_basis=legal_basis,
            basis_reference=basis_reference, notice_attached=notice_attached,
            channel=channel or ctx.channel, request_id=ctx.request_id,
        )
        for pid in participant_ids
    )  # fmt: skip
