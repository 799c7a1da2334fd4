"""Outcome events recorded by staff, follow-ups scheduled at exit and marked, and the selectors
that read them (turnpoint/outcomes, turnpoint/sharing/reads.py)."""

from datetime import date, timedelta

import pytest
from django.http import Http404
from outcome_helpers import exit_episode, walk_to_episode

from turnpoint.assessments.models import Administration
from turnpoint.errors import Conflict, InvalidInput
from turnpoint.journeys.services import referral_transition
from turnpoint.outcomes.models import FollowUp, OutcomeEvent
from turnpoint.outcomes.services import follow_up_mark, follow_ups_schedule, outcome_event_record
from turnpoint.sharing.categories import Category
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.reads import (
    follow_up_read,
    follow_ups_due_read,
    participant_outcomes_read,
)
from turnpoint.sharing.rules import PolicyDenied

TODAY = date.today()


@pytest.fixture
def referral(make_referral):
    return make_referral()


def conviction(**overrides):
    values = dict(kind="conviction", offence_date=TODAY - timedelta(days=40),
                  outcome_date=TODAY - timedelta(days=10), offence_category="acquisitive",
                  outcome="convicted")  # fmt: skip
    return values | overrides


def fields(error) -> set[str]:
    return {p.field for p in error.value.problems}


# Recording events -------------------------------------------------------------------------------


def test_a_conviction_is_recorded_as_a_legal_fact_and_audited(referral, coordinator):
    event = outcome_event_record(acting_user=coordinator, participant=referral.participant,
                                 referral=referral, **conviction())  # fmt: skip
    assert event.category == Category.LEGAL
    assert event.source == "staff" and event.recorded_by == coordinator
    entry = AuditEntry.objects.filter(action="create", object_type="outcomeevent").get()
    assert entry.object_id == str(event.pk) and entry.categories == [Category.LEGAL]
    assert entry.participant_ids == [referral.participant_id]


def test_a_housing_status_is_an_outcome(referral, coordinator):
    event = outcome_event_record(acting_user=coordinator, participant=referral.participant,
                                 kind="housing", status="temporary",
                                 effective_on=TODAY)  # fmt: skip
    assert event.category == Category.OUTCOMES and event.status_label == "Temporary housing"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"outcome_date": TODAY + timedelta(days=1)}, "outcome_date"),
        ({"offence_date": TODAY - timedelta(days=5)}, "outcome_date"),  # outcome before offence
        ({"offence_date": date(1989, 1, 1)}, "offence_date"),  # before the participant's birth
        ({"offence_date": None}, "offence_date"),
        ({"offence_category": "mischief"}, "offence_category"),
        ({"outcome": "acquitted"}, "outcome"),  # a conviction is convicted
        ({"kind": "escape"}, "kind"),
        ({"status": "settled"}, "status"),  # a status is not for a justice event
        ({"note": "fine\u202eevil"}, "note"),
    ],
)
def test_bad_facts_are_refused_naming_the_field_and_nothing_is_stored(
    referral, coordinator, overrides, field
):
    with pytest.raises(InvalidInput) as error:
        outcome_event_record(acting_user=coordinator, participant=referral.participant,
                             **conviction(**overrides))  # fmt: skip
    assert field in fields(error)
    assert not OutcomeEvent.objects.exists()
    assert not AuditEntry.objects.filter(object_type="outcomeevent").exists()


def test_every_problem_is_named_at_once(referral, coordinator):
    with pytest.raises(InvalidInput) as error:
        outcome_event_record(acting_user=coordinator, participant=referral.participant,
                             kind="employment", status="astronaut", effective_on=None,
                             outcome="pending")  # fmt: skip
    assert fields(error) == {"status", "effective_on", "outcome"}


def test_a_referral_of_someone_else_is_refused(make_referral, coordinator):
    mine, theirs = make_referral(), make_referral(given_name="Sam")
    with pytest.raises(InvalidInput) as error:
        outcome_event_record(acting_user=coordinator, participant=mine.participant,
                             referral=theirs, **conviction())  # fmt: skip
    assert fields(error) == {"referral"}


@pytest.mark.parametrize("role, kind", [("judge", "conviction"), ("clinician", "conviction"),
                                        ("judge", "overdose")])  # fmt: skip
def test_who_may_not_write_the_category_is_refused(referral, users, role, kind):
    values = conviction() if kind == "conviction" else {"kind": kind, "effective_on": TODAY}
    with pytest.raises(PolicyDenied):
        outcome_event_record(acting_user=users[role], participant=referral.participant,
                             **values)  # fmt: skip
    assert not OutcomeEvent.objects.exists()


def test_a_clinician_records_an_overdose(referral, users):
    event = outcome_event_record(
        acting_user=users["clinician"], participant=referral.participant, kind="overdose",
        effective_on=TODAY - timedelta(days=2),
    )  # fmt: skip
    assert event.category == Category.OUTCOMES


# Follow-ups -------------------------------------------------------------------------------------


def test_exit_schedules_three_follow_ups_in_its_transaction(referral, coordinator):
    walk_to_episode(referral, coordinator)
    assert not FollowUp.objects.exists()
    step = exit_episode(referral, coordinator)
    ended = step.occurred_on
    rows = list(FollowUp.objects.order_by("months"))
    assert [(r.months, r.due_on) for r in rows] == [
        (3, _months(ended, 3)), (6, _months(ended, 6)), (12, _months(ended, 12)),
    ]  # fmt: skip
    assert {r.status for r in rows} == {"due"}
    assert {(r.participant_id, r.referral_id, r.episode_id) for r in rows} == {
        (referral.participant_id, referral.pk, referral.episode.pk)
    }
    # Scheduling again (a retried call) adds nothing.
    assert follow_ups_schedule(referral.episode) == []
    assert FollowUp.objects.count() == 3


def test_a_refused_exit_schedules_nothing(referral, coordinator):
    walk_to_episode(referral, coordinator)
    with pytest.raises(InvalidInput):
        referral_transition(referral, acting_user=coordinator, to_state="exit",
                            occurred_on=TODAY + timedelta(days=3), exit_type="completed",
                            reason="x", override_reason="y")  # fmt: skip
    assert not FollowUp.objects.exists()


def _months(day, n):
    from turnpoint.dates import add_months

    return add_months(day, n)


@pytest.fixture
def follow_up(referral, coordinator):
    walk_to_episode(referral, coordinator)
    exit_episode(referral, coordinator)
    return FollowUp.objects.get(months=3)


def test_a_follow_up_is_marked_done_with_its_administration(follow_up, coordinator, users):
    answered = Administration.objects.create(
        participant=follow_up.participant, referral=follow_up.referral, instrument_id="barc-10",
        instrument_version="1", category=Category.STRENGTHS, setting="follow_up",
        administered_on=TODAY, administered_by=coordinator,
    )  # fmt: skip
    done = follow_up_mark(follow_up, acting_user=coordinator, status="done", done_on=TODAY,
                          administration=answered, expected_version=1)  # fmt: skip
    assert (done.status, done.done_on, done.administration, done.version) == (
        "done",
        TODAY,
        answered,
        2,
    )
    entry = AuditEntry.objects.filter(object_type="followup").get()
    assert entry.detail == {"status": "done", "administration": answered.pk}
    with pytest.raises(InvalidInput) as error:  # already answered
        follow_up_mark(done, acting_user=coordinator, status="missed", reason="No answer")
    assert fields(error) == {"status"}


def test_missed_and_declined_need_a_reason(follow_up, coordinator):
    with pytest.raises(InvalidInput) as error:
        follow_up_mark(follow_up, acting_user=coordinator, status="declined", reason=" ")
    assert fields(error) == {"reason"}
    follow_up.refresh_from_db()
    assert follow_up.status == "due" and follow_up.version == 1
    marked = follow_up_mark(follow_up, acting_user=coordinator, status="declined",
                            reason="Did not want to talk about it.")  # fmt: skip
    assert marked.status == "declined" and marked.reason == "Did not want to talk about it."


def test_a_follow_up_done_in_the_future_or_before_the_exit_is_refused(follow_up, coordinator):
    for done_on in (TODAY + timedelta(days=1), follow_up.episode.ended_on - timedelta(days=1)):
        with pytest.raises(InvalidInput) as error:
            follow_up_mark(follow_up, acting_user=coordinator, status="done", done_on=done_on)
        assert fields(error) == {"done_on"}
    follow_up.refresh_from_db()
    assert follow_up.status == "due"


def test_a_stale_version_is_a_conflict(follow_up, coordinator):
    with pytest.raises(Conflict):
        follow_up_mark(follow_up, acting_user=coordinator, status="missed", reason="No answer",
                       expected_version=7)  # fmt: skip
    follow_up.refresh_from_db()
    assert follow_up.status == "due"


def test_the_court_may_not_mark_a_follow_up(follow_up, users):
    with pytest.raises(PolicyDenied):
        follow_up_mark(follow_up, acting_user=users["judge"], status="missed", reason="x")


# Selectors --------------------------------------------------------------------------------------


@pytest.fixture
def history(follow_up, coordinator):
    participant = follow_up.participant
    legal = outcome_event_record(acting_user=coordinator, participant=participant,
                                 **conviction())  # fmt: skip
    housing = outcome_event_record(acting_user=coordinator, participant=participant,
                                   kind="housing", status="settled",
                                   effective_on=TODAY)  # fmt: skip
    return participant, legal, housing


def test_each_role_reads_the_events_of_its_categories(history, users):
    participant, legal, housing = history
    assert {e.pk for e in participant_outcomes_read(users["coordinator"], participant).events} == {
        legal.pk,
        housing.pk,
    }
    judge = participant_outcomes_read(users["judge"], participant)
    assert [e.pk for e in judge.events] == [legal.pk] and judge.follow_ups == []
    clinician = participant_outcomes_read(users["clinician"], participant)
    assert [e.pk for e in clinician.events] == [housing.pk] and len(clinician.follow_ups) == 3


def test_the_read_is_recorded_with_what_it_showed(history, users):
    participant, _, _ = history
    before = AuditEntry.objects.filter(action="read").count()
    participant_outcomes_read(users["judge"], participant)
    entry = AuditEntry.objects.filter(action="read").order_by("-id").first()
    assert AuditEntry.objects.filter(action="read").count() == before + 1
    assert entry.categories == [Category.LEGAL] and entry.participant_ids == [participant.pk]


def test_follow_ups_due_lists_the_next_thirty_days_and_the_overdue(follow_up, users, outsider):
    coordinator = users["coordinator"]
    three, six = FollowUp.objects.get(months=3), FollowUp.objects.get(months=6)
    assert follow_ups_due_read(coordinator, today=three.due_on - timedelta(days=31)) == []
    assert follow_ups_due_read(coordinator, today=three.due_on - timedelta(days=30)) == [three]
    # Overdue stays listed until marked; the next comes into the window.
    assert follow_ups_due_read(coordinator, today=six.due_on) == [three, six]
    assert follow_ups_due_read(users["judge"], today=six.due_on) == []
    assert follow_ups_due_read(outsider, today=six.due_on) == []
    follow_up_mark(three, acting_user=coordinator, status="missed", reason="Moved away")
    assert follow_ups_due_read(coordinator, today=six.due_on) == [six]


def test_one_follow_up_is_404_for_those_who_may_not_read_it(follow_up, users, outsider):
    assert follow_up_read(users["casemanager"], follow_up.pk) == follow_up
    for who, pk in ((users["judge"], follow_up.pk), (users["coordinator"], "nope"),
                    (users["coordinator"], 99999), (outsider, follow_up.pk)):  # fmt: skip
        with pytest.raises(Http404):
            follow_up_read(who, pk)


def test_follow_ups_move_with_a_corrected_exit_and_go_with_a_withdrawn_one(referral, coordinator):
    from turnpoint.journeys.corrections import transition_correct, transition_withdraw

    walk_to_episode(referral, coordinator)
    step = exit_episode(referral, coordinator)
    later = step.occurred_on + timedelta(days=2)
    transition_correct(step, acting_user=coordinator, reason="Typed the wrong day",
                       occurred_on=later,
                       override_reason="Completed early with the court")  # fmt: skip
    assert sorted(FollowUp.objects.values_list("months", "due_on")) == [
        (m, _months(later, m)) for m in (3, 6, 12)
    ]
    three = FollowUp.objects.get(months=3)
    follow_up_mark(three, acting_user=coordinator, status="missed", reason="No answer")
    referral.refresh_from_db()
    transition_withdraw(step, acting_user=coordinator, reason="Recorded in error")
    # The episode runs again: what is still due goes, what was answered stays.
    assert list(FollowUp.objects.values_list("months", "status")) == [(3, "missed")]
