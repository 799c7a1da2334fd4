"""Listing and reading referrals through the API."""

import pytest

from turnpoint.sharing.models import AuditEntry

from .helpers import LEGAL_KEYS, REACHING, ROLES, all_keys, errors_by_field, walk


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lists_only_referrals_it_may_reach(api_as, make_referral, role):
    referral = make_referral()
    body = api_as(role).get("/api/referrals").json()
    assert [r["id"] for r in body["items"]] == ([referral.pk] if role in REACHING else [])


def test_another_teams_referral_of_the_same_person_stays_out_of_reach(
    api_as, make_referral, outsider, other_programme
):
    """The outsider's team also refers Robin: they see their referral, not Ghent's."""
    ghent = make_referral()
    from turnpoint.journeys.services import referral_create

    theirs = referral_create(
        acting_user=outsider, participant=ghent.participant, programme=other_programme,
        source="court", offence_category="drug_possession", drug_related_type="drug_law",
        offence_date=ghent.offence_date, referral_date=ghent.referral_date,
    )  # fmt: skip
    client = api_as("outsider")
    assert [r["id"] for r in client.get("/api/referrals").json()["items"]] == [theirs.pk]
    assert client.get(f"/api/referrals/{ghent.pk}").status_code == 404
    detail = client.get(f"/api/participants/{ghent.participant_id}").json()
    assert [r["id"] for r in detail["referrals"]] == [theirs.pk]


def test_filters_by_programme_and_state(api_as, make_referral, programmes, users):
    coordinator = api_as("coordinator")
    moved = make_referral(given_name="Moved")
    waiting = make_referral(given_name="Waiting")
    walk(coordinator, moved.pk, [{"to_state": "screening"}])
    dtto = programmes["scotland-dtto"]
    users["coordinator"].programmes.add(dtto)
    scottish = make_referral(given_name="Scot", programme=dtto)

    def ids(**params):
        return {r["id"] for r in coordinator.get("/api/referrals", params).json()["items"]}

    assert ids(state="screening") == {moved.pk}
    assert ids(state="referral") == {waiting.pk, scottish.pk}
    assert ids(programme="scotland-dtto") == {scottish.pk}
    assert ids(programme="ghent-dtc", state="referral") == {waiting.pk}
    assert ids(participant=moved.participant_id) == {moved.pk}


def test_an_unknown_state_filter_is_named(api_as, users):
    response = api_as("coordinator").get("/api/referrals", {"state": "limbo"})
    assert response.status_code == 400
    assert errors_by_field(response)["state"].startswith("must be one of: referral, screening")


def test_one_audit_row_names_every_participant_shown(api_as, make_referral):
    shown = [make_referral(given_name=f"P{i}").participant_id for i in range(3)]
    api_as("judge").get("/api/referrals")
    rows = AuditEntry.objects.filter(action="read")
    assert rows.count() == 1
    row = rows.get()
    assert sorted(row.participant_ids) == sorted(shown)
    assert (row.username, row.categories, row.channel) == ("judge", ["legal"], "api")


def test_the_clinician_lists_referrals_without_legal_facts(api_as, make_referral):
    make_referral()
    body = api_as("clinician").get("/api/referrals").json()
    assert body["items"][0]["state"] == "referral"
    assert not all_keys(body) & LEGAL_KEYS
    assert not AuditEntry.objects.filter(action="read").exists()


def test_a_referral_reads_with_its_allowed_next_steps_and_etag(api_as, make_referral):
    referral = make_referral()
    response = api_as("prosecutor").get(f"/api/referrals/{referral.pk}")
    body = response.json()
    assert response["ETag"] == '"1"'
    assert body["allowed_next"] == ["screening", "left"]
    assert body["offence_category"] == "acquisitive"
    assert body["programme"] == "ghent-dtc"


@pytest.mark.parametrize("role", ["analyst", "administrator", "outsider"])
def test_a_referral_out_of_reach_is_not_found(api_as, make_referral, role):
    referral = make_referral()
    response = api_as(role).get(f"/api/referrals/{referral.pk}")
    assert response.status_code == 404
    assert response.content == api_as(role).get("/api/referrals/999999").content


def test_sec_02_referrals_in_reach_are_those_of_participants_in_reach_in_the_users_programmes(
    users, outsider, make_referral, programme, other_programme, coordinator
):
    """`referrals_visible_to` filters by programme alone; that must give exactly the referrals
    of visible participants in the user's programmes, for every persona (analyst and
    administrator included, whatever their identity decision)."""
    from turnpoint.api.access import referrals_visible_to
    from turnpoint.journeys.models import Referral
    from turnpoint.sharing.reach import participants_visible_to

    both = make_referral(given_name="Both")
    make_referral(given_name="Both", participant=both.participant, programme=other_programme,
                  by=outsider)  # fmt: skip
    make_referral(given_name="Here")
    make_referral(given_name="There", programme=other_programme, by=outsider)
    for user in [*users.values(), outsider]:
        expected = set(
            Referral.objects.filter(
                participant__in=participants_visible_to(user),
                programme__in=user.programmes.all(),
            ).values_list("pk", flat=True)
        )
        got = set(referrals_visible_to(user).values_list("pk", flat=True))
        assert got == expected, user.username
    assert len(set(referrals_visible_to(coordinator).values_list("pk", flat=True))) == 2
    assert len(set(referrals_visible_to(outsider).values_list("pk", flat=True))) == 2
