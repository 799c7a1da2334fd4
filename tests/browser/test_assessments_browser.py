"""A coordinator gives BARC-10 twice through the assessment pages and sees the recovery-capital
chart on the participant page gain a point and show the change, in a real headless Chromium
(docs/assessments.md, "The profile").

Runs against Debian's chromium through Playwright. Without chromium the test is skipped, unless
TURNPOINT_REQUIRE_BROWSER=1 (CI sets it), where a missing browser is a failure.
"""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings

from turnpoint.accounts.personas import PERSONAS, persona_user
from turnpoint.journeys.services import referral_create
from turnpoint.people.services import participant_create
from turnpoint.programmes.loader import programme_load_files
from turnpoint.programmes.models import Programme

from .test_referral_to_episode_browser import PASSWORD, check_accessibility, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def robin(transactional_db):
    programme_load_files([Path(settings.TURNPOINT_PROGRAMMES_DIR) / "ghent-dtc.yaml"])
    programme = Programme.objects.get(slug="ghent-dtc")
    persona = next(p for p in PERSONAS if p.username == "coordinator")
    coordinator = persona_user(persona, programmes=[programme], password=PASSWORD)
    person = participant_create(acting_user=coordinator, given_name="Robin",
                                family_name="Example", date_of_birth=date(1990, 5, 17))  # fmt: skip
    referral_create(
        acting_user=coordinator, participant=person, programme=programme, source="police",
        offence_category="acquisitive", drug_related_type="economic_compulsive",
        offence_date=date.today() - timedelta(days=90),
        referral_date=date.today() - timedelta(days=80),
    )  # fmt: skip
    return person


def give_barc(page, *, on: date, setting: str, answer: int) -> None:
    from playwright.sync_api import expect

    page.locator("#profile").get_by_role("link", name="Give an instrument").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Give an instrument")
    check_accessibility(page)
    page.get_by_label("Brief Assessment of Recovery Capital").check()
    page.get_by_role("group", name="When in the programme").get_by_label(setting).check()
    given = page.get_by_role("group", name="Date given")
    given.get_by_label("Day").fill(str(on.day))
    given.get_by_label("Month").fill(str(on.month))
    given.get_by_label("Year").fill(str(on.year))
    page.get_by_role("button", name="Start").click()
    expect(page.locator("input[name=item-barc_1]").first).to_be_visible()
    check_accessibility(page)
    # Half now, "save and come back later", then the rest.
    for n in range(1, 6):
        page.locator(f"input[name=item-barc_{n}][value='{answer}']").check()
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.get_by_text("Answers saved. You can come back and finish later.")).to_be_visible()
    expect(page.locator(f"input[name=item-barc_1][value='{answer}']")).to_be_checked()
    for n in range(6, 11):
        page.locator(f"input[name=item-barc_{n}][value='{answer}']").check()
    page.get_by_role("button", name="Finish and score").click()
    expect(page.locator("#scale-total")).to_contain_text(str(answer * 10))
    check_accessibility(page)


def test_giving_barc_10_twice_adds_a_point_to_the_recovery_capital_chart(
    browser_page, live_server, robin
):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{live_server.url}/participants/{robin.pk}/")
    sign_in(page, "coordinator")
    expect(page.locator("#profile-empty")).to_be_visible()

    give_barc(page, on=date.today() - timedelta(days=30), setting="Intake", answer=3)
    page.goto(f"{live_server.url}/participants/{robin.pk}/")
    chart = page.locator("#chart-capital")
    expect(chart).to_be_visible()
    expect(chart.locator("circle")).to_have_count(1)
    expect(page.locator("#profile-capital")).to_contain_text("30")
    check_accessibility(page)

    give_barc(page, on=date.today(), setting="Review", answer=5)
    page.goto(f"{live_server.url}/participants/{robin.pk}/")
    expect(chart.locator("circle")).to_have_count(2)
    expect(page.locator("#profile-capital")).to_contain_text("up 20 since the first")
    # The same numbers in the hidden table, for screen readers.
    rows = page.locator("#chart-capital-data tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("50")
    assert page.js_errors == []
