"""The synthetic caseload keeps each programme's rules: every generated step meets the
eligibility rules, the phases' minimum lengths, the minimum before a completion and the maximum
duration, or carries an override with a reason by the coordinator (docs/synth.md)."""

from datetime import date, timedelta

from turnpoint.journeys import machine
from turnpoint.journeys.models import Referral
from turnpoint.journeys.synth import synth_caseload
from turnpoint.programmes.eligibility import eligibility_check

TODAY = date(2026, 6, 1)


def test_every_generated_step_keeps_the_rules_or_records_an_override(synth_user):
    synth_caseload(participants=1200, seed=5, acting_user=synth_user, today=TODAY)
    referrals = Referral.objects.filter(synthetic=True).select_related("programme", "participant")
    overrides, eligibility_steps, completions = 0, 0, 0
    for referral in referrals.prefetch_related("transitions"):
        programme = referral.programme
        mins = [p.min_weeks for p in programme.phases.order_by("number")]
        outcomes = {e["code"]: e["outcome"] for e in programme.exit_types}
        started = phase_started = phase = None
        for t in sorted(referral.transitions.all(), key=lambda t: t.pk)[1:]:
            rules = []
            if (t.from_state, t.to_state) == ("eligibility", "assessment"):
                eligibility_steps += 1
                rules = eligibility_check(programme, referral)
                assert t.data["eligibility"] == [
                    {"reason": r.reason, "passed": r.passed} for r in rules
                ]
            broken = machine.programme_rules_broken(
                state=t.from_state, to_state=t.to_state, occurred_on=t.occurred_on,
                eligibility=rules, phase_number=t.data.get("phase_number"),
                current_phase=phase, started_on=started, phase_started_on=phase_started,
                phase_min_weeks=mins, max_duration_weeks=programme.max_duration_weeks,
                exit_outcome=outcomes.get(t.data.get("exit_type", ""), ""),
            )  # fmt: skip
            override = t.data.get("override")
            if broken:
                overrides += 1
                assert override == {"rules": broken, "reason": override["reason"],
                                    "role": "coordinator"}  # fmt: skip
                assert override["reason"].strip()
            else:
                assert override is None, (t.from_state, t.to_state, override)
            if t.to_state == "exit" and outcomes[t.data["exit_type"]] == "completed":
                completions += 1
                assert t.occurred_on >= started + timedelta(weeks=sum(mins))
            if t.to_state == "episode":
                started = started or t.occurred_on
                phase, phase_started = t.data["phase_number"], t.occurred_on
    # The run is big enough to meet each case: steps past the eligibility step, completions,
    # and a few people the coordinator let go on although a rule was not met.
    assert eligibility_steps > 100 and completions > 5
    assert 0 < overrides < eligibility_steps / 10, (overrides, eligibility_steps)
