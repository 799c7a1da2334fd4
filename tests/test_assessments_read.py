"""Reading a participant's assessments (docs/assessments.md, docs/sharing.md): only the
categories the user may read for that participant, decided with the rules and openings, and the
read recorded (audited when a category is sensitive)."""

from datetime import date, timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from turnpoint.accounts.models import Role
from turnpoint.assessments.services import (
    administration_complete,
    administration_start,
    external_assessment_record,
)
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.consents import share_consent_create
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.reads import administration_read, assessments_read


def give(user, referral, instrument_id, answers):
    administration = administration_start(
        acting_user=user, participant=referral.participant, referral=referral,
        instrument_id=instrument_id, setting="intake", administered_on=date.today(),
    )  # fmt: skip
    return administration_complete(administration, acting_user=user, answers=answers,
                                   expected_version=1)  # fmt: skip


@pytest.fixture
def recorded(users, make_referral):
    from turnpoint.assessments.instruments import get

    referral = make_referral()
    phq_answers = {i.id: 1 for i in get("phq-9").items if i.options}
    depression = give(users["clinician"], referral, "phq-9", phq_answers)
    capital = give(users["coordinator"], referral, "barc-10",
                   {f"barc_{n}": 4 for n in range(1, 11)})  # fmt: skip
    external = external_assessment_record(
        acting_user=users["probation"], participant=referral.participant, referral=referral,
        tool="LS/CMI", level="medium", assessed_on=date.today(),
    )  # fmt: skip
    return referral, depression, capital, external


def mental_health_reads(participant, user):
    """The audit entries of reads of this participant's mental health by `user`."""
    return [
        e
        for e in AuditEntry.objects.filter(action="read", user=user).order_by("id")
        if "mental_health" in e.categories and participant.pk in e.participant_ids
    ]


@pytest.mark.django_db
def test_each_role_reads_only_the_categories_it_may(users, recorded):
    referral, depression, capital, external = recorded
    person = referral.participant
    clinician = assessments_read(users["clinician"], person)
    assert {a.pk for a in clinician.administrations} == {depression.pk, capital.pk}
    coordinator = assessments_read(users["coordinator"], person)
    assert [a.pk for a in coordinator.administrations] == [capital.pk]
    assert [e.pk for e in coordinator.external] == [external.pk]
    judge = assessments_read(users["judge"], person)
    assert judge.administrations == [] and judge.external == []


@pytest.mark.django_db
def test_a_judge_sees_a_mental_health_score_only_with_consent_and_the_read_is_audited(
    users, recorded
):
    referral, depression, _, _ = recorded
    person = referral.participant
    judge = users["judge"]
    assert depression.pk not in {a.pk for a in assessments_read(judge, person).administrations}
    with pytest.raises(Http404):
        administration_read(judge, person, depression.pk)
    assert not mental_health_reads(person, judge)
    share_consent_create(
        acting_user=users["clinician"], participant=person,
        disclosing_agency=users["clinician"].agency, recipient_role=Role.JUDGE,
        recipient_agency=judge.agency, categories=[Category.MENTAL_HEALTH],
        purposes=[Purpose.COURT_REVIEW], starts_at=timezone.now() - timedelta(minutes=1),
        expires_at=timezone.now() + timedelta(days=90),
        revocation_statement="You can withdraw this consent at any time.",
        revocation_method="Tell your key worker.", signature_method="written",
        signed_by="Robin Example", signed_on=date.today(),
    )  # fmt: skip
    found = assessments_read(judge, person)
    assert [a.pk for a in found.administrations] == [depression.pk]  # and nothing else opens
    assert found.administrations[0].scores["scales"]
    [entry] = mental_health_reads(person, judge)
    assert entry.detail["administration_ids"] == [depression.pk]
    assert administration_read(judge, person, depression.pk).pk == depression.pk
    assert len(mental_health_reads(person, judge)) == 2


@pytest.mark.django_db
def test_reading_what_is_not_sensitive_writes_no_audit_entry(users, recorded):
    referral = recorded[0]
    before = AuditEntry.objects.filter(action="read").count()
    assessments_read(users["coordinator"], referral.participant)  # strengths and risk_need
    assert AuditEntry.objects.filter(action="read").count() == before
