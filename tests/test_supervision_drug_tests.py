"""Drug and alcohol tests: recording a test and its results, the interpretation that travels with
them, who reads them (a judge only where the programme's switch or a consent allows), the
random schedule stored as planned tests, and turnaround (turnpoint/supervision)."""

from datetime import date, datetime, timedelta

import pytest
from django.http import Http404
from django.utils import timezone
from supervision_helpers import on_episode

from turnpoint.accounts.models import Role
from turnpoint.errors import Conflict, InvalidInput
from turnpoint.journeys.models import Episode
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.consents import share_consent_create
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.reads import drug_tests_read
from turnpoint.sharing.rules import PolicyDenied
from turnpoint.supervision.measures import turnaround_hours, turnaround_missed
from turnpoint.supervision.models import Appointment, DrugTest, DrugTestResult
from turnpoint.supervision.services import (
    drug_test_interpret,
    drug_test_record,
    drug_test_schedule_draw,
)


@pytest.fixture
def teams(users, programmes):
    """Every persona also works in the Scottish DTTO (the court receives test results) and CPO
    (it does not), and in England's DRR (a phase testing every other week)."""
    for user in users.values():
        user.programmes.add(
            programmes["scotland-dtto"], programmes["scotland-cpo-dtr"], programmes["england-drr"]
        )
    return programmes


@pytest.fixture
def dtto(teams, make_referral, coordinator):
    return on_episode(make_referral(programme=teams["scotland-dtto"], source="court"), coordinator)


@pytest.fixture
def cpo(teams, make_referral, coordinator):
    referral = make_referral(
        programme=teams["scotland-cpo-dtr"],
        source="court",
        given_name="Casey",
        family_name="Dunmore",
    )
    return on_episode(referral, coordinator)


def _ago(hours):
    return timezone.now() - timedelta(hours=hours)


RESULTS = [
    {"substance": "opiates", "result": "positive", "confirmed": True,
     "confirmation_method": "LC/MS", "level": "600 ng/mL", "cut_off": "300 ng/mL"},
    {"substance": "cocaine", "result": "negative"},
]  # fmt: skip


def _test(user, referral, *, purpose="forensic", results=RESULTS, **values):
    values = {
        "collected_at": _ago(30),
        "specimen": "urine",
        "results_received_at": _ago(2),
        "witnessed": True,
        **values,
    }
    return drug_test_record(
        acting_user=user, referral=referral, purpose=purpose, results=results, **values
    )


def _fields(exc) -> dict:
    return {p.field: p.reason for p in exc.value.problems}


def test_a_test_and_its_results_are_recorded_and_audited(dtto, users):
    test = _test(users["probation"], dtto)
    assert test.category == Category.DRUG_TESTS and test.witnessed
    assert [(r.substance, r.result, r.confirmed) for r in test.results.all()] == [
        ("opiates", "positive", True),
        ("cocaine", "negative", False),
    ]
    entry = AuditEntry.objects.filter(action="create", object_type="drugtest").get()
    assert entry.categories == ["drug_tests"] and entry.participant_ids == [dtto.participant_id]
    # The same test again is the same test: nothing new.
    assert _test(users["probation"], dtto, collected_at=test.collected_at) == test
    assert DrugTest.objects.count() == 1 and DrugTestResult.objects.count() == 2


def test_refusals_name_the_field_and_the_substance_and_write_nothing(dtto, users):
    entries = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as exc:
        _test(
            users["probation"], dtto, specimen="spit",
            collected_at=timezone.now() + timedelta(days=1), results_received_at=_ago(40),
            results=[{"substance": "kratom", "result": "positive"},
                     {"substance": "cocaine", "result": "clear"}],
        )  # fmt: skip
    problems = exc.value.problems
    fields = {p.field for p in problems}
    assert {"specimen", "collected_at", "results"} <= fields
    reasons = " ".join(p.reason for p in problems if p.field == "results")
    assert "'kratom' is not a substance of the panel" in reasons
    assert "Cocaine: the result must be" in reasons
    with pytest.raises(InvalidInput) as exc:
        _test(users["probation"], dtto, collected_at=_ago(5), results_received_at=_ago(6))
    assert "before the specimen was collected" in _fields(exc)["results_received_at"]
    with pytest.raises(InvalidInput) as exc:
        _test(users["probation"], dtto, results_received_at=None)
    assert "is required with results" in _fields(exc)["results_received_at"]
    with pytest.raises(InvalidInput) as exc:
        _test(users["probation"], dtto, collected_at=timezone.make_aware(datetime(2001, 1, 1)))
    assert "before the referral date" in _fields(exc)["collected_at"]
    assert not DrugTest.objects.exists() and not DrugTestResult.objects.exists()
    assert AuditEntry.objects.count() == entries


def test_only_a_clinician_records_a_clinical_test_and_it_is_clinical(dtto, users, outsider):
    with pytest.raises(PolicyDenied):
        _test(users["probation"], dtto, purpose="clinical")
    with pytest.raises(PolicyDenied):
        _test(users["judge"], dtto)
    with pytest.raises(Http404):
        _test(outsider, dtto)
    test = _test(users["clinician"], dtto, purpose="clinical")
    assert test.category == Category.CLINICAL


def _consent_to_judge(participant, users, category):
    clinician = users["clinician"]
    return share_consent_create(
        acting_user=clinician, participant=participant, disclosing_agency=clinician.agency,
        recipient_role=Role.JUDGE, recipient_agency=users["judge"].agency,
        categories=[category], purposes=[Purpose.COURT_REVIEW],
        starts_at=timezone.now() - timedelta(minutes=1),
        expires_at=timezone.now() + timedelta(days=90),
        revocation_statement="You can withdraw this consent at any time.",
        revocation_method="Tell your key worker.", signature_method="written",
        signed_by=participant.display_name, signed_on=date.today(),
    )  # fmt: skip


def _judge_reads(users):
    return AuditEntry.objects.filter(action="read", user=users["judge"])


def test_judge_reads_forensic_results_where_the_programme_switch_is_on(dtto, users):
    forensic = _test(users["probation"], dtto)
    _test(users["clinician"], dtto, purpose="clinical", collected_at=_ago(50))
    read = drug_tests_read(users["judge"], dtto.participant)
    assert read.tests == [forensic]  # never the clinical test
    assert read.readable == {Category.DRUG_TESTS}
    entry = _judge_reads(users).get()
    assert entry.categories == ["drug_tests"] and entry.participant_ids == [dtto.participant_id]
    assert entry.detail["tests"] == [forensic.pk]
    # The clinician reads both, the clinical one as clinical information.
    assert len(drug_tests_read(users["clinician"], dtto.participant).tests) == 2


def test_judge_reads_no_result_where_the_switch_is_off_until_a_consent_opens_them(cpo, users):
    forensic = _test(users["probation"], cpo)
    read = drug_tests_read(users["judge"], cpo.participant)
    assert read.tests == [] and read.readable == frozenset()
    assert not _judge_reads(users).exists()  # nothing shown, nothing recorded
    _consent_to_judge(cpo.participant, users, Category.DRUG_TESTS)
    read = drug_tests_read(users["judge"], cpo.participant)
    assert read.tests == [forensic]
    entry = _judge_reads(users).get()
    assert entry.categories == ["drug_tests"] and entry.participant_ids == [cpo.participant_id]


def test_interpretation_by_the_probation_officer_or_key_worker_travels_with_the_result(dtto, users):
    test = _test(users["probation"], dtto)
    note = "First use in six weeks after a bereavement; attending every session. Adjust treatment."
    with pytest.raises(PolicyDenied):
        drug_test_interpret(test, acting_user=users["coordinator"], note=note, expected_version=1)
    with pytest.raises(InvalidInput) as exc:
        drug_test_interpret(test, acting_user=users["probation"], note=" ", expected_version=1)
    assert "is required" in _fields(exc)["interpretation"]
    done = drug_test_interpret(test, acting_user=users["probation"], note=note, expected_version=1)
    assert (done.interpretation, done.interpreted_by, done.version) == (
        note,
        users["probation"],
        2,
    )
    entries = AuditEntry.objects.count()
    again = drug_test_interpret(test, acting_user=users["probation"], note=note,
                                expected_version=1)  # fmt: skip
    assert again.version == 2 and AuditEntry.objects.count() == entries  # idempotent
    with pytest.raises(Conflict):
        drug_test_interpret(test, acting_user=users["clinician"], note="Another reading",
                            expected_version=1)  # fmt: skip
    # The judge on the DTTO reads the result and its interpretation together.
    shown = drug_tests_read(users["judge"], dtto.participant).tests[0]
    assert shown.interpretation == note


def test_a_clinical_test_is_not_there_for_the_probation_officer(dtto, users):
    test = _test(users["clinician"], dtto, purpose="clinical")
    with pytest.raises(Http404):
        drug_test_interpret(test, acting_user=users["probation"], note="x", expected_version=1)


def test_schedule_draws_the_phase_frequency_into_planned_tests(dtto, users):
    start = date(2030, 1, 2)  # a Wednesday
    plan = drug_test_schedule_draw(
        acting_user=users["probation"], referral=dtto, start=start, seed=7
    )
    assert plan.per_week == 2 and plan.created == len(plan.appointments) > 0
    days = sorted(timezone.localdate(a.starts_at) for a in plan.appointments)
    # The rest of the start's week, then four full calendar weeks, to Sunday 3 February.
    assert days[0] >= start and days[-1] <= date(2030, 2, 3)
    full_weeks = [date(2030, 1, 7) + timedelta(weeks=w) for w in range(4)]
    for monday in full_weeks:
        assert sum(monday <= d < monday + timedelta(days=7) for d in days) >= 2
    assert all(a.drawn and a.kind == "drug_test" for a in plan.appointments)
    monday = drug_test_schedule_draw(
        acting_user=users["probation"], referral=dtto, start=date(2030, 3, 4), seed=7
    )
    ends = max(timezone.localdate(a.starts_at) for a in monday.appointments)
    assert date(2030, 3, 25) <= ends <= date(2030, 3, 31)  # exactly four weeks from a Monday
    Appointment.objects.filter(pk__in=[a.pk for a in monday.appointments]).delete()
    again = drug_test_schedule_draw(acting_user=users["probation"], referral=dtto, start=start)
    assert again.created == 0 and len(again.appointments) == plan.created
    assert Appointment.objects.count() == plan.created
    # A test answering a drawn day marks it attended and is random.
    day = plan.appointments[0]
    test = _test(users["probation"], dtto, appointment=day, results=(), results_received_at=None)
    day.refresh_from_db()
    assert test.random and day.outcome == "attended"


def test_schedule_draws_nothing_for_no_testing_or_less_than_weekly(teams, make_referral, users):
    coordinator = users["coordinator"]
    ghent = on_episode(make_referral(), coordinator)
    plan = drug_test_schedule_draw(acting_user=coordinator, referral=ghent, seed=1)
    assert plan.appointments == [] and "has no testing" in plan.nothing_drawn
    drr = on_episode(
        make_referral(programme=teams["england-drr"], source="court", given_name="Dara"),
        coordinator,
    )
    Episode.objects.filter(pk=drr.episode.pk).update(phase_number=2)
    drr.refresh_from_db()
    plan = drug_test_schedule_draw(acting_user=coordinator, referral=drr, seed=1)
    assert plan.appointments == [] and "0.5 times a week, less than once a week" in (
        plan.nothing_drawn
    )
    assert not Appointment.objects.exists()


def test_turnaround_in_hours_and_the_48_hour_target():
    collected = timezone.make_aware(datetime(2027, 3, 1, 9, 0))
    assert turnaround_hours(collected, collected + timedelta(hours=30, minutes=6)) == 30.1
    assert turnaround_hours(collected, None) is None
    now = collected + timedelta(days=5)
    assert not turnaround_missed(collected, collected + timedelta(hours=48), now=now)
    assert turnaround_missed(collected, collected + timedelta(hours=49), now=now)
    # Still awaited after 48 hours is already late.
    assert turnaround_missed(collected, None, now=now)
    assert not turnaround_missed(collected, None, now=collected + timedelta(hours=3))


def test_a_test_result_is_not_shown_when_its_read_cannot_be_recorded(dtto, users, monkeypatch):
    """The read's audit entry is written before anything is returned (SEC-19): if it cannot be,
    the selector raises and the page is not sent."""
    from django.db import DatabaseError
    from django.test import Client

    from turnpoint.sharing.models import audit as audit_module

    _test(users["probation"], dtto)
    reads = _judge_reads(users).count()

    def refuse(*args, **kwargs):
        raise DatabaseError("disk full while writing the audit log")

    page = Client(raise_request_exception=False)
    page.force_login(users["judge"])
    monkeypatch.setattr(audit_module.AuditQuerySet, "insert_chained", refuse)
    with pytest.raises(DatabaseError):
        drug_tests_read(users["judge"], dtto.participant)
    response = page.get(f"/participants/{dtto.participant_id}/drug-tests/")
    assert response.status_code == 500 and b"Opiates" not in response.content
    monkeypatch.undo()
    assert _judge_reads(users).count() == reads
