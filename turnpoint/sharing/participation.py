"""Informed consent to take part in a programme (R12; security.md).

Recorded before an episode starts: the alternatives explained, the degree of coercion, the
maximum duration (refused if longer than the custodial sentence it replaces, where the programme
says so), what non-completion means, and the right to withdraw. Outcomes improve with
voluntariness (seed 002: a synthesis of 129 studies found treatment's crime-reducing effect grew
with the degree to which the person was free to choose), so the degree is data for evaluation.
"""

from django.db import transaction
from django.utils import timezone

from turnpoint import dates
from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.journeys.models import Referral, State
from turnpoint.text import text_problems, texts_problems

from .audit import audit_entry, audit_write
from .categories import Category
from .models.consents import Coercion, ParticipationConsent

# Free text and its longest length (the page's fields say the same).
TEXT_LIMITS = {"alternatives_explained": 4000, "non_completion_explained": 4000, "signed_by": 200}
MULTILINE = ("alternatives_explained", "non_completion_explained")
HOW_MAX = 2000


def participation_consent_problems(*, programme, values: dict, referral=None) -> list[Problem]:
    """Every problem with a consent to take part; `referral` (when given) is the one it is for,
    whose dates it is checked against."""
    problems = texts_problems(values, TEXT_LIMITS, multiline=MULTILINE)
    for name in ("alternatives_explained", "non_completion_explained", "signed_by"):
        if not str(values.get(name) or "").strip():
            problems.append(Problem(name, "is required"))
    if values.get("coercion") not in Coercion.values:
        problems.append(Problem("coercion", f"must be one of: {', '.join(Coercion.values)}"))
    if values.get("right_to_withdraw_explained") is not True:
        problems.append(
            Problem("right_to_withdraw_explained", "the right to withdraw must be explained")
        )
    signed_on = values.get("signed_on")
    if not signed_on:
        problems.append(Problem("signed_on", "is required"))
    else:
        born = referral.participant.date_of_birth if referral is not None else None
        referred_on = referral.referral_date if referral is not None else None
        problems += dates.entered_date(
            "signed_on", signed_on, today=timezone.localdate(), born=born
        ) or dates.in_order("signed_on", signed_on, referred_on, "the referral date")
    weeks = values.get("agreed_max_weeks")
    custody = values.get("custodial_weeks_replaced")
    if not isinstance(weeks, int) or weeks < 1:
        problems.append(Problem("agreed_max_weeks", "must be a whole number of weeks, at least 1"))
    else:
        longest = programme.max_duration_weeks
        if weeks > longest:
            reason = f"is longer than the programme's maximum of {longest} weeks"
            problems.append(Problem("agreed_max_weeks", reason))
        if programme.definition["policy"].get("max_duration_not_longer_than_custody"):
            if custody is None:
                reason = "is required: the programme may not outlast the custody it replaces"
                problems.append(Problem("custodial_weeks_replaced", reason))
            elif weeks > custody:
                reason = f"is longer than the {custody} weeks of custody it replaces"
                problems.append(Problem("agreed_max_weeks", reason))
    return problems


def participation_consent_build(*, acting_user, referral, **values) -> ParticipationConsent:
    """Check and build (not save) a consent: the rule shared by the service and bulk writers."""
    problems = participation_consent_problems(
        programme=referral.programme, values=values, referral=referral
    )
    if problems:
        raise InvalidInput(problems)
    return ParticipationConsent(
        referral=referral, participant_id=referral.participant_id, recorded_by=acting_user,
        **values,
    )  # fmt: skip


def participation_consent_audit(consent: ParticipationConsent, *, acting_user):
    return audit_entry(
        acting_user=acting_user, action="create", obj=consent,
        categories=[Category.LEGAL], participant_ids=[consent.participant_id],
    )  # fmt: skip


# Consent to take part is recorded before the episode starts (R12): in these states only.
BEFORE_EPISODE = frozenset(
    {State.REFERRAL, State.SCREENING, State.ELIGIBILITY, State.ASSESSMENT,
     State.RECOMMENDATION, State.DECISION}
)  # fmt: skip


def participation_consent_refusal(referral) -> str:
    """Why no consent to take part can be recorded for the referral now, or "" if one can."""
    if referral.state not in BEFORE_EPISODE:
        return (
            "Consent to take part is recorded before the episode starts; this referral is "
            f"at '{referral.get_state_display()}'. Nothing was saved."
        )
    if participation_consent_current(referral) is not None:
        return (
            "This referral already has a consent to take part. Withdraw it before "
            "recording a new one. Nothing was saved."
        )
    return ""


def participation_consent_record(*, acting_user, referral, **values) -> ParticipationConsent:
    """Record the consent; Conflict when the episode has started or a consent is current
    (checked under the referral's row lock, so two recordings cannot both pass)."""
    consent = participation_consent_build(acting_user=acting_user, referral=referral, **values)
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if refusal := participation_consent_refusal(locked):
            raise Conflict(refusal)
        consent.save()
        participation_consent_audit(consent, acting_user=acting_user).save()
    return consent


def participation_consent_withdraw(consent, *, acting_user, how: str) -> ParticipationConsent:
    if not how.strip():
        raise InvalidInput(Problem("how", "say how the participant withdrew"))
    if problems := text_problems("how", how, max_length=HOW_MAX, multiline=True):
        raise InvalidInput(problems)
    with transaction.atomic():
        if not ParticipationConsent.objects.filter(pk=consent.pk, withdrawn_at__isnull=True).update(
            withdrawn_at=timezone.now(), withdrawn_how=how.strip()
        ):
            raise InvalidInput(Problem("consent", "is already withdrawn"))
        audit_write(
            acting_user=acting_user, action="update", obj=consent,
            participant_ids=[consent.participant_id], detail={"withdrawn": True},
        )  # fmt: skip
    consent.refresh_from_db()
    return consent


def participation_consent_current(referral) -> ParticipationConsent | None:
    return referral.participation_consents.filter(withdrawn_at__isnull=True).first()
