"""Writing audit entries and disclosure acts with ordinary Django: chained, all or nothing, and
the disclosure view never written through."""

import pytest

from turnpoint.sharing.models import (
    AuditEntry,
    Disclosure,
    DisclosureAct,
    DisclosureBacklog,
)
from turnpoint.sharing.record import disclosure_write

pytestmark = pytest.mark.django_db


def _values(obj, skip=("id",)):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields
            if f.attname not in skip}  # fmt: skip


def test_the_disclosure_view_cannot_be_written_through(make_referral, users):
    disclosure_write(recipient=users["judge"], participant_ids=[make_referral().participant_id],
                     categories=["legal"], purpose="court_review", legal_basis="statute",
                     basis_reference="Sentencing Act 2020", notice_attached=False)  # fmt: skip
    row = Disclosure.objects.get()
    with pytest.raises(TypeError, match="disclosure_write"):
        row.save()
    with pytest.raises(TypeError, match="never deleted"):
        row.delete()


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
