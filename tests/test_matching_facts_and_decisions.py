"""Matching from records (docs/matching.md): the facts come through one selector that decides each
category with the rules for the referral's programme and records the read; what a user may not
read is not used and is named. Decisions on proposals: a change or a rejection needs a reason,
a stale version is refused, the same decision twice changes nothing, every change is audited,
and the acceptance rate counts them."""

from datetime import date, timedelta

import pytest
from matching_helpers import ON, administration, assess

from turnpoint.errors import Conflict, InvalidInput
from turnpoint.plans.matching import match
from turnpoint.plans.matching_decisions import acceptance_rate, match_decide
from turnpoint.plans.matching_reads import matching_read, mental_health_signal
from turnpoint.plans.models import MatchDecision
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.rules import PolicyDenied

EVERYTHING = {
    "level": "high",
    "needs": ["substance_use", "housing"],
    "days": {"opioids": 12, "cocaine": 0, "alcohol": 3},
    "phq_band": "Moderate",
}


@pytest.fixture
def referral(make_referral, coordinator):
    referral = make_referral()
    assess(referral, coordinator, **EVERYTHING)
    return referral


def test_a_clinician_gets_every_fact_with_where_it_came_from_and_the_read_is_audited(
    referral, users
):
    clinician = users["clinician"]
    read = matching_read(clinician, referral)
    facts = read.facts
    assert facts.risk_level == "high"
    assert facts.needs == {"substance_use", "housing"}
    assert facts.substances == {"opioids", "alcohol"}
    assert facts.mental_health_need is True
    assert facts.sources["risk_level"][0].instrument == "LSI-R"
    assert facts.sources["substances"][0].on == ON
    assert [s.instrument for s in facts.sources["mental_health"]] == ["PHQ-9"]
    assert read.unavailable == []
    entry = AuditEntry.objects.filter(user=clinician, action="read").latest("id")
    assert entry.detail["page"] == "matching"
    assert {"clinical", "mental_health"} <= set(entry.categories)
    assert entry.participant_ids == [referral.participant_id]


def test_a_case_manager_gets_no_clinical_or_mental_health_facts_and_is_told(referral, users):
    read = matching_read(users["casemanager"], referral)
    assert read.facts.risk_level == "high" and read.facts.needs == {"substance_use", "housing"}
    assert read.facts.substances == frozenset() and not read.facts.known("substances")
    assert read.facts.mental_health_need is False  # the PHQ-9 is mental health: not theirs
    assert [label for label, _ in read.unavailable] == ["Clinical treatment", "Mental health"]
    proposals = match(referral.programme.definition["matching"], read.facts).proposals
    assert "medication_assisted_treatment" not in {p.value for p in proposals}
    assert "housing_support" in {p.value for p in proposals}


def test_a_mental_health_need_in_the_checklist_is_read_as_risk_and_need(make_referral, users):
    referral = make_referral()
    assess(referral, users["coordinator"], needs=["mental_health"])
    read = matching_read(users["casemanager"], referral)
    assert read.facts.mental_health_need is True
    assert read.facts.sources["mental_health"][0].category == "risk_need"


def test_a_judge_reads_none_of_it(referral, users):
    read = matching_read(users["judge"], referral)
    assert read.facts.risk_level is None and not read.facts.sources
    assert len(read.unavailable) == 3


def test_the_latest_complete_records_count_and_another_teams_do_not(
    referral, users, other_programme, coordinator
):
    later = ON + timedelta(days=1)
    administration(referral, coordinator, "tp-substance-days", "clinical", {"days_cannabis": 5},
                   on=later, status="in_progress")  # fmt: skip
    elsewhere = type(referral).objects.create(
        participant=referral.participant, programme=other_programme, source="police",
        offence_category="acquisitive", drug_related_type="economic_compulsive",
        offence_date=referral.offence_date, referral_date=referral.referral_date,
        created_by=coordinator,
    )  # fmt: skip
    assess(elsewhere, coordinator, level="low", days={"cannabis": 9}, on=later)
    facts = matching_read(users["clinician"], referral).facts
    assert facts.risk_level == "high" and facts.substances == {"opioids", "alcohol"}
    administration(referral, coordinator, "tp-substance-days", "clinical", {"days_cannabis": 5},
                   on=later)  # fmt: skip
    assert matching_read(users["clinician"], referral).facts.substances == {"cannabis"}


@pytest.mark.parametrize(
    ("scale", "need"),
    [
        ({"band": "Moderate", "cutoffs": []}, True),
        ({"band": "Moderately severe", "cutoffs": []}, True),
        ({"band": "Mild", "cutoffs": []}, False),
        ({"band": None, "cutoffs": [{"label": "Probable PTSD", "met": True}]}, True),
        ({"band": "Minimal", "cutoffs": [{"label": "Poor wellbeing", "met": False}]}, False),
    ],
)
def test_a_mental_health_band_of_moderate_or_above_or_a_cutoff_met_is_a_need(scale, need):
    assert mental_health_signal({"scales": [scale]}) is need


def _proposal(referral, user, value):
    facts = matching_read(user, referral).facts
    result = match(referral.programme.definition["matching"], facts)
    return next(p for p in result.proposals if p.value == value), facts


def test_accepting_twice_changes_nothing_and_is_audited_once(referral, users):
    clinician = users["clinician"]
    proposal, facts = _proposal(referral, clinician, "medication_assisted_treatment")
    row, changed = match_decide(acting_user=clinician, referral=referral, proposal=proposal,
                                facts=facts, outcome="accepted")  # fmt: skip
    assert changed and row.version == 1 and row.rule_id == "mat-opioids"
    assert row.requirement == "R10" and row.categories == ["clinical"]
    assert row.facts[0]["fact"] == "substance" and row.facts[0]["value"] == "opioids"
    assert row.facts[0]["sources"][0]["instrument"] == "Days of substance use"
    audits = AuditEntry.objects.filter(action="match_decision").count()
    again, changed = match_decide(acting_user=clinician, referral=referral, proposal=proposal,
                                  facts=facts, outcome="accepted", expected_version=0)  # fmt: skip
    assert not changed and again.pk == row.pk and again.version == 1
    assert AuditEntry.objects.filter(action="match_decision").count() == audits == 1


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        ({"outcome": "rejected"}, "reason", "is required when rejecting"),
        ({"outcome": "changed", "changed_value": "community_reinforcement"}, "reason",
         "is required when changing"),
        ({"outcome": "changed", "reason": "Prefers counselling"}, "changed_value", "is required"),
        ({"outcome": "changed", "changed_value": "juggling", "reason": "x"}, "changed_value",
         "is not one of the choices"),
        ({"outcome": "changed", "changed_value": "medication_assisted_treatment",
          "reason": "Same"}, "changed_value", "is what was proposed"),
        ({"outcome": "accepted", "changed_value": "detoxification"}, "changed_value",
         "is only for changing"),
        ({"outcome": "maybe"}, "decision", "must be accepted, changed or rejected"),
        ({"outcome": "rejected", "reason": "Not now\u202e"}, "reason", "invisible character"),
    ],
)  # fmt: skip
def test_a_change_or_rejection_needs_a_reason_and_bad_input_saves_nothing(
    referral, users, values, field, says
):
    clinician = users["clinician"]
    proposal, facts = _proposal(referral, clinician, "medication_assisted_treatment")
    with pytest.raises(InvalidInput) as excinfo:
        match_decide(acting_user=clinician, referral=referral, proposal=proposal, facts=facts,
                     **values)  # fmt: skip
    reasons = {p.field: p.reason for p in excinfo.value.problems}
    assert says in reasons[field], reasons
    assert not MatchDecision.objects.exists()
    assert not AuditEntry.objects.filter(action="match_decision").exists()


def test_a_stale_version_is_refused_and_changes_nothing(referral, users):
    clinician, coordinator = users["clinician"], users["coordinator"]
    proposal, facts = _proposal(referral, clinician, "housing_support")
    match_decide(acting_user=clinician, referral=referral, proposal=proposal, facts=facts,
                 outcome="accepted")  # fmt: skip
    # The coordinator read the page before the clinician decided: no version.
    with pytest.raises(Conflict, match="decided this proposal"):
        match_decide(acting_user=coordinator, referral=referral, proposal=proposal, facts=facts,
                     outcome="rejected", reason="Housed last week")  # fmt: skip
    row = MatchDecision.objects.get()
    assert row.outcome == "accepted" and row.version == 1
    row, changed = match_decide(acting_user=coordinator, referral=referral, proposal=proposal,
                                facts=facts, outcome="rejected", reason="Housed last week",
                                expected_version=1)  # fmt: skip
    assert changed and row.version == 2 and row.decided_by == coordinator
    with pytest.raises(Conflict):
        match_decide(acting_user=clinician, referral=referral, proposal=proposal, facts=facts,
                     outcome="accepted", expected_version=1)  # fmt: skip
    assert MatchDecision.objects.get().outcome == "rejected"


def test_a_change_keeps_what_was_proposed_and_what_was_chosen(referral, users):
    clinician = users["clinician"]
    proposal, facts = _proposal(referral, clinician, "high")
    row, _ = match_decide(acting_user=clinician, referral=referral, proposal=proposal,
                          facts=facts, outcome="changed", changed_value="moderate",
                          changed_hours=[4, 6], reason="Works full time")  # fmt: skip
    assert (row.kind, row.proposed_value, row.proposed_hours) == ("intensity", "high", [6, 12])
    assert (row.changed_value, row.changed_hours, row.reason) == ("moderate", [4, 6],
                                                                  "Works full time")  # fmt: skip


def test_court_roles_cannot_decide(referral, users):
    proposal, facts = _proposal(referral, users["clinician"], "housing_support")
    with pytest.raises(PolicyDenied):
        match_decide(acting_user=users["judge"], referral=referral, proposal=proposal,
                     facts=facts, outcome="accepted")  # fmt: skip


def test_a_decision_resting_on_clinical_facts_is_hidden_from_a_case_manager(referral, users):
    clinician = users["clinician"]
    for value in ("medication_assisted_treatment", "housing_support"):
        proposal, facts = _proposal(referral, clinician, value)
        match_decide(acting_user=clinician, referral=referral, proposal=proposal, facts=facts,
                     outcome="accepted")  # fmt: skip
    read = matching_read(users["casemanager"], referral)
    assert [d.rule_id for d in read.decisions] == ["housing-need"]
    assert read.hidden_decisions == 1
    assert len(matching_read(clinician, referral).decisions) == 2


def test_the_acceptance_rate_counts_decisions_by_kind(referral, users):
    clinician = users["clinician"]
    for value, outcome, extra in (
        ("medication_assisted_treatment", "accepted", {}),
        ("cbt_relapse_prevention", "rejected", {"reason": "Already in a group"}),
        ("housing_support", "accepted", {}),
        ("high", "changed", {"changed_value": "moderate", "reason": "Works full time"}),
    ):
        proposal, facts = _proposal(referral, clinician, value)
        match_decide(acting_user=clinician, referral=referral, proposal=proposal, facts=facts,
                     outcome=outcome, **extra)  # fmt: skip
    today = date.today()
    rates = acceptance_rate(referral.programme, today, today)
    assert rates["modality"] == {"accepted": 1, "changed": 0, "rejected": 1, "decided": 2,
                                 "rate": 0.5}  # fmt: skip
    assert rates["service"]["rate"] == 1.0 and rates["intensity"]["rate"] == 0.0
    assert rates["all"]["decided"] == 4 and rates["all"]["accepted"] == 2
    earlier = acceptance_rate(referral.programme, today - timedelta(days=9), today - timedelta(1))
    assert earlier["all"] == {"accepted": 0, "changed": 0, "rejected": 0, "decided": 0,
                              "rate": None}  # fmt: skip
