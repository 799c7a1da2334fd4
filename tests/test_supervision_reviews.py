"""Review hearings and dockets: scheduling by rule and on request, recording a hearing (minutes,
decision), the court's progress report drawn only from what the rules let the judge see, and the
mean time with the judge (turnpoint/supervision/reviews.py, turnpoint/sharing/progress_reports.py).
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone
from supervision_helpers import on_episode

from turnpoint.errors import Conflict, InvalidInput
from turnpoint.journeys.models import Episode
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.consents import share_consent_create
from turnpoint.sharing.models import AuditEntry, DisclosureAct
from turnpoint.sharing.progress_reports import (
    docket_read,
    progress_report_generate,
    progress_report_read,
)
from turnpoint.sharing.rules import PolicyDenied
from turnpoint.supervision.models import HearingStatus, ProgressReport, ReviewHearing
from turnpoint.supervision.reviews import (
    mean_minutes_per_participant,
    review_docket_schedule,
    review_due,
    review_hearing_record,
    review_hearing_request,
    review_interval_days,
)
from turnpoint.supervision.services import appointment_book, drug_test_record

TODAY = date.today()


@pytest.fixture
def teams(users, programmes):
    """Every persona also works in the Scottish CPO (reviews on request, the court does not
    receive test results) and DTTO (reviews by rule, the court receives them)."""
    for user in users.values():
        user.programmes.add(programmes["scotland-cpo-dtr"], programmes["scotland-dtto"])
    return programmes


def _started(referral, days_ago):
    """Move the episode's start back (and the referral date with it) so a review falls due."""
    Episode.objects.filter(referral=referral).update(started_on=TODAY - timedelta(days=days_ago))
    type(referral).objects.filter(pk=referral.pk).update(
        referral_date=TODAY - timedelta(days=days_ago + 5)
    )
    referral.refresh_from_db()
    return referral


@pytest.fixture
def dtto(teams, make_referral, coordinator):
    referral = make_referral(programme=teams["scotland-dtto"], source="court",
                             given_name="Dana", family_name="Ross")  # fmt: skip
    return _started(on_episode(referral, coordinator), 40)


@pytest.fixture
def cpo(teams, make_referral, coordinator):
    referral = make_referral(programme=teams["scotland-cpo-dtr"], source="court",
                             given_name="Casey", family_name="Dunmore")  # fmt: skip
    return _started(on_episode(referral, coordinator), 40)


def _fields(exc) -> dict:
    return {p.field: p.reason for p in exc.value.problems}


# The pure part -----------------------------------------------------------------------------


def test_the_interval_follows_the_phase_reviews_per_month():
    assert review_interval_days(2) == 15
    assert review_interval_days(1) == 30
    assert review_interval_days(Decimal("0.5")) == 60
    assert review_interval_days(0) is None
    start = date(2027, 1, 4)
    assert not review_due(reviews_per_month=1, started_on=start, last_review_on=None,
                          day=date(2027, 2, 2))  # fmt: skip
    assert review_due(reviews_per_month=1, started_on=start, last_review_on=None,
                      day=date(2027, 2, 3))  # fmt: skip
    # After a review, the next is one interval after it.
    assert not review_due(reviews_per_month=2, started_on=start, last_review_on=date(2027, 3, 1),
                          day=date(2027, 3, 15))  # fmt: skip
    assert review_due(reviews_per_month=2, started_on=start, last_review_on=date(2027, 3, 1),
                      day=date(2027, 3, 16))  # fmt: skip
    assert not review_due(reviews_per_month=0, started_on=start, last_review_on=None,
                          day=date(2030, 1, 1))  # fmt: skip


def test_mean_minutes_per_participant_present_per_date():
    d1, d2, d3 = date(2027, 1, 5), date(2027, 1, 12), date(2027, 1, 19)
    hearings = [
        (d1, HearingStatus.HELD, Decimal("2.5")),
        (d1, HearingStatus.HELD, Decimal("4")),
        (d1, HearingStatus.HELD, "3.5"),
        (d1, HearingStatus.CANCELLED, None),  # not present: not counted
        (d1, HearingStatus.ADJOURNED, Decimal("1")),  # adjourned: not a participant heard
        (d2, HearingStatus.HELD, 1),
        (d3, HearingStatus.SCHEDULED, None),
    ]
    assert mean_minutes_per_participant(hearings) == {
        d1: Decimal("3.3"),  # 10 minutes / 3 present
        d2: Decimal("1.0"),
        d3: None,
    }
    assert mean_minutes_per_participant([]) == {}


# Scheduling --------------------------------------------------------------------------------


def test_a_docket_is_scheduled_by_rule_once(dtto, cpo, users, coordinator):
    judge = users["judge"]
    entries = AuditEntry.objects.count()
    done = review_docket_schedule(acting_user=coordinator, judge=judge, held_on=TODAY,
                                  place="Sheriff Court, court 3")  # fmt: skip
    # DTTO reviews by rule, monthly: 40 days in, the first is due. The CPO reviews on request.
    assert [h.referral_id for h in done.created] == [dtto.pk]
    hearing = done.created[0]
    assert hearing.how_scheduled == "rule" and hearing.status == "scheduled"
    assert hearing.judge == judge and hearing.place == "Sheriff Court, court 3"
    assert AuditEntry.objects.count() == entries + 1
    again = review_docket_schedule(acting_user=coordinator, judge=judge, held_on=TODAY,
                                   place="Sheriff Court, court 3")  # fmt: skip
    assert again.created == [] and again.already == [hearing]
    assert ReviewHearing.objects.count() == 1
    # Two weeks later nobody is due: the next DTTO review is a month after this one.
    later = review_docket_schedule(acting_user=coordinator, judge=judge,
                                   held_on=TODAY + timedelta(days=14), place="Court 3")  # fmt: skip
    assert later.created == []
    assert later.not_due == [(dtto, TODAY + timedelta(days=30))]


def test_a_participant_not_yet_due_is_not_scheduled(teams, make_referral, users, coordinator):
    referral = _started(on_episode(make_referral(programme=teams["scotland-dtto"],
                                                 source="court"), coordinator), 10)  # fmt: skip
    done = review_docket_schedule(acting_user=coordinator, judge=users["judge"], held_on=TODAY,
                                  place="Court 3")  # fmt: skip
    assert done.created == [] and done.not_due == [(referral, TODAY + timedelta(days=20))]


def test_on_request_and_its_refusals(cpo, users, coordinator, programmes, make_referral):
    judge = users["judge"]
    week = TODAY + timedelta(days=7)
    hearing = review_hearing_request(acting_user=coordinator, referral=cpo, judge=judge,
                                     held_on=week, place="Court 1")  # fmt: skip
    assert hearing.how_scheduled == "request"
    # The same request again is the same hearing.
    assert review_hearing_request(acting_user=coordinator, referral=cpo, judge=judge,
                                  held_on=week, place="Court 1") == hearing  # fmt: skip
    count, entries = ReviewHearing.objects.count(), AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as exc:
        review_hearing_request(acting_user=coordinator, referral=cpo, judge=users["clinician"],
                               held_on=date(1890, 1, 1), place="  ")  # fmt: skip
    fields = _fields(exc)
    assert fields["judge"] == "must be a judge with an active account"
    assert "1 January 1900" in fields["held_on"]
    assert fields["place"].startswith("is required")
    with pytest.raises(InvalidInput) as exc:
        review_hearing_request(acting_user=coordinator, referral=cpo, judge=judge,
                               held_on=TODAY, place="Court\u202e 1")  # fmt: skip
    assert "U+202E" in _fields(exc)["place"]
    assert ReviewHearing.objects.count() == count and AuditEntry.objects.count() == entries
    # A programme with no court reviews has none.
    for user in (coordinator, judge):
        user.programmes.add(programmes["england-police-drug-intervention"])
    assert ReviewHearing.objects.count() == count
    police = make_referral(programme=programmes["england-police-drug-intervention"])
    entries = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as exc:
        review_hearing_request(acting_user=coordinator, referral=police, judge=judge,
                               held_on=TODAY, place="Court 1")  # fmt: skip
    assert "has no court reviews" in _fields(exc)["referral"]
    assert ReviewHearing.objects.count() == count and AuditEntry.objects.count() == entries
    # Only the coordinator or case manager schedules; the judge does not.
    with pytest.raises(PolicyDenied):
        review_hearing_request(acting_user=judge, referral=cpo, judge=judge, held_on=TODAY,
                               place="Court 1")  # fmt: skip


# Recording a hearing -----------------------------------------------------------------------


@pytest.fixture
def hearing(cpo, users, coordinator):
    return review_hearing_request(acting_user=coordinator, referral=cpo, judge=users["judge"],
                                  held_on=TODAY, place="Court 1")  # fmt: skip


def test_the_judge_records_minutes_and_a_decision(hearing, users):
    judge = users["judge"]
    row = review_hearing_record(hearing, acting_user=judge, status="held", minutes_with_judge="3.5",
                                outcome="incentive", decision="Praised for four weeks attended.",
                                expected_version=hearing.version)  # fmt: skip
    assert row.status == "held" and row.minutes_with_judge == Decimal("3.5")
    assert row.outcome == "incentive" and row.decided_by == judge and row.decided_at is not None
    assert row.version == hearing.version + 1
    entry = AuditEntry.objects.filter(action="update", object_type="reviewhearing").get()
    assert entry.detail["minutes_with_judge"] == "3.5" and entry.categories == ["pathway"]
    # The same again writes nothing.
    entries = AuditEntry.objects.count()
    same = review_hearing_record(row, acting_user=judge, status="held", minutes_with_judge=3.5,
                                 outcome="incentive", decision="Praised for four weeks attended.",
                                 expected_version=hearing.version)  # fmt: skip
    assert same.version == row.version and AuditEntry.objects.count() == entries
    # A stale version is refused and changes nothing.
    with pytest.raises(Conflict):
        review_hearing_record(row, acting_user=judge, status="adjourned",
                              expected_version=hearing.version)  # fmt: skip
    row.refresh_from_db()
    assert row.status == "held"


def test_recording_refusals_name_the_field_and_write_nothing(hearing, users, cpo, coordinator):
    judge = users["judge"]
    entries = AuditEntry.objects.count()
    cases = [
        (dict(status="held", minutes_with_judge="", outcome=""),
         {"minutes_with_judge": "is required for a hearing held",
          "outcome": "is required for a hearing held: the court's decision"}),
        (dict(status="held", minutes_with_judge="abc", outcome="continue"),
         {"minutes_with_judge": "must be a number of minutes, such as 3.5"}),
        (dict(status="held", minutes_with_judge="-2", outcome="continue"),
         {"minutes_with_judge": "must be more than 0 minutes"}),
        (dict(status="held", minutes_with_judge="300", outcome="continue"),
         {"minutes_with_judge": "must be 240 minutes or fewer; this is 300"}),
        (dict(status="decided", outcome="jail"),
         {"status": "must be held, adjourned or cancelled"}),
        (dict(status="cancelled", minutes_with_judge="2"),
         {"minutes_with_judge": "must be empty for a cancelled hearing"}),
    ]  # fmt: skip
    for values, expected in cases:
        with pytest.raises(InvalidInput) as exc:
            review_hearing_record(hearing, acting_user=judge, expected_version=1, **values)
        fields = _fields(exc)
        for name, reason in expected.items():
            assert fields[name] == reason, (values, fields)
    with pytest.raises(InvalidInput) as exc:
        review_hearing_record(hearing, acting_user=judge, status="held", minutes_with_judge=3,
                              outcome="jail", expected_version=1)  # fmt: skip
    assert _fields(exc)["outcome"].startswith("must be one of: continue on the programme as now")
    # A hearing ahead cannot have been held yet.
    ahead = review_hearing_request(acting_user=coordinator, referral=cpo, judge=judge,
                                   held_on=TODAY + timedelta(days=3), place="Court 1")  # fmt: skip
    with pytest.raises(InvalidInput) as exc:
        review_hearing_record(ahead, acting_user=judge, status="held", minutes_with_judge=3,
                              outcome="continue", expected_version=1)  # fmt: skip
    assert "cannot be held before the hearing's day" in _fields(exc)["status"]
    hearing.refresh_from_db()
    assert hearing.status == "scheduled" and hearing.version == 1
    assert AuditEntry.objects.count() == entries + 1  # only the hearing scheduled ahead


def test_only_the_judge_of_the_hearing_or_the_coordinator_records_it(hearing, users, outsider):
    with pytest.raises(PolicyDenied):
        review_hearing_record(hearing, acting_user=users["clinician"], status="cancelled",
                              expected_version=1)  # fmt: skip
    other_judge = type(users["judge"]).objects.create(username="judge2", role="judge")
    other_judge.programmes.add(hearing.referral.programme)
    with pytest.raises(Http404):
        review_hearing_record(hearing, acting_user=other_judge, status="cancelled",
                              expected_version=1)  # fmt: skip
    row = review_hearing_record(hearing, acting_user=users["coordinator"], status="cancelled",
                                expected_version=1)  # fmt: skip
    assert row.status == "cancelled" and row.decided_by is None


# The progress report -----------------------------------------------------------------------


def _consent(users, participant, categories):
    return share_consent_create(
        acting_user=users["clinician"], participant=participant, categories=categories,
        purposes=[Purpose.COURT_REVIEW], recipient_agency=users["judge"].agency,
        starts_at=timezone.now() - timedelta(minutes=1),
        expires_at=timezone.now() + timedelta(days=90),
        revocation_statement="You can withdraw this consent at any time.",
        revocation_method="Tell your key worker.", signature_method="written",
        signed_by="Casey Dunmore", signed_on=TODAY,
    )  # fmt: skip


def _supervised(referral, users):
    now = timezone.now()
    appointment_book(acting_user=users["probation"], referral=referral, kind="treatment_session",
                     starts_at=now - timedelta(days=3))  # fmt: skip
    drug_test_record(
        acting_user=users["probation"], referral=referral, collected_at=now - timedelta(days=2),
        specimen="urine", purpose="forensic", results_received_at=now - timedelta(days=1),
        results=[{"substance": "opiates", "result": "negative"}],
    )  # fmt: skip


def _section(report, key):
    return next(s for s in report.content["sections"] if s["key"] == key)


def test_the_report_carries_only_what_the_court_may_see(hearing, cpo, users, coordinator):
    """The CPO's switch is off: no consent, no drug test section; with consent, there is one."""
    _supervised(cpo, users)
    report = progress_report_generate(acting_user=coordinator, hearing=hearing)
    attendance = _section(report, "attendance")
    assert attendance["shared"] and attendance["category"] == "attendance"
    assert attendance["summary"] == "1 appointments: 1 with no outcome recorded yet."
    tests = _section(report, "drug_tests")
    assert not tests["shared"] and tests["lines"] == []
    assert tests["summary"].startswith("Not shared with the court: you cannot see drug test")
    assert not _section(report, "goals")["shared"] and not _section(report, "strengths")["shared"]
    assert report.categories == ["attendance"]
    # The read is a disclosure to the judge: attendance, by statute (the role's default).
    act = DisclosureAct.objects.get(recipient_user=users["judge"], channel="report")
    assert act.categories == ["attendance"] and act.legal_basis == "statute"
    export = AuditEntry.objects.filter(action="export", object_type="progressreport").get()
    assert export.detail["recipient"] == users["judge"].pk

    consent = _consent(users, cpo.participant, [Category.DRUG_TESTS])
    report = progress_report_generate(acting_user=coordinator, hearing=hearing)
    tests = _section(report, "drug_tests")
    assert tests["shared"] and tests["summary"] == "1 tests, 0 with a positive result."
    assert "Urine: opiates negative" in tests["lines"][0]
    assert report.categories == ["attendance", "drug_tests"]
    by_consent = DisclosureAct.objects.get(recipient_user=users["judge"], legal_basis="consent")
    assert by_consent.categories == ["drug_tests"]
    assert by_consent.basis_reference == f"consent {consent.pk}"
    assert ProgressReport.objects.count() == 2


def test_where_the_switch_is_on_tests_go_without_consent(dtto, users, coordinator):
    _supervised(dtto, users)
    done = review_docket_schedule(acting_user=coordinator, judge=users["judge"], held_on=TODAY,
                                  place="Court 3")  # fmt: skip
    report = progress_report_generate(acting_user=coordinator, hearing=done.created[0])
    assert _section(report, "drug_tests")["shared"]
    act = DisclosureAct.objects.get(recipient_user=users["judge"], channel="report")
    assert act.categories == ["attendance", "drug_tests"] and act.legal_basis == "statute"


def test_who_prepares_and_reads_a_report(hearing, users, coordinator):
    with pytest.raises(PolicyDenied):
        progress_report_generate(acting_user=users["judge"], hearing=hearing)
    report = progress_report_generate(acting_user=coordinator, hearing=hearing)
    assert progress_report_read(users["judge"], report.pk) == report
    with pytest.raises(Http404):
        progress_report_read(users["clinician"], report.pk)
    with pytest.raises(Http404):
        progress_report_read(users["judge"], report.pk + 1000)


def test_the_judge_reads_their_own_docket(hearing, users, coordinator):
    judge = users["judge"]
    assert docket_read(judge, judge=judge, day=TODAY) == [hearing]
    assert docket_read(coordinator, judge=judge, day=TODAY) == [hearing]
    other = type(judge).objects.create(username="judge2", role="judge")
    with pytest.raises(PolicyDenied):
        docket_read(other, judge=judge, day=TODAY)
    with pytest.raises(PolicyDenied):
        docket_read(users["clinician"], judge=judge, day=TODAY)
