"""Consent to share: which categories of a participant's information may go to which recipients,
for what purpose, from when until when (42 CFR 2.31; Caldicott 1-3; security.md SEC-06 to SEC-11).

A consent opens a category only when it matches on all four axes: the category, the recipient
(a named person, a role, or an agency), the purpose and the time (start ≤ now < expiry, not
revoked). Revocation takes effect on the next request because nothing is cached: the policy asks
`reach.active_consents` every time.

Only a user of the agency that holds what a consent opens records it, and a consent names the
agency that receives (security.md SEC-39; consent_authority.py).

In a programme flagged as a US criminal-justice referral (42 CFR 2.35; security.md SEC-09) a
consent names only recipients in the programme's monitoring roles, and may stay irrevocable until
a stated date or event no later than the expected final disposition.
"""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from turnpoint import dates
from turnpoint.accounts.models import Role
from turnpoint.errors import InvalidInput, Problem
from turnpoint.journeys.models import Episode, Referral
from turnpoint.programmes.models import ConsentRevocation, Programme
from turnpoint.text import text_problems, texts_problems

from .audit import audit_write
from .categories import Category, Purpose
from .consent_authority import holder_problems
from .models.consents import (
    _OPEN_STATES,
    EVENT_REACHED,
    RevocableEvent,
    ShareConsent,
    SignatureMethod,
    _day,
)

REQUIRED_TEXT = (
    "revocation_statement",
    "revocation_method",
    "signature_method",
    "signed_by",
)
# Free text and its longest length (the page's fields say the same).
TEXT_LIMITS = {
    "revocation_statement": 2000, "revocation_method": 500, "signed_by": 200,
    "representative_authority": 200,
}  # fmt: skip
HOW_MAX = 2000

# How long a consent may last when the programme file sets no `policy.consent_max_months`: no
# source we hold sets a maximum (42 CFR 2.31(a)(7) asks for an expiry date, event or condition
# but no longest period; UK GDPR consent is withdrawable at any time), so the programme's longest
# duration plus the follow-up after it: at least 2 years after exit (Kentucky Administrative
# Procedures of the Court of Justice, Part XIII, 2023). docs/programmes.md.
FOLLOW_UP_WEEKS = 104


def consent_latest_end(programme: Programme, starts_on: date) -> tuple[date, str]:
    """The latest a consent starting on `starts_on` may end in `programme`, and why in words."""
    months = programme.definition.get("policy", {}).get("consent_max_months")
    if months:
        return dates.add_months(starts_on, months), (
            f"a consent in {programme.name} lasts at most {months} months"
        )
    weeks = programme.max_duration_weeks + FOLLOW_UP_WEEKS
    return starts_on + timedelta(weeks=weeks), (
        f"a consent in {programme.name} lasts at most {weeks} weeks (the programme's longest "
        f"duration of {programme.max_duration_weeks} weeks plus {FOLLOW_UP_WEEKS} weeks of "
        "follow-up after it)"
    )


def _participant_programmes(participant) -> list[Programme]:
    """The programmes of the participant's referrals still open (all of them when none is)."""
    referrals = list(Referral.objects.select_related("programme").filter(participant=participant))
    open_ = [r for r in referrals if r.state not in ("closed", "left")] or referrals
    return list({r.programme_id: r.programme for r in open_}.values())


def _date_problems(values: dict) -> list[Problem]:
    """The consent's dates against today, the participant's birth and each other (signed, then
    starts, then expires), and its length against the programme's longest."""
    today = timezone.localdate()
    participant = values.get("participant")
    born = participant.date_of_birth if participant else None
    signed_on, expires_at = values.get("signed_on"), values.get("expires_at")
    starts_at = values.get("starts_at") or timezone.now()
    problems = dates.entered_date("signed_on", signed_on, today=today, born=born)
    problems += dates.not_before_floor("starts_at", starts_at) or dates.in_order(
        "starts_at", starts_at, signed_on,
        "the date it was signed",
        why="a consent takes effect from its signing, never before",
    )  # fmt: skip
    problems += dates.not_before_floor("revocable_from", values.get("revocable_from"))
    if expires_at and starts_at and expires_at > starts_at and participant:
        ends = [consent_latest_end(p, dates.day_of(starts_at))
                for p in _participant_programmes(participant)]  # fmt: skip
        if ends:
            latest, why = max(ends, key=lambda end: end[0])
            problems += dates.not_after("expires_at", expires_at, latest, why)
    return problems


def _validate(values: dict) -> list[Problem]:
    problems = texts_problems(values, TEXT_LIMITS, multiline=("revocation_statement",))
    problems += _date_problems(values)
    if not values.get("participant"):
        problems.append(Problem("participant", "is required"))
    if not values.get("recipient_agency"):
        problems.append(Problem("recipient_agency", (
            "is required: name the agency that receives the information (and a role or a person "
            "there if you wish); a consent never opens to every court or every judge"
        )))  # fmt: skip
    elif values.get("recipient_user") and (
        values["recipient_user"].agency_id != values["recipient_agency"].pk
    ):
        problems.append(Problem("recipient_user", "must work at the recipient agency"))
    categories = values.get("categories") or []
    if not categories:
        problems.append(Problem("categories", "list the categories of information; never 'all'"))
    for c in categories:
        if c not in Category.values:
            problems.append(Problem("categories", f"'{c}' is not a data category"))
    if Category.COUNSELLING_NOTES in categories and len(set(categories)) > 1:
        problems.append(Problem("categories", "counselling notes need a consent of their own"))
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


# 42 CFR 2.35 consents (security.md SEC-09) -------------------------------------------------------


def criminal_justice_referral_for(participant):
    """The participant's newest open referral (before the episode ends) to a programme flagged
    `criminal_justice_referral`, or None: its programme's 2.35 rules apply to their consents."""
    referrals = (
        Referral.objects.select_related("programme")
        .filter(participant=participant, state__in=_OPEN_STATES)
        .order_by("-referral_date", "-id")
    )
    return next((r for r in referrals if r.programme.criminal_justice_referral), None)


def expected_final_disposition(referral, *, starts_on: date) -> tuple[date, str]:
    """The latest a 2.35 consent may stay irrevocable (2.35(c)): the episode's start plus the
    programme's maximum duration; before the episode starts, the consent's start plus it."""
    weeks = referral.programme.max_duration_weeks
    started_on = (
        Episode.objects.filter(referral=referral).values_list("started_on", flat=True).first()
    )
    if started_on:
        return started_on + timedelta(weeks=weeks), (
            f"the episode's start on {_day(started_on)} plus the programme's maximum of "
            f"{weeks} weeks"
        )
    return starts_on + timedelta(weeks=weeks), (
        f"the consent's start on {_day(starts_on)} plus the programme's maximum of {weeks} weeks, "
        "as the episode has not started"
    )


def _role_list(roles) -> str:
    return ", ".join(str(Role(r).label) if r in Role.values else r for r in roles)


def _revocation_problems(values: dict, referral) -> list[Problem]:
    """Recipients and revocability under the participant's programme (42 CFR 2.35(a), (c))."""
    problems = []
    revocable_from = values.get("revocable_from")
    event = values.get("revocable_after_event") or ""
    if event and event not in RevocableEvent.values:
        choices = ", ".join(RevocableEvent.values)
        problems.append(Problem("revocable_after_event", f"must be one of: {choices}"))
    programme = referral.programme if referral else None
    if programme is not None and programme.criminal_justice_referral:
        allowed = programme.monitoring_roles
        duty = (
            f"a role with a duty to monitor the participant's progress in {programme.name}: "
            f"{_role_list(allowed)} (42 CFR 2.35(a))"
        )
        role, user = values.get("recipient_role"), values.get("recipient_user")
        if role and role not in allowed:
            problems.append(Problem("recipient_role", f"must be {duty}"))
        elif user and user.role not in allowed:
            problems.append(Problem("recipient_user", f"must be a person in {duty}"))
        elif not role and not user:
            problems.append(Problem("recipient_role", f"is required and must be {duty}"))
    if programme is None or programme.consent_revocation != ConsentRevocation.AFTER_STATED_EVENT:
        where = programme.name if programme else "the participant's programmes"
        reason = f"must be left empty: consents in {where} can be revoked at any time"
        if revocable_from:
            problems.append(Problem("revocable_from", reason))
        if event:
            problems.append(Problem("revocable_after_event", reason))
        return problems
    if not revocable_from and not event:
        problems.append(Problem("revocable_from", "or an event is required: say when the consent "
                                "becomes revocable (42 CFR 2.35(c))"))  # fmt: skip
    starts_at = values.get("starts_at") or timezone.now()
    starts_on = timezone.localdate(starts_at) if timezone.is_aware(starts_at) else starts_at.date()
    if revocable_from:
        latest, how = expected_final_disposition(referral, starts_on=starts_on)
        if revocable_from > latest:
            problems.append(Problem("revocable_from", (
                f"must be on or before {_day(latest)}, the expected final disposition ({how}); "
                "42 CFR 2.35(c) lets a consent stay irrevocable no later than that"
            )))  # fmt: skip
    return problems


def share_consent_revocable(consent: ShareConsent) -> tuple[bool, str]:
    """May the consent be revoked today? If not, the reason naming the condition (2.35(c))."""
    if not consent.irrevocable_for_a_time:
        return True, ""
    if consent.revocable_from and timezone.localdate() >= consent.revocable_from:
        return True, ""
    if consent.revocable_after_event and consent.referral_id is not None:
        state = (
            Referral.objects.filter(pk=consent.referral_id).values_list("state", flat=True).first()
        )
        if state in EVENT_REACHED[RevocableEvent(consent.revocable_after_event)]:
            return True, ""
    return False, (
        f"cannot be revoked until {consent.revocation_condition()} (42 CFR 2.35(c)); it became "
        f"irrevocable when it was signed on {_day(consent.signed_on)}"
    )


def share_consent_create(*, acting_user, **values) -> ShareConsent:
    """Record a consent to share; refused with every missing element named (SEC-06), by anyone
    but a user of the agency that holds what it opens (SEC-39), and in a criminal-justice-referral
    programme with the 2.35 rules checked (SEC-09)."""
    values.pop("referral", None)  # the service decides which referral a consent is for
    values["revocable_after_event"] = values.get("revocable_after_event") or ""
    participant = values.get("participant")
    referral = criminal_justice_referral_for(participant) if participant else None
    problems = (
        _validate(values) + holder_problems(acting_user, values)
        + _revocation_problems(values, referral)
    )  # fmt: skip
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        consent = ShareConsent.objects.create(created_by=acting_user, referral=referral, **values)
        audit_write(
            acting_user=acting_user, action="create", obj=consent,
            participant_ids=[consent.participant_id], categories=consent.categories,
        )  # fmt: skip
    return consent


def share_consent_revoke(consent: ShareConsent, *, acting_user, how: str) -> ShareConsent:
    """Revoke at once: the very next request by the former recipient is denied (SEC-08). A
    42 CFR 2.35 consent is refused, changing nothing, before its stated date or event (SEC-09)."""
    if not how.strip():
        raise InvalidInput(Problem("how", "say how the participant revoked the consent"))
    if problems := text_problems("how", how, max_length=HOW_MAX, multiline=True):
        raise InvalidInput(problems)
    revocable, reason = share_consent_revocable(consent)
    if not revocable and consent.revoked_at is None:
        raise InvalidInput(Problem("consent", f"{reason}. Nothing was changed."))
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
