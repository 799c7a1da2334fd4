"""Synthetic pathways through the police-stage and the post-sentence programmes are plausible for
their stage (referral source, offence, timing, reasons for leaving, consent, exits), legal by the
state machine and consistent with each programme's eligibility rules (R1, R3)."""

from collections import Counter
from datetime import date, timedelta

import pytest

from turnpoint.journeys import machine
from turnpoint.journeys.models import Episode, Referral, Transition
from turnpoint.journeys.synth import synth_caseload
from turnpoint.programmes.eligibility import eligibility_check
from turnpoint.sharing.participation import ParticipationConsent

TODAY = date(2026, 6, 1)
POLICE = "england-police-drug-intervention"
PRISON = "england-prison-to-community"


@pytest.fixture
def caseload(synth_user, programmes):
    """400 participants across the two programmes (one synth run)."""
    chosen = [programmes[POLICE], programmes[PRISON]]
    synth_caseload(participants=400, seed=27, acting_user=synth_user, programmes=chosen,
                   today=TODAY)  # fmt: skip
    return {p.slug: Referral.objects.filter(programme=p) for p in chosen}


def steps(referral) -> list[Transition]:
    return sorted(referral.transitions.all(), key=lambda t: t.pk)


def test_every_pathway_is_legal_by_the_state_machine(caseload):
    for slug, referrals in caseload.items():
        assert referrals.count() > 120, slug
        for referral in referrals.select_related("programme").prefetch_related("transitions"):
            state, last, phase = "referral", referral.referral_date, None
            for t in steps(referral)[1:]:
                assert t.from_state == state and t.occurred_on >= last
                if t.kind == "phase":
                    assert t.data["phase_number"] == phase + 1
                    assert phase + 1 <= referral.programme.phases.count()
                    phase = t.data["phase_number"]
                else:
                    assert t.to_state in machine.allowed_next(state), (state, t.to_state)
                    phase = 1 if t.to_state == "episode" else phase
                if t.to_state == "exit":
                    assert referral.programme.exit_type(t.data["exit_type"]) is not None
                if t.kind == "left":
                    assert t.reason_code in machine.LEAVE_REASONS
                state, last = t.to_state, t.occurred_on
            assert referral.state == state and last <= TODAY


def test_nobody_goes_past_eligibility_without_meeting_every_rule(caseload):
    """At these stages the rules restate the law's conditions: a referral failing one leaves
    at eligibility (with the failed rules as the reason, unless the person had already declined);
    everyone who goes on meets them all."""
    turned_away = 0
    for slug, referrals in caseload.items():
        for referral in referrals.select_related("participant", "programme").prefetch_related(
            "transitions"
        ):
            failed = [r.reason for r in eligibility_check(referral.programme, referral)
                      if not r.passed]  # fmt: skip
            from_eligibility = [t for t in steps(referral) if t.from_state == "eligibility"]
            if not from_eligibility:
                continue  # left earlier or still waiting
            step = from_eligibility[0]
            if failed:
                assert step.to_state == "left", slug  # some had declined before the check
                if step.reason_code == "not_eligible":
                    assert step.reason == "; ".join(failed)
                    turned_away += 1
            else:
                assert step.reason_code != "not_eligible"
    assert turned_away > 0  # the rules were exercised (under-18s, other offences)


def test_referrals_come_from_the_stage_with_its_offences_and_timing(caseload):
    police, prison = caseload[POLICE], caseload[PRISON]
    assert set(police.values_list("source", flat=True)) == {"police"}
    assert set(prison.values_list("source", flat=True)) == {"prison", "probation"}
    # Tested on arrest: referred days after the offence. Leaving prison: months or years after.
    assert all(r.referral_date - r.offence_date <= timedelta(days=60) for r in police)
    assert all(r.referral_date - r.offence_date >= timedelta(days=120) for r in prison)
    offences = Counter(police.values_list("offence_category", flat=True))
    assert offences.most_common(1)[0][0] == "acquisitive"
    assert "motoring" not in offences


def test_most_people_tested_on_arrest_are_screened_out(caseload):
    """37% of tests on arrest were positive in 2006/07 (seed 004): most leave at screening."""
    left = Counter(
        Transition.objects.filter(referral__in=caseload[POLICE], kind="left").values_list(
            "from_state", "reason_code"
        )
    )
    screened_out = left[("screening", "screened_out")]
    assert 0.45 < screened_out / caseload[POLICE].count() < 0.75


def test_decisions_against_the_programme_give_the_stages_own_reason(caseload):
    decided = Transition.objects.filter(from_state="decision", kind="left")
    police = set(decided.filter(referral__in=caseload[POLICE]).values_list("reason_code", "reason"))
    prison = set(decided.filter(referral__in=caseload[PRISON]).values_list("reason_code", "reason"))
    assert {code for code, _ in police} <= {"prosecution_declined", "recommended_other"}
    assert ("prosecution_declined", "") in police
    assert ("other", "Released on licence without a drug appointment condition") in prison
    assert not {code for code, _ in prison} & {"court_other_disposal", "prosecution_declined"}


def test_consent_records_the_stages_degree_of_coercion_and_consequences(caseload):
    consents = ParticipationConsent.objects.select_related("referral__programme")
    police = consents.filter(referral__in=caseload[POLICE])
    prison = consents.filter(referral__in=caseload[PRISON])
    assert police.exists() and prison.exists()
    assert set(police.values_list("coercion", flat=True)) == {"legal_pressure"}
    assert set(prison.values_list("coercion", flat=True)) == {"mandatory"}
    assert "prosecution for the original offence" in police.first().non_completion_explained
    assert "recall to custody" in prison.first().non_completion_explained


def test_episodes_end_the_stages_own_way(caseload):
    police = Counter(
        Episode.objects.filter(referral__in=caseload[POLICE], ended_on__isnull=False).values_list(
            "exit_type", flat=True
        )
    )
    assert police.most_common(1)[0][0] == "complied"
    assert police["prosecuted_non_compliance"] > 0
    prison = Episode.objects.filter(referral__in=caseload[PRISON], ended_on__isnull=False)
    exits = Counter(prison.values_list("exit_type", flat=True))
    assert exits["licence_completed"] > 0 and exits["recalled"] > 0
    # Not arriving at community treatment happens in the weeks after release (phase 2).
    not_engaged = prison.filter(exit_type="not_engaged_after_release")
    assert not_engaged.exists()
    assert set(not_engaged.values_list("phase_number", flat=True)) == {2}
