"""The recovery plan API (docs/api.md, "Recovery plans"): make a plan, change it in versions with
`expected_version`, read it and any version; language-check warnings and `keep_wording`."""

from datetime import date, timedelta

import pytest

from turnpoint.plans.models import PlanVersion, RecoveryPlan
from turnpoint.sharing.models import AuditEntry

from .helpers import ApiClient

TODAY = date.today()


def body(**changes):
    values = {
        "agreed_on": (TODAY - timedelta(days=3)).isoformat(),
        "review_on": (TODAY + timedelta(days=90)).isoformat(),
        "agreed_with_participant": True,
        "summary": "Get my own place and see my daughter at weekends.",
        "staff_note": "Agreed at key work.",
        "goals": [
            {
                "domain": "housing",
                "in_their_words": "A flat of my own",
                "who_helps": "Key worker",
                "by_when": (TODAY + timedelta(days=100)).isoformat(),
            },
            {
                "domain": "substance_use",
                "in_their_words": "Use less and never alone",
                "harm_reduction": True,
            },
        ],
        "services": [
            {
                "modality": "medication_assisted_treatment",
                "provider": "Recovery service",
                "intensity_hours_per_week": "1.5",
                "starts_on": (TODAY - timedelta(days=3)).isoformat(),
            },
        ],
    }
    values.update(changes)
    return values


@pytest.fixture
def person(make_referral):
    return make_referral().participant


@pytest.fixture
def client(coordinator):
    return ApiClient(coordinator)


def test_make_read_and_change_a_plan(client, person):
    url = f"/api/participants/{person.pk}/plan"
    empty = client.get(url)
    assert empty.status_code == 200 and empty.json()["plan_id"] is None
    made = client.post(url, body())
    assert made.status_code == 201, made.content
    plan = made.json()
    assert plan["version"] == 1 and [v["number"] for v in plan["versions"]] == [1]
    goals = plan["current"]["goals"]
    assert [g["in_their_words"] for g in goals] == ["A flat of my own", "Use less and never alone"]
    assert goals[1]["harm_reduction"] is True
    assert plan["current"]["services"][0]["intensity_hours_per_week"] == "1.5"
    changed = body(
        goals=[{**goals[0], "status": "achieved"}],
        expected_version=1,
        services=[{**s, "key": s["key"]} for s in plan["current"]["services"]],
    )
    revised = client.post(f"{url}/versions", changed)
    assert revised.status_code == 201, revised.content
    assert revised.json()["number"] == 2
    assert [(g["key"], g["status"]) for g in revised.json()["goals"]] == [(1, "achieved")]
    first = client.get(f"{url}/versions/1").json()
    assert [g["status"] for g in first["goals"]] == ["open", "open"]
    read = client.get(url).json()
    assert read["version"] == 2 and [v["number"] for v in read["versions"]] == [1, 2]
    assert client.get(f"{url}/versions/3").status_code == 404
    # Every read was audited.
    assert AuditEntry.objects.filter(action="read", categories=["plan"]).count() >= 3


def test_stale_and_unchanged_revisions_are_refused(client, person):
    url = f"/api/participants/{person.pk}/plan"
    plan = client.post(url, body()).json()
    current = plan["current"]
    same = body(goals=current["goals"], services=current["services"], expected_version=1)
    unchanged = client.post(f"{url}/versions", same)
    assert unchanged.status_code == 400
    assert "nothing has changed since version 1" in unchanged.json()["errors"][0]["reason"]
    ok = client.post(f"{url}/versions", {**same, "staff_note": "Reviewed."})
    assert ok.status_code == 201
    stale = client.post(f"{url}/versions", {**same, "staff_note": "Reviewed twice."})
    assert stale.status_code == 409 and stale.json()["errors"][0]["field"] == "version"
    assert PlanVersion.objects.count() == 2


def test_wording_is_warned_about_until_kept(client, person):
    url = f"/api/participants/{person.pk}/plan"
    refused = client.post(url, body(staff_note="Ex-offender, stayed clean since May."))
    assert refused.status_code == 400
    warnings = refused.json()["warnings"]
    assert [(w["field"], w["text"]) for w in warnings] == [
        ("staff_note", "Ex-offender"),
        ("staff_note", "stayed clean"),
    ]
    assert warnings[0]["start"] == 0 and "conviction" in warnings[0]["suggestion"]
    assert not RecoveryPlan.objects.exists()
    kept = client.post(url, body(staff_note="Ex-offender.", keep_wording=True))
    assert kept.status_code == 201 and kept.json()["current"]["wording_kept"] is True


def test_bad_dates_are_named(client, person):
    response = client.post(
        f"/api/participants/{person.pk}/plan",
        body(review_on=(TODAY - timedelta(days=10)).isoformat()),
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["review_on"]


def test_a_repeated_post_with_the_same_key_makes_one_plan(client, person):
    url = f"/api/participants/{person.pk}/plan"
    first = client.post(url, body(), **{"Idempotency-Key": "plan-1"})
    again = client.post(url, body(), **{"Idempotency-Key": "plan-1"})
    assert first.status_code == again.status_code == 201
    assert first.content == again.content and RecoveryPlan.objects.count() == 1


def test_the_court_and_other_writers_are_refused(users, person):
    url = f"/api/participants/{person.pk}/plan"
    assert ApiClient(users["judge"]).get(url).status_code == 403
    assert ApiClient(users["probation"]).post(url, body()).status_code == 403
    assert ApiClient(users["analyst"]).get(url).status_code == 404
