"""Consent to share: which categories of a participant's information may go to which recipients,
for what purpose, from when until when (42 CFR 2.31; Caldicott 1-3; security.md SEC-06 to SEC-11).

A consent opens a category only when it matches on all four axes: the category, the recipient
(a named person, a role, or an agency), the purpose and the time (start ≤ now < expiry, not
revoked). Revocation takes effect on the next request because nothing is cached: the policy asks
`active_consents` every time.
"""

from collections import defaultdict

from django.db import models, transaction
from django.utils import timezone

from turnpoint.errors import InvalidInput, Problem

from .audit import audit_write
from .categories import Category, Purpose

REQUIRED_TEXT = (
    "revocation_statement",
    "revocation_method",
    "signature_method",
    "signed_by",
)


class SignatureMethod(models.TextChoices):
    WRITTEN = "written", "Signed on paper"
    ELECTRONIC = "electronic", "Signed electronically"


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

    class Meta:
        indexes = [models.Index(fields=["participant", "revoked_at"])]

    def __str__(self) -> str:
        return f"Consent {self.pk} for participant {self.participant_id}"

    def is_active(self, at) -> bool:
        return self.revoked_at is None and self.starts_at <= at < self.expires_at

    def names(self, user) -> bool:
        """Does this consent name `user` as a recipient? Every part that is set must match."""
        if self.recipient_user_id and self.recipient_user_id != user.pk:
            return False
        if self.recipient_role and self.recipient_role != user.role:
            return False
        return not (self.recipient_agency_id and self.recipient_agency_id != user.agency_id)

    def covers(self, user, category: str, purpose: str, at) -> bool:
        return (
            category in self.categories
            and purpose in self.purposes
            and self.names(user)
            and self.is_active(at)
        )


def active_consents(participant_ids) -> dict[int, list[ShareConsent]]:
    """Every unrevoked consent of these participants, in one query, keyed by participant."""
    by_participant: dict[int, list[ShareConsent]] = defaultdict(list)
    now = timezone.now()
    rows = ShareConsent.objects.filter(
        participant_id__in=list(participant_ids), revoked_at__isnull=True, expires_at__gt=now
    )
    for consent in rows:
        by_participant[consent.participant_id].append(consent)
    return by_participant


def _validate(values: dict) -> list[Problem]:
    problems = []
    if not values.get("participant"):
        problems.append(Problem("participant", "is required"))
    if not values.get("disclosing_agency"):
        problems.append(Problem("disclosing_agency", "is required"))
    if not any(values.get(k) for k in ("recipient_user", "recipient_role", "recipient_agency")):
        problems.append(
            Problem("recipients", "name a person, a role or an agency (or a combination)")
        )
    categories = values.get("categories") or []
    if not categories:
        problems.append(Problem("categories", "list the categories of information; never 'all'"))
    for c in categories:
        if c not in Category.values:
            problems.append(Problem("categories", f"'{c}' is not a data category"))
    if Category.COUNSELLING_NOTES in categories and len(set(categories)) > 1:
        problems.append(
            Problem("categories", "counselling notes need a consent of their own (SEC-11)")
        )
    purposes = values.get("purposes") or []
    if not purposes:
        problems.append(Problem("purposes", "say what the information will be used for"))
    for p in purposes:
        if p not in Purpose.values:
            problems.append(Problem("purposes", f"'{p}' is not a purpose"))
    if not values.get("expires_at"):
        problems.append(Problem("expires_at", "is required: a consent must end"))
    elif values["expires_at"] <= values.get("starts_at", timezone.now()):
        problems.append(Problem("expires_at", "must be after the start"))
    for name in REQUIRED_TEXT:
        if not str(values.get(name) or "").strip():
            problems.append(Problem(name, "is required"))
    if values.get("signature_method") and values["signature_method"] not in SignatureMethod.values:
        problems.append(Problem("signature_method", "must be written or electronic"))
    if not values.get("signed_on"):
        problems.append(Problem("signed_on", "is required"))
    return problems


def share_consent_create(*, acting_user, **values) -> ShareConsent:
    """Record a consent to share; refused with every missing element named (SEC-06)."""
    problems = _validate(values)
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        consent = ShareConsent.objects.create(created_by=acting_user, **values)
        audit_write(
            acting_user=acting_user, action="create", obj=consent,
            participant_ids=[consent.participant_id], categories=consent.categories,
        )  # fmt: skip
    return consent


def share_consent_revoke(consent: ShareConsent, *, acting_user, how: str) -> ShareConsent:
    """Revoke at once: the very next request by the former recipient is denied (SEC-08)."""
    if not how.strip():
        raise InvalidInput(Problem("how", "say how the participant revoked the consent"))
    with transaction.atomic():
        updated = ShareConsent.objects.filter(pk=consent.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=acting_user, revocation_how=how.strip()
        )
        if not updated:
            raise InvalidInput(Problem("consent", "is already revoked"))
        audit_write(
            acting_user=acting_user, action="update", obj=consent,
            participant_ids=[consent.participant_id], detail={"revoked": True, "how": how},
        )  # fmt: skip
    consent.refresh_from_db()
    return consent
