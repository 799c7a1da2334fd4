"""Matching in the API (docs/api.md, docs/matching.md): GET a referral's facts, proposals, the
net-widening flag and decisions; POST a decision, with a reason for a change or rejection, the
version read for a change of mind, and the same decision twice changing nothing."""

import pytest
from matching_helpers import assess

from turnpoint.plans.models import MatchDecision
from turnpoint.sharing.models import AuditEntry

from .helpers import errors_by_field


@pytest.fixture
def referral(make_referral, coordinator):
    referral = make_referral()
    assess(referral, coordinator, level="high", needs=["housing"], days={"opioids": 4},
           phq_band="Severe")  # fmt: skip
    return referral


def url(referral, *rest):
    return "/".join([f"/api/referrals/{referral.pk}/matching", *rest])


def test_a_clinician_gets_facts_proposals_and_sources(api_as, referral):
    response = api_as("clinician").get(url(referral))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["programme"] == "ghent-dtc" and body["programme_intensity"] == "moderate"
    assert body["facts"]["risk_level"] == "high"
    assert body["facts"]["substances"] == ["opioids"]
    assert body["facts"]["mental_health_need"] is True
    assert {s["instrument"] for s in body["facts"]["sources"]} >= {"LSI-R", "PHQ-9"}
    assert body["unavailable"] == []
    proposals = {p["rule_id"]: p for p in body["proposals"]}
    mat = proposals["mat-opioids"]
    assert mat["requirement"] == "R10" and mat["why"] and mat["decision"] is None
    assert mat["facts_used"] == [{"fact": "substance", "value": "opioids"}]
    assert proposals["intensity-high-risk"]["hours_per_week"] == [6, 12]
    assert proposals["housing-need"]["value"] == "housing_support"
    assert body["net_widening"] is None


def test_a_case_manager_gets_nulls_for_what_they_may_not_read(api_as, referral):
    body = api_as("casemanager").get(url(referral)).json()
    assert body["facts"]["substances"] is None
    assert body["unavailable"] == ["clinical", "mental_health"]
    assert "mat-opioids" not in {p["rule_id"] for p in body["proposals"]}


def test_court_roles_are_refused_and_the_refusal_audited(api_as, referral):
    response = api_as("judge").get(url(referral))
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action="denied").exists()
    assert api_as("outsider").get(url(referral)).status_code == 404


def test_net_widening_in_an_intensive_programme(api_as, make_referral, users, programmes):
    court = programmes["us-adult-drug-court"]
    for user in users.values():
        user.programmes.add(court)
    referral = make_referral(programme=court, source="court")
    assess(referral, users["coordinator"], level="low", needs=["substance_use"])
    flag = api_as("coordinator").get(url(referral)).json()["net_widening"]
    assert flag["raised"] is True and flag["requirement"] == "R7"


def test_deciding_creates_then_repeats_idempotently(api_as, referral):
    client = api_as("clinician")
    body = {"rule_id": "mat-opioids", "decision": "accepted"}
    first = client.post(url(referral, "decisions"), body)
    assert first.status_code == 201, first.content
    assert first.json()["version"] == 1 and first["ETag"] == '"1"'
    again = client.post(url(referral, "decisions"), {**body, "version": 0})
    assert again.status_code == 200 and again.json()["version"] == 1
    assert MatchDecision.objects.count() == 1
    listed = client.get(url(referral)).json()
    decided = {p["rule_id"]: p["decision"] for p in listed["proposals"]}
    assert decided["mat-opioids"]["decision"] == "accepted"
    assert decided["mat-opioids"]["decided_by"] == "clinician"


def test_a_rejection_needs_a_reason_and_a_stale_version_is_refused(api_as, referral):
    client = api_as("coordinator")
    refused = client.post(url(referral, "decisions"), {"rule_id": "housing-need",
                                                       "decision": "rejected"})  # fmt: skip
    assert refused.status_code == 400
    assert "is required when rejecting" in errors_by_field(refused)["reason"]
    assert not MatchDecision.objects.exists()
    ok = client.post(url(referral, "decisions"), {"rule_id": "housing-need",
                                                  "decision": "accepted"})  # fmt: skip
    assert ok.status_code == 201
    stale = {"rule_id": "housing-need", "decision": "rejected", "reason": "Housed", "version": 0}
    stale = client.post(url(referral, "decisions"), stale)
    assert stale.status_code == 409
    changed = client.post(url(referral, "decisions"), {
        "rule_id": "housing-need", "decision": "changed", "changed_value": "family_support",
        "reason": "Staying with her sister", "version": 1})  # fmt: skip
    assert changed.status_code == 200 and changed.json()["version"] == 2
    assert changed.json()["changed_value"] == "family_support"


def test_a_proposal_not_made_now_is_a_conflict(api_as, referral):
    body = {"rule_id": "mat-opioids", "decision": "accepted"}
    response = api_as("casemanager").post(url(referral, "decisions"), body)
    assert response.status_code == 409
    assert "is not proposed now" in errors_by_field(response)["rule_id"]


def test_court_roles_cannot_decide(api_as, referral):
    body = {"rule_id": "housing-need", "decision": "accepted"}
    response = api_as("judge").post(url(referral, "decisions"), body)
    assert response.status_code == 403
    assert not MatchDecision.objects.exists()
