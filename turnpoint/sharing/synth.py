"""Consents to share and court orders for a synthetic caseload, recorded through the services
staff use (`share_consent_create`, `court_order_record`, each audited), so that a court's
reader finds in the demo and in the policy benchmark what a treatment court's would: most
participants letting the court team see their progress, and the odd court order.

The rates are illustrative, not drawn from a source: a treatment court asks its participants to
consent to the court team seeing their attendance, drug test results and treatment progress for
its reviews, and court orders are exceptional. Who gets one is fixed by position in the list
given (no random draw), so the caseload `turnpoint synth` made stays as it was.

Each agency records the consent to share what it holds (security.md SEC-39): the programme team
the attendance, the treatment provider the drug test results and treatment progress, so a
participant's consent to the court is two consents, one from each.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from turnpoint.accounts.models import Agency, User
from turnpoint.people.models import Participant
from turnpoint.programmes.models import ConsentRevocation

from .categories import Category, Purpose
from .consents import (
    RevocableEvent,
    ShareConsent,
    criminal_justice_referral_for,
    share_consent_create,
)
from .court_orders import CourtOrder, CourtOrderKind, court_order_record

PROGRESS = (Category.ATTENDANCE, Category.DRUG_TESTS, Category.TREATMENT_PROGRESS)
# What each holder's consent opens (`disclosures.holding_kinds`).
TEAM_PROGRESS = (Category.ATTENDANCE,)
TREATMENT_PROGRESS = (Category.DRUG_TESTS, Category.TREATMENT_PROGRESS)


@dataclass(frozen=True)
class Court:
    """Who the consents and orders open categories to, and who records them: each agency the
    consent to share what it holds, the treatment provider the court orders (for its views)."""

    programme_team: User  # a user of the programme team (coordination or probation)
    treatment_provider: User  # a user of the treatment provider
    recipient_agency: Agency
    recipient_role: str
    name: str  # the court named on the orders


def synthetic_participants() -> list:
    """Every participant `turnpoint synth` made (marked synthetic), in id order: what the demo
    records consents and orders for. Not a read for anyone: no user is given these rows."""
    return list(Participant.objects.filter(synthetic=True).order_by("pk"))


def synth_openings(participants, court: Court, *, without_consent_every: int = 4,
                   court_order_every: int = 50) -> dict:  # fmt: skip
    """For each participant in `participants` (instances, in a fixed order): a consent to share
    their progress with the court, for court review, for a year from a month ago, except every
    `without_consent_every`-th; and a court order for the treatment provider's views for every
    `court_order_every`-th, starting with the first. A participant who already has a consent to
    that agency, or a court order, gets no other, so running it again adds nothing. All or
    nothing: one transaction. Returns the numbers recorded."""
    with transaction.atomic():
        return _openings(participants, court, without_consent_every, court_order_every)


def _openings(participants, court: Court, without_consent_every: int, court_order_every: int):
    now, today = timezone.now(), timezone.localdate()
    with_consent = set(
        ShareConsent.objects.filter(
            participant__in=participants, recipient_agency=court.recipient_agency
        ).values_list("participant_id", flat=True)
    )
    with_order = set(
        CourtOrder.objects.filter(participant__in=participants).values_list(
            "participant_id", flat=True
        )
    )
    made = {"consents": 0, "court_orders": 0}
    for i, person in enumerate(participants):
        if i % without_consent_every != without_consent_every - 1 and person.pk not in with_consent:
            # Under 42 CFR 2.35 (a US criminal-justice referral) the consent stays irrevocable
            # until the episode ends, as such programmes' consents say.
            referral = criminal_justice_referral_for(person)
            after_event = (
                RevocableEvent.EPISODE_EXIT
                if referral is not None
                and referral.programme.consent_revocation == ConsentRevocation.AFTER_STATED_EVENT
                else ""
            )
            for holder, categories in ((court.programme_team, TEAM_PROGRESS),
                                       (court.treatment_provider, TREATMENT_PROGRESS)):  # fmt: skip
                share_consent_create(
                    acting_user=holder, participant=person, recipient_role=court.recipient_role,
                    recipient_agency=court.recipient_agency, categories=list(categories),
                    purposes=[Purpose.COURT_REVIEW], starts_at=now - timedelta(days=30),
                    expires_at=now + timedelta(days=335), signed_on=today - timedelta(days=30),
                    revocable_after_event=after_event,
                    revocation_statement=(
                        "You may withdraw this consent once your time in the programme ends."
                        if after_event
                        else "You may withdraw this consent at any time."
                    ),
                    revocation_method="Tell your key worker, in person or in writing.",
                    signature_method="written", signed_by="the participant",
                )  # fmt: skip
            made["consents"] += 1
        if i % court_order_every == 0 and person.pk not in with_order:
            court_order_record(
                acting_user=court.treatment_provider, participant=person, kind=CourtOrderKind.ORDER,
                court=court.name, reference=f"SYNTH-{person.pk}", made_on=today,
                categories=[Category.TREATMENT_PROGRESS], covers_from=today - timedelta(days=365),
                covers_to=today, recipient_role=court.recipient_role,
                purposes=[Purpose.COURT_REVIEW], expires_at=now + timedelta(days=90),
            )  # fmt: skip
            made["court_orders"] += 1
    return made
