"""Giving an instrument and recording an external assessment (docs/assessments.md,
"Administering", "External assessments"): partial saves and resuming, a stale save refused, an
answer out of range refused naming the item with nothing stored, completion storing the scores,
a complete administration never edited, and every write audited."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from turnpoint.assessments.models import Administration, ExternalAssessment
from turnpoint.assessments.services import (
    administration_answers_save,
    administration_complete,
    administration_start,
    external_assessment_record,
)
from turnpoint.errors import Conflict, InvalidInput
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.rules import PolicyDenied

BARC = {f"barc_{n}": 4 for n in range(1, 11)}


@pytest.fixture
def referral(make_referral):
    return make_referral()


def start(user, referral, instrument_id="barc-10", **values):
    return administration_start(
        acting_user=user, participant=referral.participant, referral=referral,
        instrument_id=instrument_id, setting=values.pop("setting", "intake"),
        administered_on=values.pop("administered_on", date.today()), **values,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_partial_save_keeps_the_answers_and_the_administration_resumes(coordinator, referral):
    administration = start(coordinator, referral)
    assert administration.category == "strengths"  # copied from the instrument file
    assert administration.instrument_version
    saved = administration_answers_save(
        administration, acting_user=coordinator, answers={"barc_1": 5, "barc_2": "3"},
        expected_version=1,
    )  # fmt: skip
    assert saved.version == 2 and saved.status == "in_progress"
    again = Administration.objects.get(pk=administration.pk)
    assert again.answers == {"barc_1": 5, "barc_2": 3}
    # Resumed later: the next save adds to what was kept.
    administration_answers_save(again, acting_user=coordinator, answers={"barc_3": 6},
                                expected_version=2)  # fmt: skip
    again.refresh_from_db()
    assert again.answers == {"barc_1": 5, "barc_2": 3, "barc_3": 6}
    assert again.scores == {}


@pytest.mark.django_db
def test_saving_the_same_answers_twice_changes_nothing(coordinator, referral):
    administration = start(coordinator, referral)
    administration_answers_save(administration, acting_user=coordinator,
                                answers={"barc_1": 5}, expected_version=1)  # fmt: skip
    writes = AuditEntry.objects.filter(object_type="administration").count()
    # The same answers again, even from the page read before the first save: nothing changes.
    same = administration_answers_save(
        Administration.objects.get(pk=administration.pk), acting_user=coordinator,
        answers={"barc_1": 5}, expected_version=1,
    )  # fmt: skip
    assert same.version == 2
    assert AuditEntry.objects.filter(object_type="administration").count() == writes


@pytest.mark.django_db
def test_a_stale_save_is_refused_and_nothing_changes(coordinator, users, referral):
    administration = start(coordinator, referral)
    administration_answers_save(administration, acting_user=users["casemanager"],
                                answers={"barc_1": 2}, expected_version=1)  # fmt: skip
    with pytest.raises(Conflict) as refused:
        administration_answers_save(
            Administration.objects.get(pk=administration.pk), acting_user=coordinator,
            answers={"barc_1": 6}, expected_version=1,
        )  # fmt: skip
    assert "Someone saved this administration since you opened it" in str(refused.value)
    assert Administration.objects.get(pk=administration.pk).answers == {"barc_1": 2}


@pytest.mark.django_db
def test_an_answer_out_of_range_is_refused_naming_the_item_and_nothing_is_stored(
    coordinator, referral
):
    administration = start(coordinator, referral)
    with pytest.raises(InvalidInput) as refused:
        administration_answers_save(
            administration, acting_user=coordinator, answers={"barc_1": 5, "barc_2": 9},
            expected_version=1,
        )  # fmt: skip
    problems = {p.field: p.reason for p in refused.value.problems}
    assert set(problems) == {"barc_2"} and "9" in problems["barc_2"]
    stored = Administration.objects.get(pk=administration.pk)
    assert stored.answers == {} and stored.version == 1
    readiness = start(coordinator, referral, "tp-readiness")
    with pytest.raises(InvalidInput) as refused:
        administration_complete(readiness, acting_user=coordinator, expected_version=1,
                                answers={"importance": 11, "confidence": 4})  # fmt: skip
    assert [p.field for p in refused.value.problems] == ["importance"]
    stored = Administration.objects.get(pk=readiness.pk)
    assert stored.status == "in_progress" and stored.answers == {} and stored.scores == {}


@pytest.mark.django_db
def test_completing_stores_the_scores_and_a_complete_administration_is_never_edited(
    coordinator, referral
):
    administration = start(coordinator, referral)
    done = administration_complete(administration, acting_user=coordinator, answers=BARC,
                                   expected_version=1)  # fmt: skip
    stored = Administration.objects.get(pk=done.pk)
    assert stored.status == "complete" and stored.completed_at is not None
    total = next(s for s in stored.scores["scales"] if s["id"] == "total")
    assert total["score"] == 40  # ten answers of 4
    assert stored.scores["answered"] == 10 and stored.scores["missing"] == []
    with pytest.raises(InvalidInput) as refused:
        administration_answers_save(stored, acting_user=coordinator, answers={"barc_1": 1},
                                    expected_version=stored.version)  # fmt: skip
    assert "give the instrument again" in str(refused.value)
    assert Administration.objects.get(pk=done.pk).answers["barc_1"] == 4


@pytest.mark.django_db
def test_finishing_with_a_question_unanswered_names_it_and_stores_nothing(coordinator, referral):
    administration = start(coordinator, referral, "tp-readiness")
    with pytest.raises(InvalidInput) as refused:
        administration_complete(administration, acting_user=coordinator, expected_version=1,
                                answers={"importance": 7})  # fmt: skip
    assert "confidence" in {p.field for p in refused.value.problems}
    assert Administration.objects.get(pk=administration.pk).status == "in_progress"


@pytest.mark.django_db
def test_starting_is_refused_with_each_problem_named(coordinator, referral):
    with pytest.raises(InvalidInput) as refused:
        administration_start(
            acting_user=coordinator, participant=referral.participant,
            instrument_id="barc-10", setting="sometime",
            administered_on=date.today() + timedelta(days=1), mode="robot",
        )  # fmt: skip
    fields = {p.field: p.reason for p in refused.value.problems}
    assert fields["administered_on"] == "is in the future"
    assert {"setting", "mode"} <= set(fields)
    with pytest.raises(InvalidInput) as refused:
        start(coordinator, referral, "not-an-instrument")
    assert refused.value.problems[0].field == "instrument"
    assert not Administration.objects.exists()


@pytest.mark.django_db
def test_only_roles_that_write_the_category_give_an_instrument(users, referral):
    with pytest.raises(PolicyDenied):
        start(users["judge"], referral)
    # A depression measure is mental health: the treatment provider's, not case work's.
    with pytest.raises(PolicyDenied):
        start(users["coordinator"], referral, "phq-9")
    given = start(users["clinician"], referral, "phq-9")
    assert given.category == "mental_health"


@pytest.mark.django_db
def test_every_write_is_audited_with_its_category(coordinator, referral):
    administration = start(coordinator, referral)
    administration_complete(administration, acting_user=coordinator, answers=BARC,
                            expected_version=1)  # fmt: skip
    entries = AuditEntry.objects.filter(
        object_type="administration", object_id=str(administration.pk)
    ).order_by("id")
    assert [e.action for e in entries] == ["create", "update"]
    assert all(e.categories == ["strengths"] for e in entries)
    assert entries[1].detail["completed"] is True
    assert all(e.participant_ids == [referral.participant_id] for e in entries)


@pytest.mark.django_db
def test_an_external_assessment_is_recorded_and_audited(coordinator, referral):
    recorded = external_assessment_record(
        acting_user=coordinator, participant=referral.participant, referral=referral,
        tool="LS/CMI", level="high", total="27", assessed_on=date.today(),
        assessed_by="J. Walsh, probation", note="Given at the pre-sentence report.",
    )  # fmt: skip
    stored = ExternalAssessment.objects.get(pk=recorded.pk)
    assert (stored.tool, stored.level, stored.total) == ("LS/CMI", "high", Decimal("27"))
    assert stored.category == "risk_need"
    entry = AuditEntry.objects.get(object_type="externalassessment", object_id=str(stored.pk))
    assert entry.action == "create" and entry.categories == ["risk_need"]


@pytest.mark.django_db
def test_an_external_assessment_with_bad_values_is_refused_naming_each(coordinator, referral):
    with pytest.raises(InvalidInput) as refused:
        external_assessment_record(
            acting_user=coordinator, participant=referral.participant, tool="",
            level="extreme", total="a lot", assessed_on=date.today() + timedelta(days=3),
            note="Fine\u202e",
        )  # fmt: skip
    fields = {p.field for p in refused.value.problems}
    assert fields == {"tool", "level", "total", "assessed_on", "note"}
    assert not ExternalAssessment.objects.exists()
    with pytest.raises(PolicyDenied):
        external_assessment_record(acting_user=_judge(referral), participant=referral.participant,
                                   tool="OASys", level="low", assessed_on=date.today())  # fmt: skip


def _judge(referral):
    from turnpoint.accounts.models import User

    return User.objects.get(username="judge")
