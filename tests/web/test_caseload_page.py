"""My caseload: the participants the policy lets a user reach, with search and filters."""

import re
from datetime import date

import pytest

from turnpoint.people.models import Participant
from turnpoint.people.services import participant_create

from .helpers import text, walk

# Session, user (with their agency), the user's programmes, the ids of their team's programmes
# (asked afresh by each reach query: the caseload's and its filter's), the count, the page of
# participants (ordered by attention) read in its selector's transaction (a savepoint pair), the
# referrals their rows show and the session save (3 with its savepoint): the same for 5
# participants as for 50 (STYLE.md rule 8).
CASELOAD_QUERIES = 13


def rows(response) -> list[str]:
    """The participant names in the results table, in order."""
    return re.findall(
        r'<a class="govuk-link" href="/participants/\d+/">([^<]+)</a>', text(response)
    )


def search(client, q, **filters):
    """Type a search into the caseload form, as a browser without JavaScript sends it."""
    return client.post("/", {"q": q, **filters}, follow=True)


def test_signed_out_visitor_is_sent_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


def test_coordinator_sees_their_participants_with_programme_stage_and_days(
    page_as, make_referral, programme
):
    referral = make_referral(given_name="Robin", family_name="Example")
    response = page_as("coordinator").get("/")
    html = text(response)
    assert response.status_code == 200
    assert rows(response) == ["Robin Example"]
    assert referral.participant.reference in html
    assert programme.name in html
    assert ">Referred</strong>" in html
    assert 'data-sort-value="30">30</td>' in html  # days since referral (make_referral: 30)
    assert 'data-module="moj-sortable-table"' in html


def test_outsider_does_not_see_another_teams_participants(page_as, make_referral):
    make_referral(given_name="Robin", family_name="Example")
    response = page_as("outsider").get("/")
    assert response.status_code == 200
    assert rows(response) == []
    assert "Robin" not in text(response)


def test_search_by_name_keeps_only_matching_participants(page_as, make_referral):
    make_referral(given_name="Robin", family_name="Example")
    make_referral(given_name="Alex", family_name="Smith")
    client = page_as("coordinator")
    assert rows(search(client, "smi")) == ["Alex Smith"]
    assert rows(search(client, "robin example")) == ["Robin Example"]
    assert rows(search(client, "robin smith")) == []


def test_search_by_reference_finds_that_participant(page_as, make_referral):
    make_referral(given_name="Robin", family_name="Example")
    alex = make_referral(given_name="Alex", family_name="Smith").participant
    client = page_as("coordinator")
    assert rows(search(client, alex.reference)) == ["Alex Smith"]
    assert rows(search(client, alex.reference.lower())) == ["Alex Smith"]


def test_search_is_kept_for_the_session_and_out_of_every_url(page_as, make_referral):
    make_referral(given_name="Robin", family_name="Example")
    make_referral(given_name="Alex", family_name="Smith")
    client = page_as("coordinator")
    response = client.post("/", {"q": "smith", "state": "referral"})
    assert response.status_code == 302
    assert response["Location"] == "/?state=referral"
    page = client.get(response["Location"])
    assert rows(page) == ["Alex Smith"]
    assert 'value="smith"' in text(page)  # the form shows what is being searched for
    assert rows(client.get("/")) == ["Alex Smith"]  # next visit: the same search


def test_clearing_the_search_shows_the_whole_caseload_again(page_as, make_referral):
    make_referral(given_name="Robin", family_name="Example")
    make_referral(given_name="Alex", family_name="Smith")
    client = page_as("coordinator")
    search(client, "smith")
    response = client.post("/", {"clear": "1", "q": "smith"}, follow=True)
    assert rows(response) == ["Robin Example", "Alex Smith"]
    assert "Clear search and filters" not in text(response)


def test_a_role_that_may_not_read_the_pathway_sees_no_stage(page_as, make_referral):
    make_referral(given_name="Robin", family_name="Example")
    response = page_as("safeguarding").get("/")
    html = text(response)
    assert rows(response) == ["Robin Example"]
    assert ">Referred</strong>" not in html and 'id="caseload-state"' not in html


def test_filter_by_stage_shows_participants_at_that_stage(page_as, make_referral, coordinator):
    walk(make_referral(given_name="Robin", family_name="Example"), coordinator, "episode")
    make_referral(given_name="Alex", family_name="Smith")
    client = page_as("coordinator")
    assert rows(client.get("/", {"state": "episode"})) == ["Robin Example"]
    assert rows(client.get("/", {"state": "referral"})) == ["Alex Smith"]
    # Alex's assessment is overdue (referred 30 days ago; the target is 21): listed first.
    assert rows(client.get("/", {"state": "not-a-state"})) == ["Alex Smith", "Robin Example"]


def test_filter_by_programme_shows_that_programmes_referral(
    page_as, make_referral, coordinator, programmes
):
    dtto = programmes["scotland-dtto"]
    coordinator.programmes.add(dtto)
    make_referral(given_name="Robin", family_name="Example")
    make_referral(given_name="Alex", family_name="Smith", programme=dtto)
    client = page_as("coordinator")
    response = client.get("/", {"programme": dtto.pk})
    assert rows(response) == ["Alex Smith"]
    assert dtto.name in text(response)


def test_htmx_search_returns_only_the_results_region(page_as, make_referral):
    make_referral(given_name="Robin", family_name="Example")
    response = page_as("coordinator").post(
        "/", {"q": "rob", "state": "referral"}, HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="caseload-results",
    )  # fmt: skip
    html = text(response)
    assert rows(response) == ["Robin Example"]
    assert "<html" not in html and 'role="search"' not in html
    assert "HX-Request" in response["Vary"]
    assert response["HX-Push-Url"] == "/?state=referral"  # the filters, never the name


def test_search_form_works_without_javascript_and_updates_with_htmx(page_as, make_referral):
    make_referral()
    html = text(page_as("coordinator").get("/"))
    assert 'method="post" action="/"' in html
    assert 'hx-post="/"' in html and 'hx-target="#caseload-results"' in html
    assert 'name="csrfmiddlewaretoken"' in html


@pytest.mark.parametrize("username", ["analyst", "administrator"])
def test_roles_without_identity_access_see_an_explanation(page_as, make_referral, username):
    make_referral(given_name="Robin", family_name="Example")
    response = page_as(username).get("/")
    html = text(response)
    assert response.status_code == 200
    assert "Your role does not open individual records" in html
    assert "Robin" not in html


def test_synthetic_participants_are_marked(page_as, coordinator, make_referral):
    referral = make_referral(given_name="Robin", family_name="Example")
    Participant.objects.filter(pk=referral.participant_id).update(synthetic=True)
    html = text(page_as("coordinator").get("/"))
    assert re.search(r"Robin Example</a>\s*<strong[^>]*>Synthetic</strong>", html)


def test_participants_come_fifty_to_a_page(page_as, make_referral):
    for i in range(51):
        make_referral(given_name=f"Person{i:02d}", family_name="Example")
    client = page_as("coordinator")
    first = client.get("/")
    second = client.get("/", {"page": 2})
    assert len(rows(first)) == 50
    assert rows(second) == ["Person50 Example"]
    assert "showing 1 to 50" in text(first)


def test_caseload_query_count_does_not_grow_with_caseload(
    page_as, make_referral, django_assert_num_queries
):
    for i in range(5):
        make_referral(given_name=f"Person{i:02d}", family_name="Example")
    client = page_as("coordinator")
    with django_assert_num_queries(CASELOAD_QUERIES):
        assert len(rows(client.get("/"))) == 5
    for i in range(5, 50):
        make_referral(given_name=f"Person{i:02d}", family_name="Example")
    with django_assert_num_queries(CASELOAD_QUERIES):
        assert len(rows(client.get("/"))) == 50
    search(client, "example")
    with django_assert_num_queries(CASELOAD_QUERIES):
        assert len(rows(client.get("/", {"state": "referral"}))) == 50


def test_participant_without_referral_in_users_programmes_is_not_listed(page_as, coordinator):
    participant_create(
        acting_user=coordinator,
        given_name="Nobody",
        family_name="Referred",
        date_of_birth=date(1990, 1, 1),
    )
    assert rows(page_as("coordinator").get("/")) == []


def test_a_very_large_caseload_is_counted_only_up_to_the_cap(page_as, make_referral, monkeypatch):
    monkeypatch.setattr("turnpoint.web.views.COUNT_CAP", 3)
    monkeypatch.setattr("turnpoint.web.views.PAGE_SIZE", 2)
    for i in range(5):
        make_referral(given_name=f"Person{i:02d}", family_name="Example")
    client = page_as("coordinator")
    html = text(client.get("/"))
    assert "More than 3 participants on your caseload, showing 1 to 2." in html
    assert rows(client.get("/", {"page": 2})) == ["Person02 Example", "Person03 Example"]
    assert "1 participant matches your search." in text(search(client, "person00"))


def test_sec_13_a_court_users_caseload_is_a_disclosure_for_each_participant_shown(
    page_as, make_referral, users
):
    from turnpoint.sharing.models import Disclosure

    shown = [make_referral(given_name=f"Person{i}").participant_id for i in range(3)]
    assert len(rows(page_as("coordinator").get("/"))) == 3
    assert not Disclosure.objects.exists()  # inside the programme team: nothing crosses
    assert len(rows(page_as("judge").get("/"))) == 3
    disclosed = Disclosure.objects.filter(recipient_user=users["judge"])
    assert sorted(disclosed.values_list("participant_id", flat=True)) == sorted(shown)
    assert {tuple(d.categories) for d in disclosed} == {("identity", "pathway")}
    assert {d.legal_basis for d in disclosed} == {"statute"}
