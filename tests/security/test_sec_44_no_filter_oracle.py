"""SEC-44 No filter oracle: a filter, sort, search or count over a field the role may not read
is refused with a clear error (or not offered); it never answers with counts or an order that
reveal the field.

The API's parameters today, each decided (docs/api.md, "Filters and who may use them"):
participants `programme`; referrals `programme`, `participant` (seen by every reader) and
`state` (pathway); episodes `programme`, `participant` and `active` (pathway); transitions,
programmes and a participant's consents, court orders and household only paging. Anything else
(a sort, a search, another field) is refused by name. The staff caseload offers `state`
(pathway) and the name search `q` (identity).
"""

import re
from datetime import date, timedelta

import pytest

from turnpoint.api.episodes import EPISODE, EPISODE_FILTERS
from turnpoint.api.participants import PARTICIPANT, PARTICIPANT_FILTERS
from turnpoint.api.referrals import REFERRAL, REFERRAL_FILTERS
from turnpoint.api.urls import api
from turnpoint.sharing.categories import Category
from turnpoint.sharing.filters import filter_refusals
from turnpoint.sharing.models import AuditEntry
from turnpoint.web.views import CASELOAD_FILTERS

PAGING = {"limit", "offset"}
LISTS = {
    "/api/participants": (PARTICIPANT, PARTICIPANT_FILTERS),
    "/api/referrals": (REFERRAL, REFERRAL_FILTERS),
    "/api/episodes": (EPISODE, EPISODE_FILTERS),
    "/api/referrals/{referral_id}/transitions": (None, {}),
    "/api/programmes": (None, {}),
    # A participant's or a referral's own records, listed whole: paging only.
    "/api/referrals/{referral_id}/participation-consents": (None, {}),
    "/api/participants/{participant_id}/share-consents": (None, {}),
    "/api/participants/{participant_id}/court-orders": (None, {}),
    "/api/participants/{participant_id}/custody-episodes": (None, {}),
    "/api/participants/{participant_id}/household": (None, {}),
    "/api/participants/{participant_id}/outcome-events": (None, {}),
    "/api/participants/{participant_id}/follow-ups": (None, {}),
    "/api/participants/{participant_id}/appointments": (None, {}),
    "/api/participants/{participant_id}/drug-tests": (None, {}),
    # A docket: the date and the judge name the docket itself, no participant's information.
    "/api/dockets": (None, {"date": None, "judge": None}),
    "/api/participants/{participant_id}/responses": (None, {}),
    "/api/phase-proposals": (None, {}),
}


def errors(response) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"errors"}, body  # no count, no items
    return {e["field"]: e["reason"] for e in body["errors"]}


def denials() -> list[str]:
    return [e.detail["reason"] for e in AuditEntry.objects.filter(action="denied")]


def test_sec_44_every_query_parameter_of_every_list_is_decided():
    """A new filter cannot reach the API without a decision about the field it narrows by."""
    paths = api.get_openapi_schema()["paths"]
    listed = {
        path
        for path, ops in paths.items()
        if any(p["in"] == "query" for p in ops.get("get", {}).get("parameters", []))
    }
    assert listed == set(LISTS)
    for path, (shape, on) in LISTS.items():
        names = {p["name"] for p in paths[path]["get"]["parameters"] if p["in"] == "query"}
        assert names == PAGING | set(on), path
        for field in filter(None, on.values()):
            shape.category_of(field)  # raises KeyError for a field of no category
    assert REFERRAL.category_of(REFERRAL_FILTERS["state"]) == Category.PATHWAY
    assert EPISODE.category_of(EPISODE_FILTERS["active"]) == Category.PATHWAY
    assert CASELOAD_FILTERS == {"state": Category.PATHWAY, "q": Category.IDENTITY}


@pytest.mark.parametrize(
    ("path", "param", "value"),
    [
        ("/api/referrals", "state", "episode"),
        ("/api/episodes", "active", "true"),
    ],
)
def test_sec_44_a_role_that_may_not_read_the_pathway_cannot_filter_by_it(
    world, api_as, path, param, value
):
    """The safeguarding lead reaches the team's referrals but not their stage: a count of those
    at a stage would be the stage. The coordinator, who may read it, is answered."""
    allowed = api_as("coordinator").get(path, {param: value})
    assert allowed.status_code == 200 and allowed.json()["count"] == 1

    response = api_as("safeguarding").get(path, {param: value})
    assert response.status_code == 403
    reason = errors(response)[param]
    assert "pathway" in reason and "safeguarding lead role may not read" in reason
    assert any(param in r and "pathway" in r for r in denials())  # audited (SEC-20)


@pytest.mark.parametrize("path", ["/api/participants", "/api/referrals", "/api/episodes"])
@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("drug_tests", "positive"),
        ("clinical", "relapse"),
        ("sort", "drug_tests"),
        ("order_by", "-offence_date"),
        ("search", "heroin"),
        ("count", "true"),
    ],
)
def test_sec_44_a_judge_cannot_filter_sort_search_or_count_by_a_field_not_offered(
    world, api_as, path, param, value
):
    """Such parameters used to be ignored, answering the whole list as if they had worked; now
    each is refused by name with what the list does take, and nothing is counted."""
    response = api_as("judge").get(path, {param: value})
    assert response.status_code == 400
    assert "is not a parameter of this list; it takes: limit, offset" in errors(response)[param]


def test_sec_44_a_count_is_answered_only_under_filters_the_role_may_use(world, api_as):
    """Each list's `count` is the count of what it would list: refused with its filter."""
    client = api_as("safeguarding")
    assert client.get("/api/referrals").json()["count"] == 1
    assert "count" not in client.get("/api/referrals", {"state": "referral"}).json()


def test_sec_44_drug_tests_and_treatment_are_decided_per_programme_for_the_court(users, programmes):
    """The one function the API and the pages call: a judge may narrow by drug test results
    only where the programme sends them to the court, never by treatment; a clinician never by
    legal facts; fields every reader sees are never refused."""
    judge, clinician = users["judge"], users["clinician"]
    ghent, drr = programmes["ghent-dtc"], programmes["england-drr"]
    tests = {"result": Category.DRUG_TESTS}

    assert filter_refusals(judge, tests, programmes=[drr]) == []
    (refusal,) = filter_refusals(judge, tests, programmes=[drr, ghent])
    assert refusal.field == "result"
    assert "drug test results in Ghent" in refusal.reason and "judge role" in refusal.reason
    assert filter_refusals(judge, {"notes": Category.CLINICAL}, programmes=[drr])[0].field == (
        "notes"
    )
    assert filter_refusals(clinician, {"offence": Category.LEGAL}, programmes=[ghent])
    assert filter_refusals(judge, {"programme": None, "participant": None}, programmes=[]) == []


def test_sec_44_a_list_is_not_in_the_order_of_a_field_the_role_may_not_read(
    users, make_referral, api_as
):
    """Referrals come newest referral date first; to a role that may not read referral dates,
    in the order they were recorded, so their order tells nothing about the dates."""
    older = make_referral(given_name="Robin", on=date.today())
    newer = make_referral(given_name="Alex", on=date.today() + timedelta(days=20))
    oldest = make_referral(given_name="Sam", on=date.today() - timedelta(days=20))

    def order(key):
        return [r["id"] for r in api_as(key).get("/api/referrals").json()["items"]]

    assert order("coordinator") == [newer.pk, older.pk, oldest.pk]
    assert order("safeguarding") == [oldest.pk, newer.pk, older.pk]


def caseload_rows(response) -> list[str]:
    html = response.content.decode()
    return re.findall(r'<a class="govuk-link" href="/participants/\d+/">([^<]+)</a>', html)


def test_sec_44_the_caseload_refuses_a_stage_filter_to_a_role_that_may_not_read_it(world, page_as):
    """The stage filter is not offered to the safeguarding lead, and asked for in the address it
    is refused with the reason, listing nobody; the coordinator's is answered."""
    assert caseload_rows(page_as("coordinator").get("/", {"state": "episode"})) == [
        "Robinette Quarrington"
    ]
    client = page_as("safeguarding")
    assert 'id="caseload-state"' not in client.get("/").content.decode()

    for response in (client.get("/", {"state": "episode"}), client.post("/", {"state": "episode"})):
        html = response.content.decode()
        assert response.status_code == 403
        assert "Stage: works on pathway" in html and "safeguarding lead role may not read" in html
        assert caseload_rows(response) == [] and "Quarrington" not in html
    assert sum("state" in r for r in denials()) == 2
