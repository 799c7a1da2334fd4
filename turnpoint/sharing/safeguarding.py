"""Safeguarding break-glass (R19; security.md SEC-17, SEC-18).

A child at risk may require disclosure without consent. Only the designated safeguarding lead can
open a participant's safeguarding information, and only by an explicit act: a reason code and a
written justification, for a limited window, recorded in the audit log and as a disclosure in
the same transaction, notified to the other safeguarding leads of the programme and put on a
review list. It opens the safeguarding and household categories, never the treatment file.
"""

from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone

from turnpoint.errors import InvalidInput, Problem

from .audit import audit_write
from .categories import Category, Purpose
from .disclosures import disclosure_write

WINDOW = timedelta(hours=4)  # security.md SEC-17 default (DHIS2 uses 3 hours)
MIN_JUSTIFICATION = 20
OPENS = frozenset({Category.SAFEGUARDING, Category.HOUSEHOLD})

REASONS = {
    "child_at_risk": "A child may be at risk of significant harm",
    "domestic_abuse": "Domestic violence or abuse",
    "adult_at_risk": "An adult may be at risk of harm",
}


class BreakGlass(models.Model):
    data_category = Category.SAFEGUARDING

    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="+"
    )
    opened_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reason_code = models.CharField(max_length=30)
    justification = models.TextField()
    opened_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"Break-glass {self.pk} by {self.opened_by_id} for participant {self.participant_id}"


class Notification(models.Model):
    recipient = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.message[:60]


def break_glass_active(user, participant) -> BreakGlass | None:
    from turnpoint.accounts.models import Role

    if user.role != Role.SAFEGUARDING_LEAD or user.is_superuser:
        return None
    pid = getattr(participant, "pk", participant)
    return BreakGlass.objects.filter(
        opened_by=user, participant_id=pid, expires_at__gt=timezone.now()
    ).first()


def break_glass_open(*, acting_user, participant, reason_code: str, justification: str):
    """Open the safeguarding categories of one participant to the acting safeguarding lead."""
    from turnpoint.accounts.models import Role, User

    from .policy import PolicyDenied, participant_for_user

    # Superusers and every other role are refused, whatever else they hold (SEC-17).
    if acting_user.role != Role.SAFEGUARDING_LEAD or acting_user.is_superuser:
        raise PolicyDenied("only the designated safeguarding lead can open safeguarding records")
    participant = participant_for_user(acting_user, participant.pk)
    problems = []
    if reason_code not in REASONS:
        problems.append(Problem("reason_code", f"must be one of: {', '.join(REASONS)}"))
    if len(justification.strip()) < MIN_JUSTIFICATION:
        reason = f"must explain why, in at least {MIN_JUSTIFICATION} characters"
        problems.append(Problem("justification", reason))
    if problems:
        raise InvalidInput(problems)
    now = timezone.now()
    with transaction.atomic():
        glass = BreakGlass.objects.create(
            participant=participant, opened_by=acting_user, reason_code=reason_code,
            justification=justification.strip(), opened_at=now, expires_at=now + WINDOW,
        )  # fmt: skip
        audit_write(
            acting_user=acting_user, action="break_glass", obj=glass,
            categories=sorted(OPENS), participant_ids=[participant.pk],
            purpose=Purpose.SAFEGUARDING, detail={"reason_code": reason_code},
        )  # fmt: skip
        disclosure_write(
            recipient=acting_user, participant_ids=[participant.pk], categories=sorted(OPENS),
            purpose=Purpose.SAFEGUARDING, legal_basis="safeguarding",
            basis_reference=f"break-glass {glass.pk}", notice_attached=False, channel="web",
        )  # fmt: skip
        leads = User.objects.filter(
            role=Role.SAFEGUARDING_LEAD, is_active=True,
            programmes__in=participant.referrals.values("programme"),
        ).exclude(pk=acting_user.pk).distinct()  # fmt: skip
        Notification.objects.bulk_create(
            Notification(recipient=lead, message=(
                f"{acting_user.get_full_name() or acting_user.username} opened the safeguarding "
                f"record of {participant.reference} ({REASONS[reason_code].lower()}); please "
                "review it."
            ))
            for lead in leads
        )  # fmt: skip
    return glass


def break_glass_review(glass: BreakGlass, *, acting_user, note: str) -> BreakGlass:
    """The review every break-glass gets afterwards, by another safeguarding lead."""
    from turnpoint.accounts.models import Role

    from .policy import PolicyDenied

    if acting_user.role != Role.SAFEGUARDING_LEAD or acting_user.pk == glass.opened_by_id:
        raise PolicyDenied("another designated safeguarding lead reviews a break-glass")
    if not note.strip():
        raise InvalidInput(Problem("note", "say what the review found"))
    with transaction.atomic():
        if not BreakGlass.objects.filter(pk=glass.pk, reviewed_at__isnull=True).update(
            reviewed_by=acting_user, reviewed_at=timezone.now(), review_note=note.strip()
        ):
            raise InvalidInput(Problem("break_glass", "is already reviewed"))
        audit_write(acting_user=acting_user, action="update", obj=glass,
                    participant_ids=[glass.participant_id], detail={"reviewed": True})  # fmt: skip
    glass.refresh_from_db()
    return glass
