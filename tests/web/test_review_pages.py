"""The review pages: the docket (the judge's own, the coordinator's choice of judge, scheduling
by rule), recording a hearing and the progress report (turnpoint/web/review_views.py)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from supervision_helpers import on_episode

from turnpoint.journeys.models import Episode
from turnpoint.sharing.models import AuditEntry
from turnpoint.supervision.models import ProgressReport, ReviewHearing

TODAY = date.today()


@pytest.fixture
def ghent(make_referral, coordinator):
    """Gert, on the Ghent court (reviews by rule, twice a month in phase 1), 20 days in."""
    referral = on_episode(make_referral(given_name="Gert", family_name="Claes"), coordinator)
    Episode.objects.filter(referral=referral).update(started_on=TODAY - timedelta(days=20))
    return referral


def test_the_coordinator_schedules_and_the_judge_records(page_as, ghent, users):
    judge = users["judge"]
    url = reverse("web:docket") + f"?day={TODAY:%Y-%m-%d}&judge={judge.pk}"
    coordinator = page_as("coordinator")
    refused = coordinator.post(url, {"place": ""})
    assert refused.status_code == 400 and ReviewHearing.objects.count() == 0
    assert 'href="#id_place"' in refused.content.decode()  # the error links to its field
    done = coordinator.post(url, {"place": "Court 3"}, follow=True)
    assert "1 hearing scheduled by rule" in done.content.decode()
    hearing = ReviewHearing.objects.get()
    coordinator.post(reverse("web:progress_report_new", args=[hearing.pk]))
    report = ProgressReport.objects.get()

    client = page_as("judge")
    page = client.get(reverse("web:docket")).content.decode()
    assert "Gert Claes" in page and "Attendance: No appointments in the period." in page
    assert "Drug and alcohol test results: Not shared with the court" in page
    assert "No hearing on this docket has been recorded as held yet." in page
    form = reverse("web:review_hearing", args=[hearing.pk])
    held = client.post(form, {"status": "held", "minutes_with_judge": "2.5",
                              "outcome": "continue", "decision": "Keep going.",
                              "version": "1"}, follow=True)  # fmt: skip
    assert "recorded as held" in held.content.decode()
    hearing.refresh_from_db()
    assert hearing.minutes_with_judge == 2.5 and hearing.decided_by == judge
    page = client.get(reverse("web:docket")).content.decode()
    assert "On average 2.5 minutes with the judge" in page and "Below the standard" in page

    printed = client.get(reverse("web:progress_report", args=[report.pk])).content.decode()
    assert "Progress report for the review hearing" in printed
    assert "Not shared with the court" in printed
    assert AuditEntry.objects.filter(action="export", object_type="progressreport").exists()


def test_only_the_judge_s_own_docket_and_no_scheduling_by_the_judge(page_as, ghent, users):
    client = page_as("judge")
    assert client.post(reverse("web:docket"), {"place": "Court 3"}).status_code == 403
    assert page_as("clinician").get(reverse("web:docket")).status_code == 403


def test_a_hearing_at_the_court_s_request(page_as, ghent, users):
    judge = users["judge"]
    url = reverse("web:docket") + f"?day={TODAY:%Y-%m-%d}&judge={judge.pk}"
    client = page_as("casemanager")
    page = client.get(url).content.decode()
    assert "Gert Claes, " in page and "Schedule the hearing" in page
    refused = client.post(url, {"action": "request", "request-referral": "",
                                "request-place": "Court 2"})  # fmt: skip
    assert refused.status_code == 400 and 'href="#id_request-referral"' in refused.content.decode()
    done = client.post(url, {"action": "request", "request-referral": str(ghent.pk),
                             "request-place": "Court 2"}, follow=True)  # fmt: skip
    assert "A hearing of Gert Claes is on the docket." in done.content.decode()
    hearing = ReviewHearing.objects.get()
    assert (hearing.how_scheduled, hearing.place, hearing.judge) == ("request", "Court 2", judge)
