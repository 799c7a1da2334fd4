"""Recording responses from the guide, and the daily evaluation of phases with the team's
decision (turnpoint/supervision/response_services.py, phases.py, advancement.py)."""

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from supervision_helpers import on_episode

from turnpoint.errors import InvalidInput
from turnpoint.journeys.models import Episode, Transition
from turnpoint.programmes.loader import ProgrammeFileInvalid, read_definition, validate_definition
from turnpoint.sharing.models import AuditEntry
from turnpoint.supervision.advancement import EpisodeFacts, advancement_due
from turnpoint.supervision.models import Appointment, PhaseProposal, Response
from turnpoint.supervision.phases import phase_proposal_decide, phases_evaluate
from turnpoint.supervision.response_services import (
    programme_ratio,
    response_options,
    response_record,
)
from turnpoint.supervision.responses import incentive_sanction_ratio
from turnpoint.tasks.registry import registered
from turnpoint.web.timeline import timeline_entries

TODAY = timezone.localdate


@pytest.fixture
def dtto(users, programmes, make_referral, coordinator):
    for user in users.values():
        user.programmes.add(programmes["scotland-dtto"])
    return on_episode(
        make_referral(programme=programmes["scotland-dtto"], source="court"), coordinator
    )


def _backdate(referral, days):
    """Start the episode `days` ago (its entry step too)."""
    day = TODAY() - timedelta(days=days)
    Episode.objects.filter(referral=referral).update(started_on=day)
    Transition.objects.filter(referral=referral).update(occurred_on=day)
    return day


def _fields(exc):
    return {p.field: p.reason for p in exc.value.problems}


# Responses ---------------------------------------------------------------------------------


def test_early_positive_test_proposes_a_service_adjustment_first_and_is_recorded(dtto, users):
    _backdate(dtto, 20)
    proposal = response_options(dtto, "positive_test", TODAY() - timedelta(days=3))
    assert proposal.early_substance_use and proposal.options[0].kind == "service_adjustment"
    first = proposal.options[0]
    response = response_record(
        acting_user=users["probation"],
        referral=dtto,
        behaviour="positive_test",
        behaviour_on=TODAY() - timedelta(days=3),
        option=first.text,
        note="Talked it through",
    )
    assert response.kind == "service_adjustment" and response.days_between == 3
    assert response.option_position == 0 and response.category == "drug_tests"
    assert response.days_in_programme == 17 and response.phase == "Stabilisation"
    entry = AuditEntry.objects.get(action="create", object_type="response")
    assert entry.categories == ["drug_tests"]
    # The same response again is the same response.
    again = response_record(
        acting_user=users["probation"],
        referral=dtto,
        behaviour="positive_test",
        behaviour_on=TODAY() - timedelta(days=3),
        option=first.text,
    )
    assert again == response and Response.objects.count() == 1


def test_refusals_name_the_field_and_write_nothing(dtto, users):
    _backdate(dtto, 20)
    user = users["probation"]
    with pytest.raises(InvalidInput) as exc:
        response_record(
            acting_user=user,
            referral=dtto,
            behaviour="positive_test",
            behaviour_on=TODAY() - timedelta(days=2),
            option="A trip to the moon",
        )
    assert "not offered by the guide" in _fields(exc)["option"]
    with pytest.raises(InvalidInput) as exc:
        response_record(
            acting_user=user,
            referral=dtto,
            behaviour="flying",
            behaviour_on=TODAY() - timedelta(days=2),
            option="x",
        )
    assert "does not answer 'flying'" in _fields(exc)["behaviour"]
    option = response_options(dtto, "missed_appointment", TODAY()).options[0].text
    with pytest.raises(InvalidInput) as exc:
        response_record(
            acting_user=user,
            referral=dtto,
            behaviour="missed_appointment",
            behaviour_on=TODAY() - timedelta(days=2),
            option=option,
            responded_on=TODAY() - timedelta(days=5),
        )
    assert "before the behaviour's date" in _fields(exc)["responded_on"]
    with pytest.raises(InvalidInput) as exc:
        response_record(
            acting_user=user,
            referral=dtto,
            behaviour="missed_appointment",
            behaviour_on=TODAY() + timedelta(days=2),
            option=option,
        )
    assert _fields(exc)["behaviour_on"] == "is in the future"
    with pytest.raises(InvalidInput) as exc:
        response_record(
            acting_user=user,
            referral=dtto,
            behaviour="missed_appointment",
            behaviour_on=TODAY() - timedelta(days=40),
            option=option,
        )
    assert "the start of the episode" in _fields(exc)["behaviour_on"]
    assert Response.objects.count() == 0


def test_the_ratio_counts_the_participant_and_the_programme(dtto, users, programmes):
    _backdate(dtto, 20)
    user = users["probation"]
    for behaviour, kind in (
        ("attended_all_sessions", "incentive"),
        ("goal_achieved", "incentive"),
        ("missed_appointment", "sanction"),
    ):
        options = response_options(dtto, behaviour, TODAY()).options
        option = next(o for o in options if o.kind == kind)
        response_record(
            acting_user=user,
            referral=dtto,
            behaviour=behaviour,
            behaviour_on=TODAY(),
            option=option.text,
        )
    ratio = incentive_sanction_ratio(Response.objects.filter(participant=dtto.participant))
    assert (ratio.incentives, ratio.sanctions, ratio.ratio, ratio.meets_target) == (
        2,
        1,
        2.0,
        False,
    )
    assert programme_ratio(programmes["scotland-dtto"]).ratio == 2.0
    assert programme_ratio(programmes["ghent-dtc"]).meets_target is None


# Advancement criteria: loader and evaluator --------------------------------------------------


def _with_phase_rules(rules, phase=0):
    path = Path("programmes/scotland-dtto.yaml")
    data = read_definition(path)
    data["phases"][phase]["advancement"] = rules
    return validate_definition(data, str(path))


@pytest.mark.parametrize(
    ("rules", "phase", "path", "words"),
    [
        (
            {"days_in_phase": 30},
            0,
            "phases[0].advancement.days_in_phase",
            "shorter than the phase's minimum",
        ),
        ({"praise": 3}, 0, "phases[0].advancement.praise", "'praise' is not a criterion"),
        (
            {"attendance": {"percent": 120, "days": 28}},
            0,
            "phases[0].advancement.attendance.percent",
            "from 1 to 100",
        ),
        (
            {"attendance": {"percent": 80}},
            0,
            "phases[0].advancement.attendance.days",
            "is required",
        ),
        ({"goals_achieved": 0}, 0, "phases[0].advancement.goals_achieved", "from 1 to 20"),
        ({"days_in_phase": 100}, 1, "phases[1].advancement", "is the last phase"),
    ],
)
def test_the_loader_refuses_bad_criteria_naming_file_phase_and_criterion(rules, phase, path, words):
    problems = _with_phase_rules(rules, phase)
    found = [p for p in problems if p.path == path]
    assert found and words in found[0].reason and "scotland-dtto.yaml" in found[0].file
    assert "phase '" in found[0].reason


def test_negative_tests_are_refused_in_a_phase_that_does_not_test():
    path = Path("programmes/ghent-dtc.yaml")
    data = read_definition(path)
    data["phases"][0]["advancement"] = {"negative_tests": {"weeks": 4}}
    problems = validate_definition(data, str(path))
    assert any("does not test" in p.reason for p in problems)


def test_a_file_with_bad_criteria_is_not_read(tmp_path):
    data = read_definition(Path("programmes/ghent-dtc.yaml"))
    data["phases"][0]["advancement"] = {"engagement": {"sessions": 3}}
    bad = tmp_path / "ghent.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(ProgrammeFileInvalid) as exc:
        read_definition(bad)
    assert "phases[0].advancement.engagement.days" in str(exc.value)


def test_every_shipped_programme_has_criteria_the_evaluator_reads(programmes):
    for slug, programme in programmes.items():
        phases = programme.definition["phases"]
        assert any(p.get("advancement") for p in phases[:-1]), slug
        for number, phase in enumerate(phases, start=1):
            rules = phase.get("advancement") or {}
            facts = EpisodeFacts(
                phase_number=number,
                phase_count=len(phases),
                phase_name=phase["name"],
                min_days=phase["min_weeks"] * 7,
                rules=rules,
                days_in_phase=1000,
                attendance={d: (10, 10) for d in (7, 14, 28, 56)},
                sessions={d: 50 for d in (7, 14, 28, 56)},
                tests={w: (w, 0) for w in range(1, 53)},
                goals_achieved=5,
            )
            proposal = advancement_due(facts)
            assert proposal.due == (number < len(phases) and bool(rules)), (slug, number)
            if proposal.due:
                assert proposal.to_phase_number == number + 1 and not proposal.unmet
                short = advancement_due(EpisodeFacts(**{**facts.__dict__, "days_in_phase": 3}))
                assert not short.due and short.unmet[0].criterion == "days_in_phase"


def test_the_evaluator_names_each_unmet_criterion():
    rules = {
        "days_in_phase": 84,
        "attendance": {"percent": 80, "days": 28},
        "negative_tests": {"weeks": 4},
        "goals_achieved": 1,
    }
    facts = EpisodeFacts(
        phase_number=1,
        phase_count=2,
        phase_name="Stabilisation",
        min_days=84,
        rules=rules,
        days_in_phase=90,
        attendance={28: (7, 10)},
        tests={4: (4, 1)},
        goals_achieved=1,
    )
    proposal = advancement_due(facts)
    assert not proposal.due
    assert {c.criterion for c in proposal.unmet} == {"attendance", "negative_tests"}
    assert {c.criterion for c in proposal.met} == {"days_in_phase", "goals_achieved"}
    assert "70%" in proposal.why and "not negative" in proposal.why


# The daily evaluation and the team's decision -------------------------------------------------


def _at(day, hour=10):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _meet_dtto_criteria(referral, user):
    """Attended appointments, a negative test each week, an achieved goal."""
    from turnpoint.plans.models import Goal, GoalStatus, PlanVersion, RecoveryPlan
    from turnpoint.supervision.models import DrugTest, DrugTestResult

    for k in range(10):
        Appointment.objects.create(
            participant=referral.participant,
            referral=referral,
            kind="treatment_session",
            starts_at=_at(TODAY() - timedelta(days=2 + 2 * k)),
            outcome="attended",
            created_by=user,
        )
    for k in range(4):
        test = DrugTest.objects.create(
            participant=referral.participant,
            referral=referral,
            collected_at=_at(TODAY() - timedelta(days=1 + 7 * k)),
            specimen="urine",
            purpose="forensic",
            category="drug_tests",
            recorded_by=user,
        )
        DrugTestResult.objects.create(test=test, substance="opiates", result="negative")
    plan = RecoveryPlan.objects.create(
        participant=referral.participant, referral=referral, created_by=user
    )
    version = PlanVersion.objects.create(
        plan=plan, number=1, agreed_on=TODAY(), review_on=TODAY(), created_by=user
    )
    Goal.objects.create(
        plan_version=version,
        key=1,
        domain="housing",
        in_their_words="A flat of my own",
        status=GoalStatus.ACHIEVED,
    )


def test_the_daily_task_proposes_once_and_accepting_moves_the_phase_with_a_milestone(dtto, users):
    assert registered("phases.evaluate").daily
    _backdate(dtto, 90)
    assert phases_evaluate()["proposed"] == 0  # nothing attended, tested or achieved yet
    _meet_dtto_criteria(dtto, users["probation"])
    first = phases_evaluate()
    assert first["proposed"] == 1 and first["due"] == 1
    assert phases_evaluate()["proposed"] == 0  # the same day again: nothing new
    assert phases_evaluate(today=TODAY() + timedelta(days=1))["proposed"] == 0  # still open
    proposal = PhaseProposal.objects.get()
    assert proposal.status == "open" and (proposal.phase_number, proposal.to_phase_number) == (1, 2)
    assert {c["criterion"] for c in proposal.criteria} == {
        "days_in_phase",
        "attendance",
        "negative_tests",
        "goals_achieved",
    }
    decided = phase_proposal_decide(proposal, acting_user=users["coordinator"], accept=True)
    assert decided.status == "accepted" and decided.decided_by == users["coordinator"]
    assert Episode.objects.get(referral=dtto).phase_number == 2
    step = Transition.objects.filter(referral=dtto, kind="phase").get()
    assert step.reason_code == "advancement_criteria_met"
    entries = timeline_entries(
        Transition.objects.filter(referral=dtto),
        programme=dtto.programme,
        phase_names={1: "Stabilisation", 2: "Treatment and testing"},
    )
    assert entries[0].milestone and "Treatment and testing" in entries[0].title
    # Accepting again changes nothing; the last phase proposes nothing.
    assert phase_proposal_decide(proposal, acting_user=users["coordinator"], accept=True).pk
    assert Transition.objects.filter(referral=dtto, kind="phase").count() == 1
    assert phases_evaluate(today=TODAY() + timedelta(days=1))["proposed"] == 0


def test_declining_needs_a_reason_and_pauses_proposals(dtto, users):
    _backdate(dtto, 90)
    _meet_dtto_criteria(dtto, users["probation"])
    phases_evaluate()
    proposal = PhaseProposal.objects.get()
    with pytest.raises(InvalidInput) as exc:
        phase_proposal_decide(proposal, acting_user=users["coordinator"], accept=False)
    assert "is required" in _fields(exc)["reason"]
    phase_proposal_decide(
        proposal,
        acting_user=users["coordinator"],
        accept=False,
        reason="We agreed with Robin to wait for the review",
    )
    assert Episode.objects.get(referral=dtto).phase_number == 1
    assert phases_evaluate()["proposed"] == 0  # declined today: paused
    # Declined 15 days ago: the pause is over and the criteria are still met.
    PhaseProposal.objects.update(proposed_on=TODAY() - timedelta(days=15))
    assert phases_evaluate()["proposed"] == 1


def test_the_evaluation_issues_the_same_queries_for_one_or_many_episodes(
    users, programmes, make_referral, coordinator
):
    for user in users.values():
        user.programmes.add(programmes["scotland-dtto"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            phases_evaluate()
        return len(queries)

    first = on_episode(
        make_referral(programme=programmes["scotland-dtto"], source="court"), coordinator
    )
    _backdate(first, 90)
    _meet_dtto_criteria(first, users["probation"])
    one = count()
    PhaseProposal.objects.all().delete()
    for i in range(4):
        referral = on_episode(
            make_referral(
                programme=programmes["scotland-dtto"], source="court", given_name=f"Sam{i}"
            ),
            coordinator,
        )
        _backdate(referral, 90)
        _meet_dtto_criteria(referral, users["probation"])
    assert count() == one
    assert PhaseProposal.objects.count() == 5
    assert date.today()  # the evaluation's day is the local date
