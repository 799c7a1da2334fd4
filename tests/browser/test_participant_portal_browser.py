"""A participant sets up their password with the code from their case manager, signs in, sees who
has seen their record and withdraws a consent to share, in a real headless Chromium, each page
checked for accessibility and for script errors (docs/portal.md)."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from test_share_consent import consent_values

from turnpoint.accounts.personas import PERSONAS, persona_user
from turnpoint.journeys.services import referral_create
from turnpoint.people.services import participant_create
from turnpoint.portal.services import portal_setup_code_issue
from turnpoint.programmes.loader import programme_load_files
from turnpoint.programmes.models import Programme
from turnpoint.sharing.categories import Category
from turnpoint.sharing.consents import ShareConsent, share_consent_create
from turnpoint.sharing.record import read_recorded

from .test_referral_to_episode_browser import PASSWORD, check_accessibility, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db):
    """Robin on the Ghent team's caseload, a consent to share with the court, one read of it by
    the judge, and a set-up code the case manager has just issued."""
    programme_load_files([Path(settings.TURNPOINT_PROGRAMMES_DIR) / "ghent-dtc.yaml"])
    programme = Programme.objects.get(slug="ghent-dtc")
    staff = {
        p.username: persona_user(p, programmes=[programme])
        for p in PERSONAS
        if p.username in ("coordinator", "clinician", "judge")
    }
    robin = participant_create(
        acting_user=staff["coordinator"],
        given_name="Robin",
        family_name="Example",
        date_of_birth=date(1990, 5, 17),
    )
    referral_create(
        acting_user=staff["coordinator"], participant=robin, programme=programme,
        source="police", offence_category="acquisitive",
        drug_related_type="economic_compulsive",
        offence_date=date.today() - timedelta(days=40),
        referral_date=date.today() - timedelta(days=30),
    )  # fmt: skip
    consent = share_consent_create(
        acting_user=staff["clinician"],
        **consent_values(robin, staff, categories=[Category.TREATMENT_PROGRESS]),
    )
    read_recorded(staff["judge"], participants=[robin], categories=[Category.IDENTITY], obj=robin)
    _, code = portal_setup_code_issue(acting_user=staff["coordinator"], participant=robin)
    return {"robin": robin, "consent": consent, "code": code}


def test_a_participant_sees_who_has_seen_their_record_and_withdraws_a_consent(
    browser_page, live_server, world
):
    from playwright.sync_api import expect

    page, robin = browser_page, world["robin"]
    page.goto(f"{live_server.url}/sign-in/")
    check_accessibility(page)
    page.get_by_role("link", name="Set up your password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your password")
    check_accessibility(page)

    # A mistyped code: the error names the field, and the page still passes its checks.
    page.get_by_label("Your reference").fill(robin.reference.lower())
    page.get_by_label("Set-up code").fill("abcd-efgh-jkmn")
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("set-up code is not right")
    check_accessibility(page)
    # The refused form is answered 400, which the browser's console reports; nothing else.
    assert [e for e in page.js_errors if "status of 400" not in e] == []
    page.js_errors.clear()

    page.get_by_label("Set-up code").fill(world["code"])
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_text("Your password is set.")).to_be_visible()

    sign_in(page, robin.reference)
    expect(page).to_have_url(f"{live_server.url}/portal/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your record")
    check_accessibility(page)

    page.get_by_role("main").get_by_role("link", name="Who has seen your record").click()
    expect(page.locator("#disclosures")).to_contain_text("Ruth Adeyemi")
    check_accessibility(page)
    page.get_by_role("link", name="Back to your record").click()

    page.get_by_role("main").get_by_role("link", name="What you have agreed to share").click()
    expect(page.locator("#share-consents")).to_contain_text("In use")
    check_accessibility(page)
    page.get_by_role("link", name="Withdraw").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw your consent")
    check_accessibility(page)
    page.get_by_role("button", name="Withdraw this consent").click()
    expect(page.get_by_text("Your consent is withdrawn.")).to_be_visible()
    expect(page.locator("#share-consents")).to_contain_text("Withdrawn")
    assert ShareConsent.objects.get(pk=world["consent"].pk).revoked_at is not None

    # The staff service is not theirs: its address brings them back to the portal.
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/portal/")
    assert page.js_errors == []
