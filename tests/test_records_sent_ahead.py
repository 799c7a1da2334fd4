"""A read's record sent ahead (PostgreSQL, sharing/ahead.py, decision 0010): the participant page
sends its record's statement without waiting and reads its result before the connection is used
again and before the response leaves. Still every read accounted for, fail closed (SEC-19)."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory

from turnpoint.sharing import ahead
from turnpoint.sharing.audit import audit_entry
from turnpoint.sharing.categories import Category
from turnpoint.sharing.disclosures import DisclosureAct
from turnpoint.sharing.middleware import RequestContextMiddleware
from turnpoint.sharing.models import AppendOnlyError, AuditEntry, _append_chained

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="statements are sent ahead on PostgreSQL only"
)

NAMES = ("Robinette", "Quarrington")


def raw(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.fixture
def person(make_referral):
    return make_referral(given_name=NAMES[0], family_name=NAMES[1]).participant


def entry_for(user, person) -> AuditEntry:
    return audit_entry(
        acting_user=user, action="read", categories=[Category.LEGAL], participant_ids=[person.pk]
    )


def test_sec_19_a_pages_record_is_sent_ahead_and_written_before_the_page_is_returned(
    users, person, django_assert_num_queries
):
    client = Client()
    client.force_login(users["judge"])  # another agency: the audit row and a disclosure act
    before = AuditEntry.objects.count(), DisclosureAct.objects.count()
    # 12, as when the record was waited for (tests/web/test_participant_page.py): still counted.
    with django_assert_num_queries(12) as captured:
        response = client.get(f"/participants/{person.pk}/")
    assert response.status_code == 200 and NAMES[0] in response.content.decode()
    sent = [q for q in captured.captured_queries if q.get("ahead")]
    assert len(sent) == 1 and "turnpoint_audit_append" in sent[0]["sql"]
    assert "sharing_disclosureact" in sent[0]["sql"]
    assert not ahead.pending(connection)
    assert (AuditEntry.objects.count(), DisclosureAct.objects.count()) == (
        before[0] + 1,
        before[1] + 1,
    )
    entry = AuditEntry.objects.latest("pk")
    assert entry.participant_ids == [person.pk] and entry.user == users["judge"]


@pytest.fixture
def refused():
    """`refused("sharing_auditentry")`: the database refuses every insert into that table from
    then on (a trigger; committed, as these tests run outside a transaction, and dropped after)."""
    tables = []

    def refuse(table: str) -> None:
        raw(
            f"CREATE FUNCTION refuse_{table}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{table} unavailable'; END $$"
        )
        raw(
            f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION refuse_{table}()"
        )
        tables.append(table)

    yield refuse
    for table in tables:
        raw(f"DROP TRIGGER refuse_{table} ON {table}")
        raw(f"DROP FUNCTION refuse_{table}()")


@pytest.mark.django_db(transaction=True)
def test_sec_19_a_record_sent_ahead_that_the_database_refuses_fails_the_page_without_its_data(
    users, person, refused
):
    """The database itself refuses the record: its error comes back after the page is built,
    and the page is not sent. Outside a transaction, as a server runs."""
    refused("sharing_disclosurebacklog")
    client = Client(raise_request_exception=False)
    client.force_login(users["judge"])
    before = AuditEntry.objects.count(), DisclosureAct.objects.count()
    response = client.get(f"/participants/{person.pk}/")
    assert response.status_code == 500
    body = response.content.decode()
    assert not [n for n in NAMES if n in body], body[:300]
    assert not ahead.pending(connection)
    # All or nothing: the audit row and the act went with the refused backlog row.
    assert (AuditEntry.objects.count(), DisclosureAct.objects.count()) == before


def test_a_statement_after_a_record_sent_ahead_runs_after_it_and_sees_it(users, person):
    entry = entry_for(users["judge"], person)
    _append_chained([entry], ahead=True)
    assert ahead.pending(connection) and entry.pk is None
    # The next query reads the record's result first: its row is there, checked and chained.
    assert AuditEntry.objects.filter(request_id=entry.request_id, action="read").exists()
    assert not ahead.pending(connection)
    assert entry.pk == AuditEntry.objects.latest("pk").pk
    assert entry.entry_hash == AuditEntry.chained_hash(entry.prev_hash, entry.canonical())


def test_a_record_sent_ahead_is_checked_against_pythons_hash_when_it_is_read(
    users, person, monkeypatch
):
    entry = entry_for(users["judge"], person)
    _append_chained([entry], ahead=True)
    monkeypatch.setattr(AuditEntry, "chained_hash", staticmethod(lambda prev, canonical: "0" * 64))
    with pytest.raises(AppendOnlyError, match="the database hashed it as"):
        ahead.collect()
    assert not ahead.pending(connection)


def test_savepoints_and_the_end_of_a_request_read_a_record_sent_ahead_first(users, person):
    _append_chained([entry_for(users["judge"], person)], ahead=True)
    with transaction.atomic():  # a savepoint inside the test's transaction: a cursor
        assert not ahead.pending(connection)
    _append_chained([entry_for(users["judge"], person)], ahead=True)
    request = RequestFactory().get("/")
    response = RequestContextMiddleware(lambda request: HttpResponse("ok"))(request)
    assert response.status_code == 200 and not ahead.pending(connection)


@pytest.mark.django_db(transaction=True)
def test_a_failed_record_sent_ahead_fails_the_response_in_the_middleware(users, person, refused):
    refused("sharing_auditentry")

    def view(request):  # a view that sends its record ahead and leaves it unread
        _append_chained([entry_for(users["judge"], person)], ahead=True)
        return HttpResponse(NAMES[0])

    with pytest.raises(DatabaseError, match="sharing_auditentry unavailable"):
        RequestContextMiddleware(view)(RequestFactory().get("/"))
    assert not ahead.pending(connection)


def test_a_request_failing_on_its_own_leaves_no_record_result_for_the_next(users, person):
    def view(request):
        _append_chained([entry_for(users["judge"], person)], ahead=True)
        raise RuntimeError("the view failed after recording its read")

    with pytest.raises(RuntimeError, match="the view failed"):
        RequestContextMiddleware(view)(RequestFactory().get("/"))
    assert not ahead.pending(connection)
    assert AuditEntry.objects.filter(action="read").exists()  # the connection works as before


@pytest.mark.django_db(transaction=True)
def test_entering_a_transaction_and_committing_read_a_record_sent_ahead_first(users, person):
    """Outside a transaction (autocommit, as a server runs): switching autocommit off for
    `atomic` would fail while a statement is in flight, so the backend reads it first; the
    record is its own transaction, committed whatever happens to the one that follows."""
    assert connection.get_autocommit()
    entry = entry_for(users["judge"], person)
    _append_chained([entry], ahead=True)
    with pytest.raises(RuntimeError, match="rolled back"), transaction.atomic():
        assert not ahead.pending(connection) and entry.pk is not None
        raise RuntimeError("rolled back")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_a_read_with_disclosures_and_no_audit_row_sends_its_acts_ahead(users, person):
    """A read across agencies of no audited category: its act and backlog row, sent ahead."""
    from turnpoint.sharing.disclosures import (
        DisclosureBacklog,
        _act_shared,
        _act_values,
        _read_write,
    )

    judge = users["judge"]
    values = _act_values(
        _act_shared(judge, "court_review", False, "web"),
        ((Category.IDENTITY,), "statute", "Sentencing Act 2020"),
    )
    _read_write(None, [(values, [person.pk])], ahead=True)
    assert ahead.pending(connection)
    ahead.collect()
    act = DisclosureAct.objects.latest("pk")
    assert act.categories == ["identity"] and act.recipient_user_id == judge.pk
    assert DisclosureBacklog.objects.get(act=act).participant_ids == [person.pk]


def api_client(user, **kwargs) -> Client:
    from turnpoint.accounts.models import api_token_create

    return Client(headers={"Authorization": f"Bearer {api_token_create(user=user)}"}, **kwargs)


def test_sec_19_an_api_list_sends_its_record_ahead_and_reads_it_before_the_response_leaves(
    users, make_referral, monkeypatch
):
    """`GET /api/referrals` across agencies: its audit row (legal facts) and its act (one
    statement) are sent ahead and read by the API once the body is rendered, not left to the
    middleware's safety net."""
    from types import SimpleNamespace

    from django.test.utils import CaptureQueriesContext

    from turnpoint.sharing import middleware

    referral = make_referral()
    seen_by_middleware = []
    monkeypatch.setattr(middleware, "ahead", SimpleNamespace(
        collect=lambda: seen_by_middleware.append(ahead.pending(connection)),
        discard=ahead.discard,
    ))  # fmt: skip
    before = AuditEntry.objects.count(), DisclosureAct.objects.count()
    with CaptureQueriesContext(connection) as captured:
        response = api_client(users["judge"]).get("/api/referrals")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [referral.pk]
    sent = [q for q in captured.captured_queries if q.get("ahead")]
    assert len(sent) == 1 and "turnpoint_audit_append" in sent[0]["sql"]
    assert "sharing_disclosureact" in sent[0]["sql"]
    assert seen_by_middleware == [False]  # read by the API itself
    assert (AuditEntry.objects.count(), DisclosureAct.objects.count()) == (
        before[0] + 1,
        before[1] + 1,
    )
    entry = AuditEntry.objects.latest("pk")
    assert entry.detail["referral_ids"] == [referral.pk] and entry.user == users["judge"]


@pytest.mark.parametrize("path", ["/api/referrals", "/api/participants"])
@pytest.mark.django_db(transaction=True)
def test_sec_19_an_api_record_sent_ahead_that_the_database_refuses_fails_with_the_apis_error(
    users, make_referral, refused, path
):
    """The record's error comes back after the body is rendered: the answer is the API's own
    500 with its request id (errors.py, SEC-23), and nothing of the rendered body. A list of
    participants writes only its acts (no audited category); one of referrals its audit row
    too, in the same statement."""
    make_referral(given_name="Kestrelmoor", offence_summary="Kestrelmoor warehouse")
    client = api_client(users["judge"], raise_request_exception=False)
    assert "Kestrelmoor" in client.get(path).content.decode()  # what the judge sees
    refused("sharing_disclosurebacklog")
    before = AuditEntry.objects.count(), DisclosureAct.objects.count()
    response = client.get(path)
    assert response.status_code == 500
    [error] = response.json()["errors"]
    assert response["X-Request-ID"] in error["reason"]
    body = response.content.decode()
    assert "Kestrelmoor" not in body and '"items"' not in body
    assert not ahead.pending(connection)
    assert (AuditEntry.objects.count(), DisclosureAct.objects.count()) == before
