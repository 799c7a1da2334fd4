"""A coordinator signs in, records a referral, walks it to an active episode through the pathway
forms and sees every step on the timeline, in a real headless Chromium (issue 2, item 9).

Runs against Debian's chromium through Playwright. Without chromium the test is skipped, unless
TURNPOINT_REQUIRE_BROWSER=1 (CI sets it), where a missing browser is a failure.
"""

import re
import time
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from turnpoint.accounts import totp
from turnpoint.accounts.models import TotpDevice
from turnpoint.accounts.personas import PERSONAS, persona_user
from turnpoint.programmes.loader import programme_load_files
from turnpoint.programmes.models import Programme

pytestmark = pytest.mark.browser

PASSWORD = "browser-test-password-1"
STEPS = [  # (button, field to fill) in the order staff record them
    ("Start screening", None),
    ("Check eligibility", None),
    ("Start the assessment", None),
    ("Record the assessment as done", None),
    ("Record the recommendation", ("recommended_disposal", "programme")),
    ("Start on the programme", None),
]

# Basic accessibility checks that need nothing downloaded: a language, one h1, a label for every
# visible form control, alt text on images, unique ids, and an error summary that is focusable.
A11Y_CHECKS = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push("html has no lang attribute");
  const h1s = document.querySelectorAll("h1").length;
  if (h1s !== 1) problems.push(`${h1s} h1 elements`);
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden") continue;
    const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`))
      || el.closest("label") || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!labelled) problems.push(`unlabelled ${el.tagName.toLowerCase()} ${el.name}`);
  }
  for (const img of document.querySelectorAll("img:not([alt])")) problems.push(`img ${img.src}`);
  const ids = [...document.querySelectorAll("[id]")].map((e) => e.id);
  for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i))) {
    problems.push(`duplicate id ${id}`);
  }
  for (const a of document.querySelectorAll("a")) {
    if (!a.textContent.trim() && !a.getAttribute("aria-label")) problems.push(`empty ${a.href}`);
  }
  return problems;
}"""


@pytest.fixture
def coordinator(transactional_db):
    programme_load_files([Path(settings.TURNPOINT_PROGRAMMES_DIR) / "ghent-dtc.yaml"])
    programme = Programme.objects.get(slug="ghent-dtc")
    persona = next(p for p in PERSONAS if p.username == "coordinator")
    return persona_user(persona, programmes=[programme], password=PASSWORD)


def check_accessibility(page):
    assert page.evaluate(A11Y_CHECKS) == [], page.url


def current_code(username: str) -> str:
    """The code the user's authenticator app shows now, from the secret set-up created; if that
    code was used already (a code works once), the next one, as a person would wait for it."""
    device = TotpDevice.objects.get(user__username=username)
    while (
        device.last_used_step is not None and totp.time_step(time.time()) <= device.last_used_step
    ):
        time.sleep(1)
    return totp.totp(totp.secret_bytes(device.secret), at=time.time())


def sign_in(page, username: str) -> None:
    """Sign in through the real forms: the password, then set up the authenticator app (first
    sign-in) or enter its security code (security.md SEC-25)."""
    from playwright.sync_api import expect

    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(
        re.compile("Set up your authenticator app|Enter your security code")
    )
    check_accessibility(page)
    if heading.inner_text() == "Set up your authenticator app":
        secret = TotpDevice.objects.get(user__username=username).secret
        expect(page.locator(".tp-qr-code svg")).to_be_visible()
        page.get_by_text("I cannot scan the QR code").click()
        expect(page.locator("#totp-secret")).to_have_text(totp.secret_grouped(secret))
        page.get_by_label("Security code").fill(current_code(username))
        page.get_by_role("button", name="Continue").click()
        expect(
            page.get_by_role("heading", level=2, name="Save your recovery codes")
        ).to_be_visible()
        expect(page.locator(".tp-recovery-codes li")).to_have_count(10)
        check_accessibility(page)
        page.get_by_role("link", name="I have saved my recovery codes").click()
    else:
        page.get_by_label("Security code").fill(current_code(username))
        page.get_by_role("button", name="Continue").click()


def record_consent_to_take_part(page):
    """The informed consent an episode needs first (R12), recorded on its own page."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="Record consent to take part").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record consent to take part")
    check_accessibility(page)
    page.get_by_label("Other options explained to the participant").fill(
        "A community order without treatment, or a short prison sentence."
    )
    page.get_by_label("Chosen under legal pressure").check()
    page.get_by_label("Longest the programme can last, in weeks").fill("30")
    page.get_by_label("Weeks of custody the programme replaces").fill("30")
    page.get_by_label("What happens if the participant does not finish").fill(
        "The case goes back to the court."
    )
    page.get_by_label("The participant was told they can withdraw").check()
    page.get_by_label("Signed by").fill("Robin Example")
    page.get_by_role("button", name="Record consent to take part").click()
    expect(page.get_by_text("Consent to take part recorded for Robin Example.")).to_be_visible()
    expect(page.get_by_role("link", name="Download the consent form (PDF)")).to_be_visible()


def test_coordinator_takes_a_referral_to_an_active_episode(browser_page, live_server, coordinator):
    from playwright.sync_api import expect

    page = browser_page
    today = date.today()

    # Sign in; the caseload is where staff land.
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/sign-in/?next=/")
    check_accessibility(page)
    sign_in(page, "coordinator")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    check_accessibility(page)

    # Referral intake.
    page.get_by_role("button", name="New referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New referral")
    check_accessibility(page)
    page.get_by_label("Given name").fill("Robin")
    page.get_by_label("Family name").fill("Example")
    birth = page.get_by_role("group", name="Date of birth")
    birth.get_by_label("Day").fill("17")
    birth.get_by_label("Month").fill("5")
    birth.get_by_label("Year").fill("1990")
    page.get_by_label("Female").check()
    page.get_by_label("Who made the referral").select_option("police")
    page.get_by_label("Offence category").select_option("acquisitive")
    page.get_by_label("Economic-compulsive").check()
    offence = page.get_by_role("group", name="Offence date")
    offence.get_by_label("Day").fill("1")
    offence.get_by_label("Month").fill("1")
    offence.get_by_label("Year").fill(str(today.year - 1))
    page.get_by_label("Summary").fill("Took bread from a shop.")
    page.get_by_role("button", name="Record the referral").click()
    expect(page.get_by_text("Referral received for Robin Example")).to_be_visible()
    check_accessibility(page)

    # Walk the referral along the pathway, one form per step.
    for title, fill in STEPS:
        if title == "Start on the programme":
            record_consent_to_take_part(page)
        form = page.locator("form", has=page.get_by_role("button", name=title, exact=True))
        if fill:
            form.locator(f"select[name={fill[0]}]").select_option(fill[1])
        form.get_by_role("button", name=title, exact=True).click()
        expect(page.get_by_text(f"{title}: recorded for Robin Example.")).to_be_visible()

    expect(page.locator(".govuk-tag", has_text="On programme")).to_be_visible()
    titles = page.locator(".moj-timeline__title").all_inner_texts()
    assert titles == [
        "Started on the programme",
        "Moved to decision",
        "Moved to recommendation",
        "Moved to assessment",
        "Moved to eligibility",
        "Moved to screening",
        "Referral received",
    ]
    expect(page.locator(".moj-timeline").first).to_contain_text("by Cara Okafor")
    check_accessibility(page)

    # Back on the caseload, the search narrows the list in place (htmx); the name typed never
    # reaches the URL or the history (SEC-30).
    page.get_by_role("link", name="Back to my caseload").click()
    page.get_by_label("Name or reference").fill("robin")
    expect(page.locator("#caseload-results")).to_contain_text("1 participant matches your search")
    expect(page.locator("#caseload-results tbody tr")).to_have_count(1)
    # The MoJ sortable table is started again inside the swapped-in results.
    expect(page.locator("#caseload-results th button").first).to_be_visible()
    page.get_by_label("Name or reference").fill("nobody")
    expect(page.locator("#caseload-results")).to_contain_text("0 participants match")
    assert "nobody" not in page.url and "robin" not in page.url
    page.reload()  # the search is kept for the session, not in the URL
    expect(page.get_by_label("Name or reference")).to_have_value("nobody")
    expect(page.locator("#caseload-results")).to_contain_text("0 participants match")
    page.get_by_role("button", name="Clear search and filters").click()
    expect(page.get_by_label("Name or reference")).to_have_value("")
    expect(page.locator("#caseload-results tbody tr")).to_have_count(1)
    assert page.url == f"{live_server.url}/"

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    # Signing in again asks for a code from the app set up above (no second set-up).
    sign_in(page, "coordinator")
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    assert page.js_errors == []

    from turnpoint.journeys.models import Episode

    try:
        episode = Episode.objects.select_related("referral").get()
    finally:
        # While Playwright's loop runs, the ORM opens a connection of its own for this context;
        # close it, or PostgreSQL cannot drop the test database afterwards.
        connections.close_all()
    assert episode.referral.state == "episode"
    assert episode.is_active and episode.phase_number == 1
