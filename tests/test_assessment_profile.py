"""The profile's signals for plans and matching (docs/assessments.md, "The profile"): the latest
risk level, substances in use, a mental-health need, from what a selector returned."""

from datetime import date, timedelta

import pytest

from turnpoint.assessments.instruments import get
from turnpoint.assessments.profile import profile_of
from turnpoint.assessments.services import (
    administration_complete,
    administration_start,
    external_assessment_record,
)
from turnpoint.sharing.reads import assessments_read


def give(user, referral, instrument_id, answers, on=None):
    a = administration_start(acting_user=user, participant=referral.participant,
                             referral=referral, instrument_id=instrument_id, setting="intake",
                             administered_on=on or date.today())  # fmt: skip
    return administration_complete(a, acting_user=user, answers=answers, expected_version=1)


@pytest.mark.django_db
def test_the_signals_come_from_the_latest_of_what_the_reader_may_read(users, make_referral):
    referral = make_referral()
    clinician, coordinator = users["clinician"], users["coordinator"]
    days = {i.id: 0 for i in get("tp-substance-days").items}
    give(clinician, referral, "tp-substance-days", {**days, "days_opioids": 12},
         on=date.today() - timedelta(days=30))  # fmt: skip
    give(clinician, referral, "tp-substance-days", {**days, "days_crack_cocaine": 3})
    give(clinician, referral, "phq-9", {i.id: 2 for i in get("phq-9").items if i.options})
    for when, level in ((60, "high"), (5, "medium")):
        external_assessment_record(acting_user=coordinator, participant=referral.participant,
                                   tool="LS/CMI", level=level,
                                   assessed_on=date.today() - timedelta(days=when))  # fmt: skip
    seen = assessments_read(clinician, referral.participant)
    profile = profile_of(seen.administrations, seen.external)
    assert profile.risk.level == "medium" and [p for _, p in profile.risk_trend.points] == [3, 2]
    assert profile.substances == ["crack cocaine"]
    assert profile.mental_health_need is True  # PHQ-9 of 16: moderately severe
    # The coordinator reads neither clinical nor mental health: no signal, not a false "no".
    theirs = assessments_read(coordinator, referral.participant)
    profile = profile_of(theirs.administrations, theirs.external)
    assert profile.substances == [] and profile.mental_health_need is None
    give(coordinator, referral, "tp-life-domains",
         {f"need_{d}": 0 for d in ("substance_use", "physical_health", "mental_health",
          "housing", "employment_education", "finances", "family_children", "social_network",
          "legal", "meaning_purpose")})  # fmt: skip
    theirs = assessments_read(coordinator, referral.participant)
    assert profile_of(theirs.administrations, theirs.external).mental_health_need is False
