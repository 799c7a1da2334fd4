"""Listing participants through the API: the policy gate applies to the list itself."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from turnpoint.accounts.personas import OUTSIDER, persona_user
from turnpoint.sharing.disclosures import Disclosure
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.policy import audit_read

from .helpers import REACHING, ROLES

GHENT_STATUTE = "Deferral of the criminal case before conviction"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lists_only_the_participants_it_may_reach(api_as, make_referral, role):
    shown = make_referral(given_name="Robin")
    response = api_as(role).get("/api/participants")
    assert response.status_code == 200
    ids = [item["id"] for item in response.json()["items"]]
    assert ids == ([shown.participant_id] if role in REACHING else [])


def test_the_outsider_lists_only_their_own_team(api_as, make_referral, outsider, other_programme):
    make_referral(given_name="Ghent")
    theirs = make_referral(given_name="Theirs", by=outsider, programme=other_programme)
    body = api_as("outsider").get("/api/participants").json()
    assert [item["id"] for item in body["items"]] == [theirs.participant_id]
    assert body["count"] == 1


def test_list_is_paginated_with_limit_and_offset(api_as, make_referral):
    for name in ("Ash", "Bea", "Cal", "Dee"):
        make_referral(family_name=name)
    client = api_as("coordinator")
    first = client.get("/api/participants", {"limit": 2}).json()
    second = client.get("/api/participants", {"limit": 2, "offset": 2}).json()
    assert first["count"] == second["count"] == 4
    assert [p["family_name"] for p in first["items"]] == ["Ash", "Bea"]
    assert [p["family_name"] for p in second["items"]] == ["Cal", "Dee"]


BAD_PARAMETERS = [
    ({"limit": 1001}, "limit"),
    ({"limit": 0}, "limit"),
    ({"offset": -1}, "offset"),
    ({"limit": "many"}, "limit"),
    ({"offset": 10**30}, "offset"),
    ({"programme": "nowhere"}, "programme"),
]


@pytest.mark.parametrize(("params", "field"), BAD_PARAMETERS)
def test_bad_list_parameters_are_refused_naming_the_parameter(api_as, users, params, field):
    response = api_as("coordinator").get("/api/participants", params)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_programme_filter_keeps_only_that_programmes_participants(
    api_as, make_referral, programmes, users
):
    ghent = make_referral(given_name="Ghent")
    dtto = programmes["scotland-dtto"]
    users["coordinator"].programmes.add(dtto)
    make_referral(given_name="Scot", programme=dtto)
    body = api_as("coordinator").get("/api/participants", {"programme": "ghent-dtc"}).json()
    assert [p["id"] for p in body["items"]] == [ghent.participant_id]


def test_listing_identity_writes_no_read_audit_row(api_as, make_referral):
    make_referral()
    client = api_as("coordinator")
    client.get("/api/participants")  # the first request issues the token (audited, SEC-41)
    before = AuditEntry.objects.count()
    client.get("/api/participants")
    assert AuditEntry.objects.filter(action="read").count() == 0
    assert AuditEntry.objects.count() == before


def _queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, {"limit": 1000})
    assert response.status_code == 200
    return len(captured), len(response.json()["items"])


@pytest.mark.parametrize("path", ["/api/participants", "/api/referrals"])
def test_list_query_count_does_not_grow_with_rows(
    api_as, make_referral, path, django_assert_num_queries
):
    client = api_as("coordinator")
    for i in range(5):
        make_referral(given_name=f"P{i}")
    few, shown_few = _queries(client, path)
    for i in range(45):
        make_referral(given_name=f"Q{i}")
    many, shown_many = _queries(client, path)
    assert few == many
    assert (shown_few, shown_many) == (5, 50)
    # Token, the ids of the user's team programmes (the reach condition's values), count, page,
    # plus writing one audit row where legal facts are shown (the audit log's own cost is
    # measured, so a change in how it chains rows does not break this pin).
    expected = 4 + (_audit_row_queries(client.user) if path == "/api/referrals" else 0)
    with django_assert_num_queries(expected):
        client.get(path, {"limit": 1000})


def _audit_row_queries(user):
    with CaptureQueriesContext(connection) as captured:
        audit_read(user, participants=[1], categories=["legal"])
    return len(captured)


def test_outsider_persona_is_a_coordinator_elsewhere(db, other_programme):
    # Guards the premise of the outsider tests: same role, other team.
    outsider = persona_user(OUTSIDER, programmes=[other_programme])
    assert outsider.role == "coordinator"
    assert list(outsider.programmes.all()) == [other_programme]


@pytest.mark.parametrize("path", ["/api/participants", "/api/referrals", "/api/episodes"])
def test_filtering_on_another_teams_programme_is_refused_and_reveals_nothing(
    api_as, make_referral, outsider, other_programme, path
):
    # Robin is on the Ghent caseload and also referred to the outsider's programme: a filter on
    # that programme must not tell the Ghent coordinator so (security.md SEC-03).
    robin = make_referral(given_name="Robin")
    make_referral(given_name="Robin", by=outsider, programme=other_programme)
    assert robin.participant_id
    response = api_as("coordinator").get(path, {"programme": other_programme.slug})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "programme"
    assert "you do not work in programme" in error["reason"]


@pytest.mark.parametrize("path", ["/api/participants", "/api/referrals"])
def test_sec_13_list_read_by_another_agency_discloses_in_queries_that_do_not_grow_with_rows(
    api_as, make_referral, path, django_assert_num_queries
):
    """The judge (a court: another agency than the programme team holding these records) gets
    one disclosure per participant listed (SEC-13), written with as many queries for 5 rows as
    for 50 (bench/bench_policy.py measures the same at 1,000 rows)."""
    client = api_as("judge")
    for i in range(5):
        make_referral(given_name=f"P{i}")
    few, shown_few = _queries(client, path)
    assert Disclosure.objects.count() == 5
    for i in range(45):
        make_referral(given_name=f"Q{i}")
    many, shown_many = _queries(client, path)
    assert Disclosure.objects.count() == 5 + 50
    assert few == many
    assert (shown_few, shown_many) == (5, 50)
    # Token, the ids of the judge's team programmes, count, page (on the participants page with
    # each row's programme: `with_programme_shown`); the team's programmes with their
    # definitions, for the law each disclosure rests on (`policy.team_programmes`: kept per
    # process outside a transaction, read afresh inside the test's); then the read's record.
    # Either page writes one audit row and its acts, in the test's transaction without a
    # savepoint of its own: the participants page, which shows nothing sensitive, a `disclosed`
    # entry recording its acts; the referrals page, which audits the legal facts it shows, its
    # read entry carrying them (`disclosures._acts_write`). The audit row's queries, then the
    # acts and their backlog rows in one statement.
    record = _audit_row_queries(client.user) + 1
    expected = 4 + 1 + record
    with django_assert_num_queries(expected):
        client.get(path, {"limit": 1000})


def test_sec_02_caseload_count_is_the_number_of_participants_in_reach(
    users, outsider, make_referral, programme, other_programme
):
    """`caseload_count` counts referrals, not participants; for every persona (analyst and
    administrator included, whatever their identity decision) and with or without a programme
    filter it must equal the count of `participants_visible_to`."""
    from django.db.models import Exists, OuterRef

    from turnpoint.journeys.models import Referral
    from turnpoint.sharing.policy import caseload_count, participants_visible_to

    twice = make_referral(given_name="Twice")
    make_referral(given_name="Twice", participant=twice.participant)
    both = make_referral(given_name="Both")
    make_referral(given_name="Both", participant=both.participant, programme=other_programme,
                  by=outsider)  # fmt: skip
    make_referral(given_name="There", programme=other_programme, by=outsider)
    assert Referral.objects.filter(participant=twice.participant, programme=programme).count() == 2
    for user in [*users.values(), outsider]:
        visible = participants_visible_to(user)
        assert caseload_count(user) == visible.count(), user.username
        for each in user.programmes.all():
            referred = Referral.objects.filter(participant=OuterRef("pk"), programme=each)
            expected = visible.filter(Exists(referred)).count()
            assert caseload_count(user, each) == expected, (user.username, each.slug)
    assert caseload_count(users["coordinator"]) == 2
    assert caseload_count(outsider) == 2


def test_every_change_to_the_referrals_raises_their_version(make_referral, other_programme):
    """The database raises the referrals' version for every statement that adds, removes or
    moves a referral, however it is made (ORM, `QuerySet.update`, raw SQL), and for nothing
    else. Fails if a migration rebuilt the table on SQLite and dropped the triggers."""
    from turnpoint.journeys.models import Referral
    from turnpoint.sharing.policy import _referrals_version

    before = _referrals_version()
    referral = make_referral()
    added = _referrals_version()
    assert added > before
    Referral.objects.filter(pk=referral.pk).update(state="assessment")
    assert _referrals_version() == added  # a step on the pathway moves no one in or out
    Referral.objects.filter(pk=referral.pk).update(programme=other_programme)
    moved = _referrals_version()
    assert moved > added
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM journeys_transition WHERE referral_id = %s", [referral.pk])
        cursor.execute("DELETE FROM journeys_referral WHERE id = %s", [referral.pk])
    assert _referrals_version() > moved


@pytest.mark.django_db(transaction=True)
def test_sec_02_a_kept_caseload_count_is_used_only_while_the_referrals_stand(
    users, make_referral, programme, django_assert_num_queries
):
    """Outside a transaction (as an API list asks it) the count is kept under the referrals'
    version: asked again it costs the one-row read of the version; a new referral, or one moved
    to a programme outside the team, changes the version and the count is made afresh."""
    from turnpoint.journeys.models import Referral, ReferralsVersion
    from turnpoint.programmes.models import Programme
    from turnpoint.sharing import context, policy

    def caseload_count(*args):  # each asked as a request would: its own context
        token = context.activate(context.RequestContext())
        try:
            return policy.caseload_count(*args)
        finally:
            context.deactivate(token)

    policy._CASELOAD_COUNTS.clear()
    coordinator = users["coordinator"]
    first = make_referral(given_name="One")
    assert caseload_count(coordinator) == 1
    with django_assert_num_queries(1):  # the team's programme ids, with the version
        assert caseload_count(coordinator) == 1
    make_referral(given_name="Two")
    assert caseload_count(coordinator) == 2
    assert caseload_count(coordinator, programme) == 2
    elsewhere = Programme.objects.exclude(pk__in=coordinator.programmes.all()).first()
    Referral.objects.filter(pk=first.pk).update(programme=elsewhere)
    assert caseload_count(coordinator) == caseload_count(coordinator, programme) == 1
    ReferralsVersion.objects.all().delete()  # without its row nothing is kept, nothing is wrong
    make_referral(given_name="Three")
    assert caseload_count(coordinator) == 2
    make_referral(given_name="Four")
    assert caseload_count(coordinator) == 3


@pytest.mark.django_db(transaction=True)
def test_sec_02_a_version_read_with_the_team_inside_a_rolled_back_transaction_keeps_no_count(
    users, make_referral, django_assert_num_queries
):
    """The team's query reads the referrals' version too, and a count made later in the request
    is kept under it, but only under a version read outside a transaction. One read inside a
    transaction that added a referral is that transaction's own: rolled back, the same number
    comes back when another referral is committed, and a count kept under it would be the
    count without that referral."""
    from django.db import transaction

    from turnpoint.sharing import context, policy

    policy._CASELOAD_COUNTS.clear()
    coordinator = users["coordinator"]
    make_referral(given_name="One")
    token = context.activate(context.RequestContext())
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            make_referral(given_name="Rolled back")
            policy.team_programme_ids(coordinator)  # the team and the version, uncommitted
            raise RuntimeError("roll back")
        with django_assert_num_queries(2):  # the version, read again; the count
            assert policy.caseload_count(coordinator) == 1
    finally:
        context.deactivate(token)
    make_referral(given_name="Two")  # the version the rolled-back referral had taken
    token = context.activate(context.RequestContext())
    try:
        assert policy.caseload_count(coordinator) == 2
    finally:
        context.deactivate(token)


@pytest.mark.django_db(transaction=True)
def test_sec_13_a_team_programme_is_kept_while_its_loaded_at_stands(
    api_as, users, make_referral, programme, django_assert_num_queries
):
    """Outside a transaction the team's programmes (with their definitions, which name the law a
    disclosure rests on) are kept per process under their `loaded_at`: asked again, only the
    team's query runs. A programme saved again, as the loader saves a new revision, is read
    afresh, so a cross-agency list's disclosures name the new law from the next request. What
    is read inside a transaction is not kept."""
    from django.db import transaction

    from turnpoint.programmes.models import Programme
    from turnpoint.sharing import context, policy

    def team_programmes(user):  # each asked as a request would: its own context
        token = context.activate(context.RequestContext())
        try:
            return policy.team_programmes(user)
        finally:
            context.deactivate(token)

    policy._PROGRAMMES.clear()
    judge = users["judge"]
    first = team_programmes(judge)
    assert set(first) == set(judge.programmes.values_list("pk", flat=True))
    with django_assert_num_queries(1):  # the team's programme ids and their `loaded_at`
        again = team_programmes(judge)
    assert again[programme.pk] is first[programme.pk]

    make_referral(given_name="Robin")
    client = api_as("judge")
    assert client.get("/api/participants").status_code == 200
    assert Disclosure.objects.get().basis_reference.startswith(GHENT_STATUTE)
    stored = Programme.objects.get(pk=programme.pk)
    stored.legal_basis = "Changed Statute 2026: a new basis"
    stored.definition = {**stored.definition, "policy": {
        k: v for k, v in stored.definition["policy"].items() if k != "statutory_reference"
    }}  # fmt: skip
    stored.save()
    assert client.get("/api/participants").status_code == 200
    newest = Disclosure.objects.order_by("-act_id").first()
    assert newest.basis_reference == "Changed Statute 2026"

    policy._PROGRAMMES.clear()
    with transaction.atomic():
        assert programme.pk in policy.team_programmes(judge)
    assert policy._PROGRAMMES == {}


@pytest.mark.django_db(transaction=True)
def test_flush_puts_the_referrals_version_back_past_every_earlier_one(make_referral):
    """`turnpoint flush` (the demo's reset, the tests between transactional tests) empties the
    version's row too and puts it back at a version no earlier database reached, so a server's
    kept counts never match the new referrals."""
    from django.core.management import call_command

    from turnpoint.sharing.policy import _referrals_version

    make_referral()
    before = _referrals_version()
    call_command("flush", interactive=False, verbosity=0)
    after = _referrals_version()
    assert after is not None and after > before


def test_programme_filter_lists_a_participant_referred_there_twice_once(
    api_as, make_referral, programme
):
    first = make_referral(given_name="Twice")
    make_referral(given_name="Twice", participant=first.participant)
    body = api_as("coordinator").get("/api/participants", {"programme": programme.slug}).json()
    assert [p["id"] for p in body["items"]] == [first.participant_id]
    assert body["count"] == 1


def test_sec_02_team_programmes_are_read_once_per_request_and_a_change_holds_from_the_next(
    api_as, users, make_referral, programme, other_programme, outsider, django_assert_num_queries
):
    """The reach queries take the ids of the user's team programmes as values, read once per
    request (`policy.team_programme_ids`). Outside a request they are read afresh every time, and
    a change of team holds from the next request: leaving a team takes its caseload away."""
    from turnpoint.sharing import context
    from turnpoint.sharing.policy import team_programme_ids

    coordinator = users["coordinator"]
    robin = make_referral(given_name="Robin").participant
    make_referral(given_name="Sam", by=outsider, programme=other_programme)
    token = context.activate(context.RequestContext())
    try:
        with django_assert_num_queries(1):
            assert team_programme_ids(coordinator) == (programme.pk,)
            assert team_programme_ids(coordinator) == (programme.pk,)
    finally:
        context.deactivate(token)
    client = api_as("coordinator")
    assert [p["id"] for p in client.get("/api/participants").json()["items"]] == [robin.pk]

    coordinator.programmes.set([other_programme])
    assert team_programme_ids(coordinator) == (other_programme.pk,)  # outside a request: afresh
    listed = client.get("/api/participants").json()
    assert [p["given_name"] for p in listed["items"]] == ["Sam"] and listed["count"] == 1
    coordinator.programmes.clear()
    assert client.get("/api/participants").json() == {
        "count": 0, "limit": 50, "offset": 0, "items": []
    }  # fmt: skip
