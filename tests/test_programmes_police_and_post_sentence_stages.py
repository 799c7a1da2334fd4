"""A programme at every stage (R1): the shipped police-stage programme (drug testing on arrest, a
required assessment and a conditional caution with a treatment condition) and the post-sentence
one (prison treatment continued into the community on licence) load, differ for real from the
court programmes, and apply their own eligibility rules."""

from datetime import date

import pytest

from turnpoint.journeys.models import Referral
from turnpoint.people.models import Participant
from turnpoint.programmes.eligibility import eligibility_check
from turnpoint.programmes.models import Stage

POLICE = "england-police-drug-intervention"
PRISON = "england-prison-to-community"
OFFENCE_DAY = date(2026, 3, 2)


def referral(programme, *, age=30, **facts) -> Referral:
    born = date(OFFENCE_DAY.year - age, 1, 1)
    values = dict(source="police", offence_category="acquisitive",
                  drug_related_type="economic_compulsive")  # fmt: skip
    values.update(facts)
    return Referral(
        participant=Participant(date_of_birth=born), programme=programme,
        offence_date=OFFENCE_DAY, referral_date=OFFENCE_DAY, **values,
    )  # fmt: skip


def failed(programme, **facts) -> list[str]:
    return [r.reason for r in eligibility_check(programme, referral(programme, **facts))
            if not r.passed]  # fmt: skip


def test_every_stage_has_a_shipped_programme(programmes):
    assert {p.stage for p in programmes.values()} == set(Stage.values)
    assert Stage("police").label == "Police (before charge)"
    assert programmes[POLICE].stage == "police"
    assert programmes[PRISON].stage == "post-sentence"


@pytest.mark.parametrize("slug", [POLICE, PRISON])
def test_no_court_sees_tests_or_holds_reviews_outside_the_court_stages(programmes, slug):
    programme = programmes[slug]
    assert not programme.court_receives_test_results
    assert programme.review_mode == "none"
    assert set(programme.phases.values_list("reviews_per_month", flat=True)) == {0}
    assert programme.consent_revocation == "any_time"
    assert not programme.criminal_justice_referral
    assert programme.statutory_disclosures == []


def test_police_programme_ends_in_no_prosecution_or_prosecution_for_the_offence(programmes):
    police = programmes[POLICE]
    outcomes = {e["code"]: e["outcome"] for e in police.exit_types}
    assert outcomes["complied"] == "completed"
    assert outcomes["prosecuted_non_compliance"] == "unsuccessful"
    # Not complying returns the case to the prosecutor; treatment itself carries no penalty.
    assert not police.non_completion_penalised
    phases = list(police.phases.values_list("name", flat=True))
    assert phases == ["Care plan", "Treatment condition"]
    assert police.max_duration_weeks < min(
        p.max_duration_weeks for p in programmes.values() if p.stage != "police"
    )


def test_police_programme_rules_take_adults_arrested_for_a_trigger_offence(programmes):
    police = programmes[POLICE]
    assert failed(police) == []
    assert failed(police, offence_category="drug_possession", drug_related_type="drug_law") == []
    assert failed(police, age=17) == [
        "Aged 18 or over (testing on arrest, the required assessment and a conditional caution "
        "are for adults)"
    ]
    assert failed(police, offence_category="drug_supply", drug_related_type="drug_law") == [
        "Arrested for a trigger offence (mainly acquisitive crime and possession of a Class A drug)"
    ]
    assert failed(police, offence_category="violence", drug_related_type="systemic")
    assert failed(police, source="court") == ["Referred from police custody after arrest"]
    assert failed(police, drug_related_type="unknown")


def test_post_sentence_programme_follows_release_and_may_end_in_recall(programmes):
    prison = programmes[PRISON]
    phases = list(prison.phases.values_list("name", "contacts_per_week"))
    assert [name for name, _ in phases] == [
        "Before release", "First weeks after release", "Community treatment on licence",
    ]  # fmt: skip
    # The weeks after release carry the highest overdose risk: contact is closest then (R20).
    assert phases[1][1] == max(contacts for _, contacts in phases)
    outcomes = {e["code"]: e["outcome"] for e in prison.exit_types}
    assert outcomes["licence_completed"] == "completed"
    assert outcomes["recalled"] == "unsuccessful"
    assert outcomes["not_engaged_after_release"] == "unsuccessful"
    assert prison.non_completion_penalised


def test_post_sentence_programme_rules_take_adults_referred_before_release(programmes):
    prison = programmes[PRISON]
    assert failed(prison, source="prison", offence_category="violence",
                  drug_related_type="psychopharmacological") == []  # fmt: skip
    assert failed(prison, source="probation") == []
    assert failed(prison, source="police") == [
        "Referred before release by the prison's drug service or a probation officer"
    ]
    assert failed(prison, source="prison", age=17)
    assert failed(prison, source="prison", drug_related_type="unknown")
