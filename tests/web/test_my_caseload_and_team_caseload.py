"""'My caseload' is the people assigned to me; the team's caseload is one click away."""

import re

import pytest

from turnpoint.journeys.assignment import episode_assign
from turnpoint.journeys.models import Episode
from turnpoint.journeys.services import referral_transition

from .helpers import text, walk


def rows(response) -> list[str]:
    return re.findall(
        r'<a class="govuk-link" href="/participants/\d+/">([^<]+)</a>', text(response)
    )


@pytest.fixture
def caseloads(make_referral, users):
    """Ana: referred by the coordinator, not yet started. Ben: referred by the case manager.
    Cy: on the programme, the clinician key worker, the case manager assigned. Di: on the
    programme, nobody assigned yet. Ed: exited, the clinician was key worker."""
    coordinator = users["coordinator"]
    make_referral(given_name="Ana", family_name="Alpha")
    make_referral(given_name="Ben", family_name="Beta", by=users["casemanager"])
    cy = make_referral(given_name="Cy", family_name="Gamma")
    walk(cy, coordinator, "episode")
    episode_assign(Episode.objects.get(referral=cy), acting_user=coordinator,
                   key_worker=users["clinician"], case_manager=users["casemanager"])  # fmt: skip
    di = make_referral(given_name="Di", family_name="Delta")
    walk(di, coordinator, "episode")
    ed = make_referral(given_name="Ed", family_name="Epsilon")
    walk(ed, coordinator, "episode")
    episode_assign(Episode.objects.get(referral=ed), acting_user=coordinator,
                   key_worker=users["clinician"], case_manager=None)  # fmt: skip
    referral_transition(ed, acting_user=coordinator, to_state="exit", exit_type="completed",
                        reason="Completed the programme.",
                        override_reason="Completed early, as the court agreed")  # fmt: skip


def names(response) -> set[str]:
    return set(rows(response))


def test_my_caseload_is_the_default_and_shows_the_people_assigned_to_me(page_as, caseloads):
    response = page_as("clinician").get("/")
    html = text(response)
    assert '<h1 class="govuk-heading-l">My caseload</h1>' in html
    assert names(response) == {"Cy Gamma"}  # key worker of Cy; Ed has left the programme
    assert names(page_as("casemanager").get("/")) == {"Cy Gamma", "Ben Beta"}


def test_until_someone_is_assigned_the_referral_stays_with_whoever_recorded_it(page_as, caseloads):
    # Ana (not yet started) and Di (started, nobody assigned); Cy is assigned to others.
    assert names(page_as("coordinator").get("/")) == {"Ana Alpha", "Di Delta"}


def test_the_team_caseload_is_one_click_away_and_shows_everyone_the_team_reaches(
    page_as, caseloads
):
    client = page_as("clinician")
    mine = text(client.get("/"))
    assert '<a class="moj-sub-navigation__link" href="/?view=team">Team caseload</a>' in mine
    assert 'href="/" aria-current="page">My caseload</a>' in mine
    team = client.get("/", {"view": "team"})
    assert '<h1 class="govuk-heading-l">Team caseload</h1>' in text(team)
    assert 'href="/?view=team" aria-current="page">Team caseload</a>' in text(team)
    assert names(team) == {"Ana Alpha", "Ben Beta", "Cy Gamma", "Di Delta", "Ed Epsilon"}


def test_the_team_view_keeps_its_filters_and_search(page_as, caseloads):
    client = page_as("clinician")
    response = client.post("/", {"q": "delta", "view": "team"})
    assert response["Location"] == "/?view=team"
    assert rows(client.get(response["Location"])) == ["Di Delta"]
    assert rows(client.get("/")) == []  # the same search on my caseload: Di is not mine
    client.post("/", {"clear": "1"})
    assert rows(client.get("/", {"view": "team", "state": "episode"})) == ["Di Delta", "Cy Gamma"]


def test_roles_never_assigned_see_their_teams_caseload_without_tabs(page_as, caseloads):
    response = page_as("judge").get("/")
    html = text(response)
    assert '<h1 class="govuk-heading-l">Team caseload</h1>' in html
    assert "moj-sub-navigation" not in html
    assert len(names(response)) == 5


def test_the_outsider_reaches_nobody_in_either_view(page_as, caseloads):
    client = page_as("outsider")
    assert rows(client.get("/")) == [] and rows(client.get("/", {"view": "team"})) == []
