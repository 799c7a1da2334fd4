"""`turnpoint audit verify` detects tampering with the hash-chained log (security.md SEC-21)."""

import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.models import AuditEntry


def verify() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


@pytest.fixture
def log(db):
    for i in range(6):
        audit_write(acting_user=None, action="read", participant_ids=[i], detail={"n": i})
    return list(AuditEntry.objects.order_by("id").values_list("id", flat=True))


def raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_sec_21_intact_chain_verifies(log):
    assert "6 entries, chain intact" in verify()


def test_sec_21_altered_entry_is_detected(log):
    raw("UPDATE sharing_auditentry SET username = %s WHERE id = %s", ["mallory", log[2]])
    with pytest.raises(CommandError, match=f"entry {log[2]}: its content was changed"):
        verify()


def test_sec_21_deleted_entry_is_detected(log):
    raw("DELETE FROM sharing_auditentry WHERE id = %s", [log[3]])
    with pytest.raises(CommandError, match=f"entry {log[4]}: does not follow"):
        verify()


def test_sec_21_reordered_entries_are_detected(log):
    a, b = (AuditEntry.objects.get(pk=pk) for pk in (log[1], log[2]))
    for target, source in ((a, b), (b, a)):
        raw(
            "UPDATE sharing_auditentry SET participant_ids = %s, detail = %s, prev_hash = %s, "
            "entry_hash = %s WHERE id = %s",
            [f"[{source.participant_ids[0]}]", f"{{\"n\": {source.detail['n']}}}",
             source.prev_hash, source.entry_hash, target.pk],
        )  # fmt: skip
    with pytest.raises(CommandError, match="does not follow"):
        verify()


def test_sec_21_bulk_written_entries_join_the_chain(log):
    AuditEntry.objects.bulk_create(AuditEntry(action="read", detail={"b": i}) for i in range(3))
    assert "9 entries, chain intact" in verify()


@pytest.mark.django_db(transaction=True)
def test_sec_21_concurrent_writers_make_one_chain():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers itself; the advisory lock is PostgreSQL's")

    def write(n):
        for i in range(5):
            audit_write(acting_user=None, action="read", detail={"writer": n, "i": i})
        connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert AuditEntry.objects.count() == 100
    assert "100 entries, chain intact" in verify()
