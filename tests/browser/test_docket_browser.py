"""The coordinator schedules a docket by rule and prepares a progress report; the judge opens
their docket, records the minutes and the decision, and sees the time with the judge, in a real
headless Chromium (docs/supervision.md, "Reviews").

Runs against Debian's chromium through Playwright. Without chromium the test is skipped, unless
TURNPOINT_REQUIRE_BROWSER=1 (CI sets it), where a missing browser is a failure.
"""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from supervision_helpers import on_episode

from turnpoint.accounts.personas import PERSONAS, persona_user
from turnpoint.journeys.models import Episode
from turnpoint.journeys.services import referral_create
from turnpoint.people.services import participant_create
from turnpoint.programmes.loader import programme_load_files
from turnpoint.programmes.models import Programme
from turnpoint.supervision.models import ReviewHearing

from .test_referral_to_episode_browser import PASSWORD, check_accessibility, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def team(transactional_db):
    """Robin on the Ghent court (reviews by rule, twice a month in phase 1), 20 days in, and the
    coordinator and the judge of its team."""
    programme_load_files([Path(settings.TURNPOINT_PROGRAMMES_DIR) / "ghent-dtc.yaml"])
    programme = Programme.objects.get(slug="ghent-dtc")
    users = {
        p.username: persona_user(p, programmes=[programme], password=PASSWORD)
        for p in PERSONAS if p.username in ("coordinator", "judge")
    }  # fmt: skip
    coordinator = users["coordinator"]
    person = participant_create(acting_user=coordinator, given_name="Robin",
                                family_name="Example", date_of_birth=date(1990, 5, 17))  # fmt: skip
    referral = referral_create(
        acting_user=coordinator, participant=person, programme=programme, source="police",
        offence_category="acquisitive", drug_related_type="economic_compulsive",
        offence_date=date.today() - timedelta(days=90),
        referral_date=date.today() - timedelta(days=80),
    )  # fmt: skip
    on_episode(referral, coordinator)
    Episode.objects.filter(referral=referral).update(started_on=date.today() - timedelta(days=20))
    return users


def test_the_coordinator_schedules_a_docket_and_the_judge_records_the_hearing(
    browser_page, live_server, team
):
    from playwright.sync_api import expect

    page = browser_page
    judge = team["judge"]
    page.goto(f"{live_server.url}/dockets/?judge={judge.pk}")
    sign_in(page, "coordinator")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Docket for")
    check_accessibility(page)
    page.get_by_label("Court or place", exact=True).fill("Court 3")
    page.get_by_role("button", name="Schedule the docket").click()
    expect(page.get_by_text("1 hearing scheduled by rule")).to_be_visible()
    expect(page.locator("#docket")).to_contain_text("Robin Example")
    page.get_by_role("button", name="Prepare a progress report for Robin Example").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Progress report for the review hearing"
    )
    expect(page.locator("#section-attendance")).to_contain_text("No appointments in the period")
    expect(page.locator("#section-drug_tests")).to_contain_text("Not shared with the court")
    check_accessibility(page)

    # The judge, on their own docket.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/dockets/")
    sign_in(page, "judge")
    expect(page.locator("#docket")).to_contain_text("Robin Example")
    expect(page.locator("#docket")).to_contain_text("Attendance: No appointments in the period.")
    expect(page.get_by_role("button", name="Schedule the docket")).to_have_count(0)
    check_accessibility(page)
    page.get_by_role("link", name="Record the hearing of Robin Example").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record the review hearing")
    check_accessibility(page)
    page.get_by_label("Held: the participant was before the judge").check()
    page.get_by_label("Minutes with the judge").fill("3.5")
    page.get_by_label("Incentive").check()
    page.get_by_label("The decision in words").fill("Praised for three weeks of attendance.")
    page.get_by_role("button", name="Save the hearing").click()
    expect(page.get_by_text("The hearing of Robin Example is recorded as held.")).to_be_visible()
    expect(page.locator("#time-with-judge")).to_contain_text(
        "On average 3.5 minutes with the judge for each participant present"
    )
    expect(page.locator("#docket")).to_contain_text("Incentive: Praised for three weeks")
    hearing = ReviewHearing.objects.get()
    assert (hearing.status, str(hearing.minutes_with_judge), hearing.outcome) == (
        "held",
        "3.5",
        "incentive",
    )
    assert hearing.decided_by == judge
    assert page.js_errors == []
