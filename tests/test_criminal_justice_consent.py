"""Consents to the referring criminal justice agency follow 42 CFR 2.35 (security.md SEC-09):
recipients only in roles with a monitoring duty, irrevocable until a stated date or event no later
than the expected final disposition, revocable after it; UK consents stay revocable at any time."""

from datetime import date, datetime, time, timedelta
from io import BytesIO

import pytest
import time_machine
from django.utils import timezone
from participation_helpers import consent_to_take_part
from pypdf import PdfReader

from turnpoint.accounts.models import Role
from turnpoint.errors import InvalidInput
from turnpoint.journeys.services import referral_transition
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.consents import (
    RevocableEvent,
    ShareConsent,
    share_consent_create,
    share_consent_revoke,
)
from turnpoint.sharing.documents import share_consent_pdf
from turnpoint.sharing.reach import decide_for

TO_EPISODE = ["screening", "eligibility", "assessment", "recommendation", "decision", "episode"]


@pytest.fixture
def us_programme(programmes, users):
    """The US adult drug court, with every persona also in its team."""
    us = programmes["us-adult-drug-court"]
    for user in users.values():
        user.programmes.add(us)
    return us


@pytest.fixture
def us_referral(make_referral, us_programme):
    return make_referral(programme=us_programme)


def walk(referral, user, until: str) -> None:
    """Move the referral one day per step from its referral date until it reaches `until`."""
    day = referral.referral_date
    for state in TO_EPISODE[: TO_EPISODE.index(until) + 1]:
        day += timedelta(days=1)
        extra = {"decision": {"recommended_disposal": "programme"},
                 "episode": {"imposed_disposal": "programme"}}.get(state, {})  # fmt: skip
        if state == "episode":
            consent_to_take_part(referral, user)
        referral_transition(referral, acting_user=user, to_state=state, occurred_on=day, **extra)
        referral.refresh_from_db()


def exit_episode(referral, user) -> None:
    referral_transition(
        referral, acting_user=user, to_state="exit", occurred_on=date.today(),
        exit_type="graduated", reason="Completed every phase.",
        override_reason="Graduated early with the court's agreement",  # before the minimum
    )  # fmt: skip


def values(participant, users, **overrides):
    data = dict(
        participant=participant,
        disclosing_agency=users["clinician"].agency,
        recipient_role=Role.JUDGE,
        recipient_agency=users["judge"].agency,
        categories=[Category.CLINICAL],
        purposes=[Purpose.COURT_REVIEW],
        starts_at=timezone.now() - timedelta(minutes=1),
        expires_at=timezone.now() + timedelta(days=365),
        revocation_statement="You can withdraw this consent once it becomes withdrawable.",
        revocation_method="Tell your key worker or write to the programme team.",
        signature_method="written",
        signed_by="Robin Example",
        signed_on=date.today(),
        revocable_after_event=RevocableEvent.EPISODE_EXIT,
    )
    data.update(overrides)
    return data


def problems_of(excinfo) -> dict[str, str]:
    return {p.field: p.reason for p in excinfo.value.problems}


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


@pytest.mark.django_db
def test_sec_09_recipient_without_monitoring_duty_is_refused(users, us_referral):
    participant = us_referral.participant
    clinician = users["clinician"]
    with pytest.raises(InvalidInput) as excinfo:
        share_consent_create(
            acting_user=clinician, **values(participant, users, recipient_role=Role.DEFENCE)
        )
    reason = problems_of(excinfo)["recipient_role"]
    assert "duty to monitor the participant's progress" in reason
    assert "Judge, Prosecutor, Probation officer / justice social worker" in reason
    assert "42 CFR 2.35(a)" in reason
    # An agency alone would reach every role there, with or without a monitoring duty.
    with pytest.raises(InvalidInput) as excinfo:
        share_consent_create(
            acting_user=users["clinician"], **values(participant, users, recipient_role="")
        )
    assert problems_of(excinfo)["recipient_role"].startswith("is required and must be a role")
    # A named person is checked by their role.
    with pytest.raises(InvalidInput) as excinfo:
        share_consent_create(acting_user=users["clinician"], **values(
            participant, users, recipient_role="", recipient_user=users["defence"]
        ))  # fmt: skip
    assert "recipient_user" in problems_of(excinfo)
    assert not ShareConsent.objects.exists()
    # A judge has the duty: saved, tied to the referral, and it opens the category to the judge.
    consent = share_consent_create(acting_user=users["clinician"], **values(participant, users))
    assert consent.referral_id == us_referral.pk
    assert decide_for(users["judge"], Category.CLINICAL, participant).allowed


@pytest.mark.django_db
def test_sec_09_a_criminal_justice_consent_must_say_when_it_becomes_revocable(users, us_referral):
    with pytest.raises(InvalidInput) as excinfo:
        share_consent_create(acting_user=users["clinician"], **values(
            us_referral.participant, users, revocable_after_event=""
        ))  # fmt: skip
    assert "42 CFR 2.35(c)" in problems_of(excinfo)["revocable_from"]
    with pytest.raises(InvalidInput) as excinfo:
        share_consent_create(acting_user=users["clinician"], **values(
            us_referral.participant, users, revocable_after_event="sentencing"
        ))  # fmt: skip
    assert problems_of(excinfo)["revocable_after_event"] == "must be one of: decision, episode_exit"
    assert not ShareConsent.objects.exists()


@pytest.mark.django_db
def test_sec_09_revocable_from_later_than_final_disposition_is_refused(users, us_referral):
    coordinator = users["coordinator"]
    participant = us_referral.participant
    # Before the episode starts: the consent's start plus the programme's 104 weeks.
    latest = timezone.localdate() + timedelta(weeks=104)
    with pytest.raises(InvalidInput) as excinfo:
        share_consent_create(acting_user=users["clinician"], **values(
            participant, users, revocable_from=latest + timedelta(days=1)
        ))  # fmt: skip
    reason = problems_of(excinfo)["revocable_from"]
    assert reason.startswith(f"must be on or before {latest.day} {latest:%B %Y}")
    assert "expected final disposition" in reason and "42 CFR 2.35(c)" in reason
    # Once the episode has started, its start date counts.
    walk(us_referral, coordinator, "episode")
    started_on = us_referral.episode.started_on
    latest = started_on + timedelta(weeks=104)
    assert latest < timezone.localdate() + timedelta(weeks=104)
    with pytest.raises(InvalidInput) as excinfo:
        share_consent_create(acting_user=users["clinician"], **values(
            participant, users, revocable_from=latest + timedelta(days=1)
        ))  # fmt: skip
    reason = problems_of(excinfo)["revocable_from"]
    assert f"{latest.day} {latest:%B %Y}" in reason
    assert f"the episode's start on {started_on.day} {started_on:%B %Y}" in reason
    assert not ShareConsent.objects.exists()
    # The final disposition itself is allowed.
    consent = share_consent_create(acting_user=users["clinician"], **values(
        participant, users, revocable_from=latest, revocable_after_event=""
    ))  # fmt: skip
    assert ShareConsent.objects.get().revocable_from == latest == consent.revocable_from


@pytest.mark.django_db
def test_sec_09_revocation_before_the_event_is_refused_naming_it(users, us_referral):
    coordinator = users["coordinator"]
    walk(us_referral, coordinator, "episode")
    consent = share_consent_create(
        acting_user=users["clinician"], **values(us_referral.participant, users)
    )
    with pytest.raises(InvalidInput) as excinfo:
        share_consent_revoke(consent, acting_user=coordinator, how="Asked at a session")
    reason = problems_of(excinfo)["consent"]
    assert reason.startswith("cannot be revoked until the episode ends (42 CFR 2.35(c))")
    assert f"signed on {date.today().day} {date.today():%B %Y}" in reason
    stored = ShareConsent.objects.get(pk=consent.pk)
    assert stored.revoked_at is None and stored.revocation_how == ""
    assert decide_for(users["judge"], Category.CLINICAL, us_referral.participant).allowed


@pytest.mark.django_db
def test_sec_09_revocation_after_the_event_works(users, us_referral):
    coordinator = users["coordinator"]
    participant = us_referral.participant
    walk(us_referral, coordinator, "episode")
    consent = share_consent_create(acting_user=users["clinician"], **values(participant, users))
    exit_episode(us_referral, coordinator)
    share_consent_revoke(consent, acting_user=coordinator, how="Wrote to the programme team")
    stored = ShareConsent.objects.get(pk=consent.pk)
    assert stored.revoked_at is not None and stored.revoked_by == coordinator
    assert not decide_for(users["judge"], Category.CLINICAL, participant).allowed


@pytest.mark.django_db
def test_sec_09_revocation_after_the_stated_date_works(users, us_referral):
    """With a date and an event, the consent becomes revocable at whichever comes first."""
    coordinator = users["coordinator"]
    participant = us_referral.participant
    revocable_from = timezone.localdate() + timedelta(days=90)
    consent = share_consent_create(acting_user=users["clinician"], **values(
        participant, users, revocable_from=revocable_from
    ))  # fmt: skip
    day_before = timezone.make_aware(datetime.combine(revocable_from - timedelta(days=1), time(12)))
    with time_machine.travel(day_before, tick=False):
        with pytest.raises(InvalidInput) as excinfo:
            share_consent_revoke(consent, acting_user=coordinator, how="Asked")
        reason = problems_of(excinfo)["consent"]
        when = f"{revocable_from.day} {revocable_from:%B %Y}"
        assert f"until {when} or the episode ends, whichever comes first" in reason
        assert ShareConsent.objects.get(pk=consent.pk).revoked_at is None
    with time_machine.travel(day_before + timedelta(days=1), tick=False):
        share_consent_revoke(consent, acting_user=coordinator, how="Asked again")
    assert ShareConsent.objects.get(pk=consent.pk).revoked_at is not None


@pytest.mark.django_db
def test_sec_09_uk_consents_stay_revocable_at_any_time(users, make_referral, programmes):
    assert programmes["england-drr"].definition["policy"]["consent_revocation"] == "any_time"
    assert programmes["ghent-dtc"].consent_revocation == "any_time"
    coordinator = users["coordinator"]
    participant = make_referral().participant  # Ghent
    # No monitoring-duty restriction, and no date or event may hold it back.
    with pytest.raises(InvalidInput) as excinfo:
        share_consent_create(acting_user=users["clinician"], **values(
            participant, users, recipient_role=Role.DEFENCE,
            revocable_from=date.today() + timedelta(days=30),
        ))  # fmt: skip
    problems = problems_of(excinfo)
    assert set(problems) == {"revocable_from", "revocable_after_event"}
    assert problems["revocable_from"].endswith("can be revoked at any time")
    assert not ShareConsent.objects.exists()
    consent = share_consent_create(acting_user=users["clinician"], **values(
        participant, users, recipient_role=Role.DEFENCE, revocable_after_event=""
    ))  # fmt: skip
    assert consent.referral_id is None and not consent.irrevocable_for_a_time
    share_consent_revoke(consent, acting_user=coordinator, how="Told the key worker")
    assert ShareConsent.objects.get(pk=consent.pk).revoked_at is not None


@pytest.mark.django_db
def test_sec_09_printed_consent_states_the_revocation_condition(users, us_referral, make_referral):
    revocable_from = date.today() + timedelta(days=60)
    consent = share_consent_create(acting_user=users["clinician"], **values(
        us_referral.participant, users, revocable_from=revocable_from
    ))  # fmt: skip
    text = " ".join(_pdf_text(share_consent_pdf(consent)).split())
    assert "When you can withdraw this consent" in text
    assert (
        f"You cannot withdraw this consent until {revocable_from.day} {revocable_from:%B %Y} or "
        "your time in the programme ends (you graduate, leave or are discharged), whichever "
        "comes first." in text
    )
    assert "42 CFR 2.35" in text
    uk = share_consent_create(acting_user=users["clinician"], **values(
        make_referral(given_name="Sam").participant, users, revocable_after_event=""
    ))  # fmt: skip
    uk_text = " ".join(_pdf_text(share_consent_pdf(uk)).split())
    assert "Your right to withdraw this consent" in uk_text
    assert "You cannot withdraw" not in uk_text and "2.35" not in uk_text


@pytest.mark.django_db
def test_sec_09_a_consent_for_the_decision_becomes_revocable_once_it_is_made(users, us_referral):
    coordinator = users["coordinator"]
    walk(us_referral, coordinator, "decision")
    consent = share_consent_create(acting_user=users["clinician"], **values(
        us_referral.participant, users, recipient_role=Role.PROSECUTOR,
        revocable_after_event=RevocableEvent.DECISION,
    ))  # fmt: skip
    with pytest.raises(InvalidInput) as excinfo:
        share_consent_revoke(consent, acting_user=coordinator, how="Asked")
    assert problems_of(excinfo)["consent"].startswith(
        "cannot be revoked until the decision on the referral is made"
    )
    last_step = us_referral.transitions.order_by("-occurred_on").first().occurred_on
    consent_to_take_part(us_referral, coordinator)
    referral_transition(
        us_referral,
        acting_user=coordinator,
        to_state="episode",
        occurred_on=last_step + timedelta(days=1),
        imposed_disposal="programme",
    )
    share_consent_revoke(consent, acting_user=coordinator, how="Asked after the decision")
    assert ShareConsent.objects.get(pk=consent.pk).revoked_at is not None


def test_sec_09_in_the_portal_a_criminal_justice_consent_is_withdrawn_only_after_its_event(
    users, us_referral
):
    """The participant's own page says when the consent becomes withdrawable and refuses the
    withdrawal until then, changing nothing; after the episode ends it works (docs/portal.md)."""
    from django.test import Client

    from turnpoint.portal.services import portal_setup_code_issue

    coordinator = users["coordinator"]
    participant = us_referral.participant
    walk(us_referral, coordinator, "episode")
    consent = share_consent_create(acting_user=users["clinician"], **values(participant, users))
    account, _ = portal_setup_code_issue(acting_user=coordinator, participant=participant)
    portal = Client()
    portal.force_login(account.user)
    listed = portal.get("/portal/sharing/").content.decode()
    assert "cannot be withdrawn until your time in the programme ends" in " ".join(listed.split())
    assert f"/portal/sharing/{consent.pk}/withdraw/" not in listed

    refused = portal.post(f"/portal/sharing/{consent.pk}/withdraw/")
    assert refused.status_code == 400
    assert ShareConsent.objects.get(pk=consent.pk).revoked_at is None
    assert decide_for(users["judge"], Category.CLINICAL, participant).allowed

    exit_episode(us_referral, coordinator)
    assert portal.post(f"/portal/sharing/{consent.pk}/withdraw/").status_code == 302
    assert ShareConsent.objects.get(pk=consent.pk).revoked_by == account.user
    assert not decide_for(users["judge"], Category.CLINICAL, participant).allowed
