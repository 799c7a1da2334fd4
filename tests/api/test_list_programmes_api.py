"""Programme definitions through the API: any signed-in role may read them."""

import pytest

from turnpoint.sharing.models import AuditEntry

from .helpers import ROLES


@pytest.mark.parametrize("role", ROLES)
def test_every_signed_in_role_lists_the_programmes(api_as, programmes, role):
    body = api_as(role).get("/api/programmes").json()
    assert {p["slug"] for p in body["items"]} == set(programmes) | {"other-area-dtc"}


def test_a_programme_reads_with_its_phases_and_switches(api_as, programmes, users):
    body = api_as("analyst").get("/api/programmes/scotland-dtto").json()
    stored = programmes["scotland-dtto"]
    assert body["name"] == stored.name
    assert body["court_receives_test_results"] is stored.court_receives_test_results
    assert [p["number"] for p in body["phases"]] == list(
        stored.phases.order_by("number").values_list("number", flat=True)
    )
    assert {e["code"] for e in body["exit_types"]} == {e["code"] for e in stored.exit_types}
    assert not AuditEntry.objects.filter(action="read").exists()


def test_an_unknown_programme_is_not_found(api_as, programmes, users):
    response = api_as("judge").get("/api/programmes/atlantis")
    assert response.status_code == 404
    assert response.json() == {"errors": [{"field": "", "reason": "not found"}]}


def test_listing_programmes_takes_a_fixed_number_of_queries(
    api_as, programmes, users, django_assert_num_queries
):
    client = api_as("judge")
    with django_assert_num_queries(4):  # token, count, page, every programme's phases at once
        body = client.get("/api/programmes").json()
    assert body["count"] == len(programmes) + 1 >= 6
