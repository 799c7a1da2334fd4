"""Safeguarding break-glass (R19; security.md SEC-17, SEC-18).

A child at risk may require disclosure without consent. Only the designated safeguarding lead can
open a participant's safeguarding information, and only by an explicit act: a reason code and a
written justification, for a limited window, recorded in the audit log and as a disclosure in
the same transaction, notified to the other safeguarding leads of the programme and put on a
review list. It opens the safeguarding and household categories, never the treatment file.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from turnpoint.accounts.models import Role, User
from turnpoint.errors import InvalidInput, Problem
from turnpoint.text import text_problems

from .audit import audit_write
from .categories import Purpose
from .models import BreakGlass, Notification
from .reach import participant_for_user, participants_visible_to
from .record import disclosure_write
from .rules import BREAK_GLASS_OPENS as OPENS
from .rules import PolicyDenied

WINDOW = timedelta(hours=4)  # security.md SEC-17 default (DHIS2 uses 3 hours)
MIN_JUSTIFICATION = 20
TEXT_MAX = 4000  # a justification and a review note (the page's text areas say the same)

REASONS = {
    "child_at_risk": "A child may be at risk of significant harm",
    "domestic_abuse": "Domestic violence or abuse",
    "adult_at_risk": "An adult may be at risk of harm",
}


def break_glass_open(*, acting_user, participant, reason_code: str, justification: str):
    """Open the safeguarding categories of one participant to the acting safeguarding lead."""
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
    problems += text_problems("justification", justification, max_length=TEXT_MAX, multiline=True)
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
    if acting_user.role != Role.SAFEGUARDING_LEAD or acting_user.pk == glass.opened_by_id:
        raise PolicyDenied("another designated safeguarding lead reviews a break-glass")
    if not note.strip():
        raise InvalidInput(Problem("note", "say what the review found"))
    if problems := text_problems("note", note, max_length=TEXT_MAX, multiline=True):
        raise InvalidInput(problems)
    with transaction.atomic():
        if not BreakGlass.objects.filter(pk=glass.pk, reviewed_at__isnull=True).update(
            reviewed_by=acting_user, reviewed_at=timezone.now(), review_note=note.strip()
        ):
            raise InvalidInput(Problem("break_glass", "is already reviewed"))
        audit_write(acting_user=acting_user, action="update", obj=glass,
                    participant_ids=[glass.participant_id], detail={"reviewed": True})  # fmt: skip
    glass.refresh_from_db()
    return glass


def break_glass_unreviewed(user):
    """Break-glasses by other leads, of participants this lead reaches, not yet reviewed."""
    return (
        BreakGlass.objects.filter(
            reviewed_at__isnull=True, participant__in=participants_visible_to(user)
        )
        .exclude(opened_by=user)
        .select_related("participant", "opened_by")
        .order_by("opened_at", "id")
    )
