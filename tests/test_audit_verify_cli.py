"""`turnpoint audit verify` detects tampering with the hash-chained log (security.md SEC-21)."""

import pytest
from audit_helpers import raw, triggers_off, verify
from django.core.management import CommandError

from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.models import AuditEntry


@pytest.fixture
def log(db):
    for i in range(6):
        audit_write(acting_user=None, action="read", participant_ids=[i], detail={"n": i})
    return list(AuditEntry.objects.order_by("id").values_list("id", flat=True))


def test_sec_21_intact_chain_verifies(log):
    assert "6 entries, chain intact" in verify()


def test_sec_21_altered_entry_is_detected(log):
    with triggers_off():
        raw("UPDATE sharing_auditentry SET username = %s WHERE id = %s", ["mallory", log[2]])
    with pytest.raises(CommandError, match=f"entry {log[2]}: its content was changed"):
        verify()


def test_sec_21_deleted_entry_is_detected(log):
    with triggers_off():
        raw("DELETE FROM sharing_auditentry WHERE id = %s", [log[3]])
    with pytest.raises(CommandError, match=f"entry {log[4]}: does not follow"):
        verify()


def test_sec_21_reordered_entries_are_detected(log):
    a, b = (AuditEntry.objects.get(pk=pk) for pk in (log[1], log[2]))
    with triggers_off():
        for target, source in ((a, b), (b, a)):
            raw(
                "UPDATE sharing_auditentry SET participant_ids = %s, detail = %s, "
                "prev_hash = %s, entry_hash = %s WHERE id = %s",
                [f"[{source.participant_ids[0]}]", f"{{\"n\": {source.detail['n']}}}",
                 source.prev_hash, source.entry_hash, target.pk],
            )  # fmt: skip
    with pytest.raises(CommandError, match="does not follow"):
        verify()


def test_sec_21_bulk_written_entries_join_the_chain(log):
    AuditEntry.objects.bulk_create(AuditEntry(action="read", detail={"b": i}) for i in range(3))
    assert "9 entries, chain intact" in verify()
