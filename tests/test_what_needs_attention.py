"""What a caseload row needs (journeys/attention.py): pure rules, and the database's order
(journeys/caseload.py) agreeing with them day by day."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from participation_helpers import consent_to_take_part

from turnpoint.journeys.attention import (
    CONSENT_MISSING,
    NOTHING,
    OVERDUE,
    PHASE_MINIMUM,
    Facts,
    attention,
    days_since_referral,
)
from turnpoint.journeys.caseload import with_attention
from turnpoint.journeys.models import Referral
from turnpoint.journeys.services import referral_transition

TODAY = date(2026, 6, 15)
TARGETS = {"referral_to_assessment_days": 21, "referral_to_decision_days": 42,
           "referral_to_start_days": 56, "offence_to_start_days": 183}  # fmt: skip
PHASES = {1: 42, 2: 84}


def needs(state, *, referred_days_ago=0, offence_days_ago=None, phase=None, in_phase_days=None,
          consent=None):  # fmt: skip
    facts = Facts(
        state=state,
        referral_date=TODAY - timedelta(days=referred_days_ago),
        offence_date=TODAY - timedelta(days=offence_days_ago or referred_days_ago),
        phase_number=phase,
        phase_started_on=None if in_phase_days is None else TODAY - timedelta(days=in_phase_days),
        has_participation_consent=consent,
    )
    return attention(facts, targets=TARGETS, phase_days=PHASES, phase_name="Engagement",
                     today=TODAY)  # fmt: skip


def test_a_step_is_overdue_only_after_its_target_day():
    assert needs("screening", referred_days_ago=21) is None  # due today: not yet late
    late = needs("screening", referred_days_ago=22)
    assert (late.rank, late.text) == (
        OVERDUE, "Assessment overdue by 1 day (target: 21 days from referral)"
    )  # fmt: skip


def test_the_most_overdue_step_is_named():
    # Referred 100 days ago and not assessed: assessment, decision and start are all late.
    assert needs("assessment", referred_days_ago=100).text.startswith("Assessment overdue by 79")
    # The offence long ago: the start is later against the offence than against the referral.
    late = needs("decision", referred_days_ago=60, offence_days_ago=200, consent=True)
    assert (
        late.text == "Start on the programme overdue by 17 days (target: 183 days from the offence)"
    )


def test_consent_missing_at_decision_only_when_the_reader_may_know():
    assert needs("decision", referred_days_ago=5, consent=False).rank == CONSENT_MISSING
    assert needs("decision", referred_days_ago=5, consent=True) is None
    assert needs("decision", referred_days_ago=5, consent=None) is None
    assert needs("recommendation", referred_days_ago=5, consent=False) is None


def test_phase_minimum_reached_on_its_day():
    assert needs("episode", phase=1, in_phase_days=41) is None
    reached = needs("episode", phase=1, in_phase_days=42)
    assert (reached.rank, reached.text) == (
        PHASE_MINIMUM,
        "Phase minimum reached: 6 weeks in phase 1 (Engagement), minimum 6; review whether to "
        "move on",
    )


def test_days_since_referral_only_while_the_pathway_is_open():
    for state in ("referral", "decision", "episode"):
        assert days_since_referral(state, TODAY - timedelta(days=9), TODAY) == 9
    for state in ("exit", "follow_up", "closed", "left"):
        assert days_since_referral(state, TODAY - timedelta(days=9), TODAY) is None


@time_machine.travel(datetime(2026, 6, 15, 12, tzinfo=UTC), tick=False)
@pytest.mark.parametrize("days_ago", [20, 21, 22, 41, 42, 43, 55, 56, 57])
def test_the_databases_order_agrees_with_the_rules(make_referral, coordinator, programme,
                                                    days_ago):  # fmt: skip
    """Around each target's day, for a referral at each stage before the start and for an
    episode around its phase minimum, the database's rank is the rules' rank."""
    today = date.today()
    on = today - timedelta(days=days_ago)
    stages = ["screening", "eligibility", "assessment", "recommendation", "decision"]
    made = []
    for i, stage in enumerate(["referral", *stages]):
        referral = make_referral(given_name=f"P{i}", referral_date=on,
                                 offence_date=on - timedelta(days=10))  # fmt: skip
        for step in stages[: stages.index(stage) + 1] if stage != "referral" else []:
            extra = {"recommended_disposal": "programme"} if step == "decision" else {}
            referral_transition(referral, acting_user=coordinator, to_state=step,
                                occurred_on=on, **extra)  # fmt: skip
        made.append(referral)
    started = make_referral(given_name="Started", referral_date=on - timedelta(days=2),
                            offence_date=on - timedelta(days=12))  # fmt: skip
    for step in [*stages, "episode"]:
        extra = {"recommended_disposal": "programme"} if step == "decision" else {}
        if step == "episode":
            consent_to_take_part(started, coordinator)
            extra = {"imposed_disposal": "programme"}
        referral_transition(started, acting_user=coordinator, to_state=step, occurred_on=on,
                            **extra)  # fmt: skip
    ranked = with_attention(Referral.objects.select_related("episode"), programmes=[programme],
                            today=today, consent_known=True)  # fmt: skip
    targets = {k: v for k, v in programme.definition["timeliness"].items()}
    phases = {i: p["min_weeks"] * 7 for i, p in enumerate(programme.definition["phases"], 1)}
    for row in ranked:
        facts = Facts(
            state=row.state, referral_date=row.referral_date, offence_date=row.offence_date,
            phase_number=row.episode.phase_number if row.state == "episode" else None,
            phase_started_on=row.phase_started_on,
            has_participation_consent=row.has_participation_consent,
        )  # fmt: skip
        found = attention(facts, targets=targets, phase_days=phases, today=today)
        assert row.attention_rank == (found.rank if found else NOTHING), (row.state, days_ago)
