"""Appending audit and disclosure rows without the ORM's insert compiler (turnpoint.sharing.rows):
the rows read back through the ORM exactly as `bulk_create` would have stored them, on SQLite and
PostgreSQL, in as many statements as the database's parameter limit needs."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from turnpoint.sharing import rows
from turnpoint.sharing.models import (
    AuditEntry,
    DisclosedParticipant,
    Disclosure,
    DisclosureAct,
    DisclosureBacklog,
)
from turnpoint.sharing.record import disclosure_write
from turnpoint.sharing.rows import append_rows

pytestmark = pytest.mark.django_db


def _values(obj, skip=("id",)):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields
            if f.attname not in skip}  # fmt: skip


def test_appended_rows_read_back_as_the_orm_stores_them(users):
    at = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
    acts = [
        {"at": at, "recipient_user_id": users["judge"].pk, "recipient_agency": "Crown Court",
         "categories": ["identity", "legal"], "purpose": "court_review",
         "legal_basis": "statute", "basis_reference": "Sentencing Act 2020",
         "notice_attached": True, "channel": "api", "request_id": "abc123"},
        {"at": at, "recipient_user_id": None, "recipient_agency": "Sheriff court",
         "categories": [], "purpose": "court_review", "legal_basis": "consent",
         "basis_reference": "consent 4", "notice_attached": False, "channel": "",
         "request_id": ""},
    ]  # fmt: skip
    ids = append_rows(DisclosureAct, acts, returning_id=True)
    DisclosureAct.objects.bulk_create(DisclosureAct(**a) for a in acts)  # the ORM's own insert
    stored = list(DisclosureAct.objects.order_by("id"))
    assert [a.pk for a in stored[:2]] == ids
    for ours, orm in zip(stored[:2], stored[2:], strict=True):
        assert _values(ours) == _values(orm)
    assert stored[0].at == at and stored[0].categories == ["identity", "legal"]
    assert stored[0].notice_attached is True and stored[1].recipient_user_id is None


def test_a_field_left_out_takes_its_model_default(users):
    (pk,) = append_rows(AuditEntry, [{"action": "read", "username": "someone"}],
                        returning_id=True)  # fmt: skip
    entry = AuditEntry.objects.get(pk=pk)
    assert entry.categories == [] and entry.detail == {} and entry.client_ip is None
    assert entry.at is not None


def test_an_unknown_field_is_refused_by_row_and_name_and_writes_nothing():
    good = {"categories": [], "purpose": "court_review", "legal_basis": "statute",
            "basis_reference": "x", "notice_attached": False}  # fmt: skip
    with pytest.raises(ValueError, match=r"DisclosureAct row 2: no such field colour"):
        append_rows(DisclosureAct, [good, {**good, "colour": "red"}])
    assert DisclosureAct.objects.count() == 0


def test_a_required_field_without_default_is_named(make_referral):
    with pytest.raises(ValueError, match=r"DisclosedParticipant.act: a value is required"):
        append_rows(DisclosedParticipant, [{"participant_id": make_referral().participant_id}])


def test_the_disclosure_view_cannot_be_written_through(make_referral, users):
    disclosure_write(recipient=users["judge"], participant_ids=[make_referral().participant_id],
                     categories=["legal"], purpose="court_review", legal_basis="statute",
                     basis_reference="Sentencing Act 2020", notice_attached=False)  # fmt: skip
    row = Disclosure.objects.get()
    with pytest.raises(TypeError, match="disclosure_write"):
        row.save()
    with pytest.raises(TypeError, match="never deleted"):
        row.delete()


def test_a_statement_fills_the_databases_parameter_limit_and_no_more():
    """As many rows as the database takes in one statement go in one (the database would refuse
    a statement over its limit); one more row needs a second statement. SQLite's limit is its
    compiled-in SQLITE_MAX_VARIABLE_NUMBER (32,766 since 3.32), PostgreSQL's 65,535."""
    width = len([f for f in DisclosureAct._meta.concrete_fields if not f.primary_key])
    fit = rows._max_params() // width
    assert fit * width > 999  # more than Django's conservative SQLite batch
    act = {"categories": [], "purpose": "court_review", "legal_basis": "statute",
           "basis_reference": "x", "notice_attached": False}  # fmt: skip
    for count, statements in ((fit, 1), (fit + 1, 2)):
        with CaptureQueriesContext(connection) as ctx:
            append_rows(DisclosureAct, [act] * count)
        assert [q["sql"][:6] for q in ctx.captured_queries] == ["INSERT"] * statements
    assert DisclosureAct.objects.count() == 2 * fit + 1


def test_an_audit_entry_saved_through_append_rows_keeps_the_chain(users):
    from turnpoint.sharing.audit import audit_write
    from turnpoint.sharing.verify import audit_verify

    first = audit_write(acting_user=users["judge"], action="read", categories=["legal"],
                        participant_ids=[3, 1])  # fmt: skip
    second = audit_write(acting_user=users["judge"], action="read", categories=["legal"])
    assert second.pk > first.pk and second.prev_hash == first.entry_hash
    assert not second._state.adding
    stored = AuditEntry.objects.get(pk=first.pk)
    assert stored.entry_hash == first.entry_hash == stored.compute_hash()
    assert stored.participant_ids == [1, 3]
    checked, problems = audit_verify()
    assert checked >= 2 and problems == []


def test_an_audit_entry_made_with_create_is_chained_and_update_options_are_refused(users):
    first = AuditEntry.objects.create(action="read", username="someone")
    second = AuditEntry.objects.create(action="read", username="someone else")
    assert second.prev_hash == first.entry_hash == AuditEntry.objects.get(pk=first.pk).entry_hash
    with pytest.raises(TypeError, match="inserted whole"):
        AuditEntry(action="read").save(update_fields=["action"])


@pytest.mark.django_db(transaction=True)
def test_an_act_is_not_left_without_its_participants_outside_a_transaction(make_referral, users):
    """Called in autocommit mode, a disclosure whose participants fail to be written leaves no
    act."""
    from audit_helpers import refusing_inserts
    from django.db import DatabaseError

    person = make_referral().participant
    with (
        refusing_inserts(DisclosureBacklog._meta.db_table, "disk full"),
        pytest.raises(DatabaseError, match="disk full"),
    ):
        disclosure_write(recipient=users["judge"], participant_ids=[person.pk],
                         categories=["legal"], purpose="court_review", legal_basis="statute",
                         basis_reference="Sentencing Act 2020", notice_attached=False)  # fmt: skip
    assert DisclosureAct.objects.count() == 0


def test_integer_columns_take_ints_as_given_and_convert_anything_else(users, make_referral):
    """The ids of a disclosure go in as they are; an id given as text is still converted by its
    field, so both rows read back the same."""
    person = make_referral().participant
    act = {"categories": [], "purpose": "court_review", "legal_basis": "statute",
           "basis_reference": "Sentencing Act 2020", "notice_attached": False}  # fmt: skip
    first, second = append_rows(DisclosureAct, [act, act], returning_id=True)
    append_rows(
        DisclosedParticipant,
        [
            {"act_id": first, "participant_id": person.pk},
            {"act_id": str(second), "participant_id": str(person.pk)},
        ],
    )
    assert rows._stores_int(DisclosedParticipant._meta.get_field("participant"))
    assert not rows._stores_int(DisclosureAct._meta.get_field("notice_attached"))
    stored = DisclosedParticipant.objects.order_by("act_id").values_list("act_id", "participant_id")
    assert list(stored) == [(first, person.pk), (second, person.pk)]
