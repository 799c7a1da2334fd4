"""SEC-03 same answer on every path: for random roles, team memberships and programme filters,
the caseload page, the API list and the policy function return the same participants."""

import re
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from turnpoint.accounts.models import STAFF_ROLES
from turnpoint.journeys.services import referral_create
from turnpoint.people.services import participant_create
from turnpoint.sharing.reach import participants_visible_to

from .conftest import ROLE_USERNAME

LINK = re.compile(r'href="/participants/(\d+)/"')


@pytest.fixture
def caseloads(programmes, users, other_programme):
    """Six participants over three programmes; one is referred to two of them."""
    teams = [programmes["ghent-dtc"], other_programme, programmes["england-drr"]]
    coordinator = users["coordinator"]
    coordinator.programmes.set(teams)
    today = date.today()
    for i, team in enumerate([0, 0, 1, 1, 2, 2]):
        person = participant_create(
            acting_user=coordinator,
            given_name=f"Person{i}",
            family_name="Sample",
            date_of_birth=date(1980, 1, 1 + i),
        )
        for t in [team, 2] if i == 0 else [team]:
            referral_create(
                acting_user=coordinator,
                participant=person,
                programme=teams[t],
                source="police",
                offence_category="acquisitive",
                drug_related_type="economic_compulsive",
                offence_date=today - timedelta(days=90),
                referral_date=today - timedelta(days=60),
            )
    return teams


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    role=st.sampled_from(STAFF_ROLES),  # a participant has the portal, not a caseload
    teams=st.sets(st.integers(0, 2)),
    filtered=st.one_of(st.none(), st.integers(0, 2)),
)
# A filter is applied only when it names one of the user's programmes: for any other, the page
# ignores it (its select offers only the user's) and the API refuses it with 400, since applying
# it would tell which participants are also referred to another team's programme.
def test_sec_03_caseload_page_api_list_and_policy_agree(
    caseloads, users, as_, role, teams, filtered
):
    user = users[ROLE_USERNAME[role]]
    user.programmes.set([caseloads[t] for t in teams])
    expected = participants_visible_to(user)
    # The team's caseload: everyone the user reaches (their own caseload is narrower).
    page_params, api_params = {"view": "team"}, {"limit": 100}
    if filtered is not None and filtered in teams:
        expected = expected.filter(referrals__programme=caseloads[filtered])
        page_params["programme"] = caseloads[filtered].pk
        api_params["programme"] = caseloads[filtered].slug
    expected = set(expected.values_list("pk", flat=True))

    page = as_.page(user).get("/", page_params)
    assert page.status_code == 200
    on_page = {int(pk) for pk in LINK.findall(page.content.decode())}
    listed = as_.api(user).get("/api/participants", api_params)
    assert listed.status_code == 200, listed.content
    in_api = {p["id"] for p in listed.json()["items"]}
    assert on_page == in_api == expected
    if filtered is not None and filtered not in teams:
        other = as_.api(user).get("/api/participants", {"programme": caseloads[filtered].slug})
        assert other.status_code == 400
