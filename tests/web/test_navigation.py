"""The header's navigation (turnpoint/web/navigation.py): each role sees links to exactly the
pages it may use, each of them answers 200 for that role, and no page a role may open without an
id in its address is left with no way to reach it."""

import re

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from page_table import build_world
from security import authorisation_matrix as matrix

from turnpoint.accounts.models import Role
from turnpoint.accounts.personas import PERSONAS

SESSIONS = "Your sessions"
STAFF_EVERYWHERE = ["Policy simulator", SESSIONS]
# Those who record attendance keep a calendar and the day's call-in list for testing.
SUPERVISING = ["Calendar", "Call-in list"]
FOLLOW_UPS = "Follow-ups due"  # for the roles that read outcomes
PHASES = "Phase proposals"  # for the roles that read the pathway
CASEWORK = ["My caseload", "New referral", *SUPERVISING, "Releases", FOLLOW_UPS, PHASES,
            *STAFF_EVERYWHERE]  # fmt: skip
# The coordinator and the case manager schedule the judge's dockets.
DOCKETS = ["My caseload", "New referral", *SUPERVISING, "Releases", FOLLOW_UPS, "Dockets",
           PHASES, *STAFF_EVERYWHERE]  # fmt: skip
READING = ["My caseload", PHASES, *STAFF_EVERYWHERE]
EXPECTED = {
    "coordinator": DOCKETS,
    "casemanager": DOCKETS,
    "probation": CASEWORK,
    # The treatment provider also works on the release plans' treatment tasks.
    "clinician": ["My caseload", *SUPERVISING, "Releases", FOLLOW_UPS, PHASES, *STAFF_EVERYWHERE],
    "judge": ["My caseload", "Dockets", PHASES, *STAFF_EVERYWHERE],
    "prosecutor": READING,
    "defence": READING,
    "safeguarding": ["My caseload", "Safeguarding reviews", *STAFF_EVERYWHERE],
    "analyst": ["Programme dashboard", *STAFF_EVERYWHERE],
    "administrator": ["Policy simulator", "Audit log", "Configuration", SESSIONS],
    "participant": [
        "Your record",
        "Who has seen your record",
        "What you have agreed to share",
        "Questions to answer",
        SESSIONS,
    ],
}
# Pages a role may open (the matrix says "ok") with no id in their address, that have no link in
# the header, and why.
NOT_IN_NAVIGATION = {
    "login": "the sign-in page, for those not signed in",
    "portal:set_up": "setting a password, linked from the sign-in page",
    "api-1:openapi-json": "the API's description, for integrations (docs/api.md)",
    "api-1:openapi-view": "the API's description, for integrations (docs/api.md)",
    "portal:disclosures_pdf": "a download, linked from the page it prints",
    "web:response_ratios": "incentives and sanctions by programme, linked from the phase proposals",
}
# Analysts and administrators reach no participant: "/" only explains that they have no caseload.
NO_CASELOAD = {Role.ANALYST, Role.ADMINISTRATOR}
NAV = re.compile(r'<nav aria-label="Menu".*?</nav>', re.S)
LINK = re.compile(r'<a class="govuk-service-navigation__link" href="([^"]+)"[^>]*>([^<]+)</a>')


@pytest.fixture
def world(users, programmes):
    return build_world(users, programmes)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def who(users, world, username):
    return world["portal_user"] if username == "participant" else users[username]


def links(client, path="/account/sessions/") -> list[tuple[str, str]]:
    html = client.get(path).content.decode()
    return [(label.strip(), href) for href, label in LINK.findall(NAV.search(html).group(0))]


def test_each_role_sees_exactly_its_pages_and_each_answers(users, world):
    for username, expected in EXPECTED.items():
        client = signed_in(who(users, world, username))
        shown = links(client)
        assert [label for label, _ in shown] == expected, username
        for label, href in shown:
            assert client.get(href).status_code == 200, f"{username}: {label} ({href})"
        # Sign out is a button in the header, for everyone signed in.
        assert 'action="/sign-out/"' in client.get("/account/sessions/").content.decode()


def _without_an_id(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def test_every_page_a_role_may_open_has_a_link(users, world):
    missing = []
    for role in Role:
        username = (
            "participant"
            if role == Role.PARTICIPANT
            else next(p.username for p in PERSONAS if p.role == role)
        )
        shown = {href for _, href in links(signed_in(who(users, world, username)))}
        missing += [
            f"{role.value}: {name}"
            for name, outcomes in matrix.PAGES.items()
            if outcomes[role.value] == matrix.OK
            and name not in NOT_IN_NAVIGATION
            and not (name == "web:caseload" and role in NO_CASELOAD)
            and _without_an_id(name) is not None
            and _without_an_id(name) not in shown
        ]
    assert missing == []


def test_the_current_page_is_marked_in_the_navigation(users, world):
    html = signed_in(users["coordinator"]).get(f"/participants/{world['participant']}/")
    html = NAV.search(html.content.decode()).group(0)
    # The participant page sits under the caseload: marked active, but not as the page itself.
    assert re.search(r'item--active">\s*<a [^>]*href="/">My caseload', html)
    assert 'aria-current="page"' not in html
    html = NAV.search(signed_in(users["analyst"]).get("/simulator/").content.decode()).group(0)
    assert re.search(r'href="/simulator/" aria-current="page">Policy simulator', html)


def test_pages_about_one_participant_are_linked_from_the_participant_page(users, world):
    """Who has seen the record, the court orders and a report to the court have an id in their
    address: the participant page links them for the roles that use them."""
    pk, drr = world["participant"], world["drr_participant"]
    page = signed_in(users["coordinator"]).get(f"/participants/{pk}/").content.decode()
    assert f'href="/participants/{pk}/disclosures/"' in page
    assert f'href="/participants/{pk}/court-orders/"' in page
    page = signed_in(users["probation"]).get(f"/participants/{drr}/").content.decode()
    assert re.search(r'href="/referrals/\d+/statutory-reports/drr-review-report/"', page)
