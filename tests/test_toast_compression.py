"""The long lists a read records are compressed with lz4 on a PostgreSQL server that has it
(turnpoint/sharing/toast.py), and read back whole."""

import pytest
from django.db import connection

from turnpoint.sharing import toast

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="column compression: PostgreSQL"
)


def _methods() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, a.attname, a.attcompression FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE (c.relname, a.attname) IN "
            "(('sharing_auditentry', 'participant_ids'), ('sharing_auditentry', 'detail'), "
            "('sharing_disclosurebacklog', 'participant_ids'), "
            "('sharing_auditentry', 'categories'))"
        )
        return {(table, column): method for table, column, method in cursor.fetchall()}


def test_the_lists_a_read_records_are_compressed_with_lz4_and_nothing_else_is(db):
    """lz4 where the server has it (Debian's PostgreSQL does), the default where it has not."""
    lz4 = toast.lz4_available(connection)
    methods = _methods()
    for table, column in toast.LISTS:
        assert methods[(table, column)] == ("l" if lz4 else ""), (table, column)
    assert methods[("sharing_auditentry", "categories")] == ""  # the server's default


def test_a_thousand_participants_read_back_whole_from_an_lz4_column(db, coordinator):
    from turnpoint.sharing.audit import audit_write
    from turnpoint.sharing.categories import Category
    from turnpoint.sharing.models import AuditEntry

    ids = list(range(1, 1001))
    audit_write(
        acting_user=coordinator, action="read", participant_ids=ids,
        categories=[Category.IDENTITY], detail={"referral_ids": ids},
    )  # fmt: skip
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.participant_ids == ids and entry.detail == {"referral_ids": ids}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(participant_ids) FROM sharing_auditentry WHERE id = %s",
            [entry.pk],
        )
        assert cursor.fetchone()[0] == ("lz4" if toast.lz4_available(connection) else "pglz")
