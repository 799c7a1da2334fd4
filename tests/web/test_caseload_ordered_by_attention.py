"""The caseload lists what needs attention first, in words: a step overdue against the
programme's timeliness targets (R4), consent to take part missing before a start (R12), the
phase's minimum reached; and days since referral only while the pathway is open."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from participation_helpers import consent_to_take_part

from turnpoint.journeys.services import referral_transition
from turnpoint.people.models import Participant
from turnpoint.sharing.models import AuditEntry

from .helpers import text, walk

TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 6, 15, 12, tzinfo=UTC), tick=False):
        yield


def table(response) -> list[tuple[str, str, str]]:
    """(name, what needs attention, days since referral) for each row, in order."""
    found = []
    for row in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", text(response), re.S):
        name = re.search(r'href="/participants/\d+/">([^<]+)</a>', row)
        if name is None:
            continue
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        found.append((name.group(1), cells[-2].strip(), cells[-1].strip()))
    return found


def refer(make_referral, name, *, days_ago):
    given, family = name.split()
    on = TODAY - timedelta(days=days_ago)
    return make_referral(given_name=given, family_name=family,
                         referral_date=on, offence_date=on - timedelta(days=20))  # fmt: skip


@pytest.fixture
def mixed(make_referral, coordinator):
    """One row of each kind, named so that name order is the reverse of attention order."""
    refer(make_referral, "Abe Fresh", days_ago=5)
    refer(make_referral, "Zed Late", days_ago=30)
    yan = refer(make_referral, "Yan Waiting", days_ago=10)
    walk(yan, coordinator, "decision")
    xia = refer(make_referral, "Xia Ready", days_ago=60)
    walk(xia, coordinator, "episode")  # starts 54 days ago; Engagement's minimum is 6 weeks


def test_an_overdue_referral_comes_before_a_fresh_one(page_as, make_referral):
    refer(make_referral, "Abe Fresh", days_ago=5)
    refer(make_referral, "Zed Late", days_ago=30)
    assert table(page_as("coordinator").get("/")) == [
        ("Zed Late", "Assessment overdue by 9 days (target: 21 days from referral)", "30"),
        ("Abe Fresh", "", "5"),
    ]


def test_each_kind_of_attention_in_order_of_urgency(page_as, mixed):
    assert table(page_as("coordinator").get("/", {"view": "team"})) == [
        ("Zed Late", "Assessment overdue by 9 days (target: 21 days from referral)", "30"),
        ("Yan Waiting", "Consent to take part not recorded: needed before a start", "10"),
        ("Xia Ready", "Phase minimum reached: 7 weeks in phase 1 (Engagement), minimum 6; "
         "review whether to move on", "60"),
        ("Abe Fresh", "", "5"),
    ]  # fmt: skip


def test_a_later_overdue_step_is_named_once_the_earlier_is_done(
    page_as, make_referral, coordinator
):
    late = refer(make_referral, "Zed Late", days_ago=50)
    walk(late, coordinator, "recommendation")  # assessed; the decision (target 42 days) is late
    assert table(page_as("coordinator").get("/")) == [(
        "Zed Late",
        "Recommendation to the decision-maker overdue by 8 days (target: 42 days from referral)",
        "50",
    )]  # fmt: skip


def test_a_recorded_consent_to_take_part_clears_the_item(page_as, make_referral, coordinator):
    yan = refer(make_referral, "Yan Waiting", days_ago=10)
    walk(yan, coordinator, "decision")
    consent_to_take_part(yan, coordinator)
    assert table(page_as("coordinator").get("/")) == [("Yan Waiting", "", "10")]


def test_the_consent_item_is_a_legal_fact_read_and_recorded_as_one(page_as, mixed, users):
    assert not AuditEntry.objects.filter(action="read").exists()
    page_as("coordinator").get("/", {"view": "team"})
    [entry] = AuditEntry.objects.filter(user=users["coordinator"], action="read")
    yan = Participant.objects.get(given_name="Yan")
    assert (entry.categories, entry.participant_ids) == (["legal"], [yan.pk])


def test_a_role_that_may_not_read_legal_facts_is_not_told_of_consent(page_as, mixed):
    # The clinician reads the pathway but not legal facts: no consent item, nothing about it.
    shown = table(page_as("clinician").get("/", {"view": "team"}))
    assert [name for name, _, _ in shown] == ["Zed Late", "Xia Ready", "Abe Fresh", "Yan Waiting"]
    assert "Consent" not in " ".join(attention for _, attention, _ in shown)


def test_days_since_referral_are_hidden_once_the_pathway_is_over(
    page_as, make_referral, coordinator
):
    left = refer(make_referral, "Lee Left", days_ago=40)
    referral_transition(left, acting_user=coordinator, to_state="left", reason_code="withdrawn")
    done = refer(make_referral, "Cam Closed", days_ago=100)
    walk(done, coordinator, "episode")
    for step in ("exit", "closed"):
        referral_transition(done, acting_user=coordinator, to_state=step, exit_type="completed",
                            reason="Completed the programme.",
                            override_reason="Completed early, as the court agreed")  # fmt: skip
    refer(make_referral, "Opal Open", days_ago=3)
    rows = table(page_as("coordinator").get("/", {"view": "team"}))
    assert sorted(rows) == [("Cam Closed", "", ""), ("Lee Left", "", ""), ("Opal Open", "", "3")]


def test_a_programme_without_targets_is_never_overdue(page_as, make_referral, programme):
    definition = dict(programme.definition)
    definition.pop("timeliness")
    programme.definition = definition
    programme.save()
    refer(make_referral, "Zed Late", days_ago=300)
    assert table(page_as("coordinator").get("/")) == [("Zed Late", "", "300")]


def test_the_order_is_the_databases_so_it_holds_across_pages(page_as, make_referral, monkeypatch):
    monkeypatch.setattr("turnpoint.web.views.PAGE_SIZE", 2)
    refer(make_referral, "Abe Fresh", days_ago=1)
    refer(make_referral, "Bo Fresh", days_ago=2)
    refer(make_referral, "Zed Late", days_ago=30)
    client = page_as("coordinator")
    assert [r[0] for r in table(client.get("/"))] == ["Zed Late", "Abe Fresh"]
    assert [r[0] for r in table(client.get("/", {"page": 2}))] == ["Bo Fresh"]


def test_query_count_does_not_grow_with_rows_needing_attention(
    page_as, make_referral, coordinator, django_assert_num_queries
):
    def add(n):
        for i in range(n):
            refer(make_referral, f"Late{i:02d} Example", days_ago=30 + i)
            yan = refer(make_referral, f"Wait{i:02d} Example", days_ago=10)
            walk(yan, coordinator, "decision")
            xia = refer(make_referral, f"Ready{i:02d} Example", days_ago=60)
            walk(xia, coordinator, "episode")

    add(1)
    client = page_as("coordinator")
    with CaptureQueriesContext(connection) as few:
        assert len(table(client.get("/"))) == 3
    add(10)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(table(client.get("/"))) == 33
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(table(client.get("/", {"view": "team"}))) == 33
