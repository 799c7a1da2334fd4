"""The matching page (docs/matching.md): the facts used with their instrument and date, each
proposal with why, its rule and the evidence, the net-widening flag when raised, and plain forms
to accept, change (with a reason) or reject (with a reason); decisions with who and when."""

import html as htmllib

import pytest
from django.urls import reverse
from matching_helpers import assess

from turnpoint.plans.models import MatchDecision

from .helpers import text


@pytest.fixture
def referral(make_referral, coordinator):
    referral = make_referral(given_name="Robin", family_name="Example")
    assess(referral, coordinator, level="high", needs=["substance_use", "housing"],
           days={"opioids": 10}, phq_band="Moderate")  # fmt: skip
    return referral


def url(referral):
    return reverse("web:matching", args=[referral.pk])


def page(client, referral) -> str:
    response = client.get(url(referral))
    assert response.status_code == 200
    return htmllib.unescape(text(response))


def test_the_participant_page_links_to_matching_for_plan_readers(page_as, referral):
    participant = reverse("web:participant", args=[referral.participant_id])
    assert url(referral) in text(page_as("casemanager").get(participant))
    assert url(referral) not in text(page_as("judge").get(participant))


def test_a_clinician_sees_each_proposal_with_why_rule_and_evidence(page_as, referral):
    body = page(page_as("clinician"), referral)
    assert 'id="proposal-mat-opioids"' in body
    assert "Medication-assisted treatment (opioid substitution)" in body
    assert "Rule mat-opioids. Evidence R10: A range of treatment modalities" in body
    assert "Because of: Opioids in the past 28 days." in body
    assert "Intensity: High intensity, 6 to 12 hours a week" in body
    assert "Evidence R7: Match intensity to risk" in body
    assert "Integrated care for mental health and substance use" in body
    assert "Housing support" in body
    # The facts with where they came from.
    assert "From LSI-R," in body and "From Days of substance use," in body
    assert "From Needs checklist," in body and "PHQ-9" in body
    assert 'id="net-widening"' not in body


def test_a_case_manager_is_told_what_was_not_available(page_as, referral):
    body = page(page_as("casemanager"), referral)
    assert 'id="matching-unavailable"' in body
    assert "Clinical treatment (substance use)" in body and "Mental health" in body
    assert "proposal-mat-opioids" not in body and "proposal-housing-need" in body


def test_court_roles_are_refused_and_others_teams_do_not_find_it(page_as, referral):
    assert page_as("judge").get(url(referral)).status_code == 403
    assert page_as("outsider").get(url(referral)).status_code == 404


def test_net_widening_is_flagged_prominently(page_as, make_referral, users, programmes):
    court = programmes["us-adult-drug-court"]
    for user in users.values():
        user.programmes.add(court)
    referral = make_referral(programme=court, source="court")
    assess(referral, users["coordinator"], level="low", needs=["substance_use"])
    body = page(page_as("coordinator"), referral)
    assert 'id="net-widening"' in body and "Possible net-widening." in body
    assert "Evidence R7" in body


def test_without_a_risk_level_the_page_says_intensity_is_not_proposed(page_as, make_referral,
                                                                       coordinator):  # fmt: skip
    referral = make_referral()
    assess(referral, coordinator, needs=["housing"])
    body = page(page_as("coordinator"), referral)
    assert "intensity cannot be proposed from risk" in body
    assert "Intensity:" not in body


def test_accept_change_and_reject_work_without_javascript(page_as, referral, users):
    client = page_as("clinician")
    ok = client.post(url(referral), {"rule_id": "mat-opioids", "version": "0",
                                     "rule-mat-opioids-decision": "accepted"})  # fmt: skip
    assert ok.status_code == 302
    refused = client.post(url(referral), {"rule_id": "housing-need", "version": "0",
                                          "rule-housing-need-decision": "rejected"})  # fmt: skip
    assert refused.status_code == 400
    body = htmllib.unescape(text(refused))
    assert 'href="#id_rule-housing-need-reason"' in body
    assert "Reason is required when rejecting a proposal: say why" in body
    changed = client.post(url(referral), {
        "rule_id": "intensity-high-risk", "version": "0",
        "rule-intensity-high-risk-decision": "changed",
        "rule-intensity-high-risk-changed_value": "moderate",
        "rule-intensity-high-risk-hours_from": "4", "rule-intensity-high-risk-hours_to": "6",
        "rule-intensity-high-risk-reason": "Works full time",
    })  # fmt: skip
    assert changed.status_code == 302
    decisions = {d.rule_id: d for d in MatchDecision.objects.all()}
    assert set(decisions) == {"mat-opioids", "intensity-high-risk"}
    assert decisions["intensity-high-risk"].changed_hours == [4, 6]
    body = page(client, referral)
    assert "Changed to moderate intensity, 4 to 6 hours a week" in body
    assert "Works full time" in body and "Lena Peeters" in body


def test_a_stale_decision_is_refused_on_the_page(page_as, referral):
    data = {"rule_id": "housing-need", "version": "0", "rule-housing-need-decision": "accepted"}
    assert page_as("clinician").post(url(referral), data).status_code == 302
    stale = page_as("coordinator").post(url(referral), {
        **data, "rule-housing-need-decision": "rejected",
        "rule-housing-need-reason": "Housed last week",
    })  # fmt: skip
    assert stale.status_code == 400
    assert "since you read it. Nothing was saved" in htmllib.unescape(text(stale))
    assert MatchDecision.objects.get().outcome == "accepted"


def test_a_proposal_no_longer_made_is_refused(page_as, referral):
    response = page_as("clinician").post(url(referral), {"rule_id": "cm-stimulants",
                                                          "version": "0"})  # fmt: skip
    assert response.status_code == 400
    assert "not made any more" in text(response)
    assert not MatchDecision.objects.exists()


def test_the_page_is_not_shown_when_its_read_cannot_be_recorded(monkeypatch, referral, users):
    """SEC-19: the facts go out only once their read is recorded."""
    from django.db import DatabaseError
    from django.test import Client

    from turnpoint.sharing.models import audit as audit_module

    def refuse(*args, **kwargs):
        raise DatabaseError("disk full while writing the audit log")

    client = Client(raise_request_exception=False)
    client.force_login(users["clinician"])
    monkeypatch.setattr(audit_module.AuditQuerySet, "insert_chained", refuse)
    response = client.get(url(referral))
    assert response.status_code == 500
    assert "Opioids" not in response.content.decode()
