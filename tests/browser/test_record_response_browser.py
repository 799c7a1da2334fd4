"""A probation officer records responses to a participant's behaviour through the response
pages in a real headless Chromium (docs/supervision.md, "Recording a response"): a positive test
early in the programme proposes a service adjustment first, and the ratio of incentives to
sanctions follows what is recorded.

Runs against Debian's chromium through Playwright. Without chromium the test is skipped, unless
TURNPOINT_REQUIRE_BROWSER=1 (CI sets it), where a missing browser is a failure.
"""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from supervision_helpers import on_episode

from turnpoint.accounts.personas import PERSONAS, persona_user
from turnpoint.journeys.models import Episode, Transition
from turnpoint.journeys.services import referral_create
from turnpoint.people.services import participant_create
from turnpoint.programmes.loader import programme_load_files
from turnpoint.programmes.models import Programme
from turnpoint.supervision.models import Response
from turnpoint.supervision.services import drug_test_record

from .test_referral_to_episode_browser import PASSWORD, check_accessibility, sign_in

pytestmark = pytest.mark.browser
STARTED_DAYS_AGO = 20


@pytest.fixture
def robin(transactional_db):
    """Robin on the Scottish DTTO for 20 days, with a positive test collected three days ago."""
    programme_load_files([Path(settings.TURNPOINT_PROGRAMMES_DIR) / "scotland-dtto.yaml"])
    programme = Programme.objects.get(slug="scotland-dtto")
    users = {
        p.username: persona_user(p, programmes=[programme], password=PASSWORD)
        for p in PERSONAS
        if p.username in ("coordinator", "probation")
    }
    person = participant_create(
        acting_user=users["coordinator"],
        given_name="Robin",
        family_name="Example",
        date_of_birth=date(1990, 5, 17),
    )
    referral = referral_create(
        acting_user=users["coordinator"],
        participant=person,
        programme=programme,
        source="court",
        offence_category="acquisitive",
        drug_related_type="economic_compulsive",
        offence_date=date.today() - timedelta(days=90),
        referral_date=date.today() - timedelta(days=80),
    )
    on_episode(referral, users["coordinator"])
    began = date.today() - timedelta(days=STARTED_DAYS_AGO)
    Episode.objects.filter(referral=referral).update(started_on=began)
    Transition.objects.filter(referral=referral, to_state="episode").update(occurred_on=began)
    drug_test_record(
        acting_user=users["probation"],
        referral=referral,
        collected_at=timezone.now() - timedelta(days=3),
        specimen="urine",
        purpose="forensic",
        results_received_at=timezone.now() - timedelta(days=2),
        results=[{"substance": "opiates", "result": "positive"}],
    )
    return person


def record(page, *, behaviour: str, on: date, choose_first_of: str) -> str:
    """Ask for the options of `behaviour` on `on` and record the first of kind `choose_first_of`;
    returns the labels of the options in the order shown."""
    from playwright.sync_api import expect

    page.locator("#record-response").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a response")
    page.get_by_label("Behaviour").select_option(label=behaviour)
    when = page.get_by_role("group", name="When it happened")
    when.get_by_label("Day").fill(str(on.day))
    when.get_by_label("Month").fill(str(on.month))
    when.get_by_label("Year").fill(str(on.year))
    page.get_by_role("button", name="Show the responses on offer").click()
    options = page.locator("#option-form input[name=option]")
    expect(options.first).to_be_visible()
    check_accessibility(page)
    labels = [
        page.locator(f"label[for='{options.nth(i).get_attribute('id')}']").inner_text()
        for i in range(options.count())
    ]
    index = next(i for i, label in enumerate(labels) if label.startswith(choose_first_of))
    options.nth(index).check()
    page.get_by_role("button", name="Record the response").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Responses and phases")
    return labels


def test_an_early_positive_test_proposes_a_service_adjustment_first_and_the_ratio_follows(
    browser_page, live_server, robin
):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{live_server.url}/participants/{robin.pk}/responses/")
    sign_in(page, "probation")
    expect(page.get_by_role("heading", level=1)).to_have_text("Responses and phases")
    expect(page.locator("#ratio-value")).to_contain_text("Nothing recorded yet")

    # A positive test three days ago, 17 days into the programme: early substance use.
    page.locator("#record-response").click()
    page.get_by_label("Behaviour").select_option(label="Positive test result")
    tested = date.today() - timedelta(days=3)
    when = page.get_by_role("group", name="When it happened")
    when.get_by_label("Day").fill(str(tested.day))
    when.get_by_label("Month").fill(str(tested.month))
    when.get_by_label("Year").fill(str(tested.year))
    page.get_by_role("button", name="Show the responses on offer").click()
    expect(page.locator("#early-substance-use")).to_contain_text("service adjustment first")
    first_label = page.locator("#option-form label").first
    expect(first_label).to_contain_text("Service adjustment")
    check_accessibility(page)
    page.locator("#option-form input[name=option]").first.check()
    page.get_by_role("button", name="Record the response").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Responses and phases")
    expect(page.locator("#ratio-adjustments")).to_contain_text("1")
    expect(page.locator("#ratio-sanctions")).to_have_text("0")
    expect(page.locator("#responses")).to_contain_text("Positive test result")
    saved = Response.objects.get()
    assert saved.kind == "service_adjustment" and saved.days_between == 3

    # An incentive, then a sanction: the ratio follows.
    labels = record(
        page,
        behaviour="Attended every appointment in the period",
        on=date.today(),
        choose_first_of="Incentive",
    )
    assert all(label.startswith("Incentive") for label in labels)
    expect(page.locator("#ratio-incentives")).to_have_text("1")
    expect(page.locator("#ratio-value")).to_contain_text("No sanction given")
    expect(page.locator("#ratio-value")).to_contain_text("Meets the target")
    record(
        page,
        behaviour="Missed an appointment without a reason given",
        on=date.today(),
        choose_first_of="Sanction",
    )
    expect(page.locator("#ratio-sanctions")).to_have_text("1")
    expect(page.locator("#ratio-value")).to_contain_text("1.0")
    expect(page.locator("#ratio-value")).to_contain_text("Below the target")
    assert not page.js_errors
