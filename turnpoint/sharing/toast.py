"""How PostgreSQL stores the long lists that a read of a whole list records.

A read of a 1,000-row list writes the participants' ids into its audit row (and, for the
referrals list, the referrals' ids into its detail) and, across agencies, into its disclosure
act's backlog row: JSON values of several kilobytes, which PostgreSQL compresses (TOAST) as it
writes them, inside the read's own statement. With pglz, the default, that compression was a
measurable part of the statement; lz4 (PostgreSQL 14 and later, when the server is built with
it, as Debian's is) does the same work faster, for about a quarter more bytes. Measured here
(PostgreSQL 15): 2,000 lists of 1,000 ids (8 KB of JSON each) inserted in 1.0-1.4 s with pglz
and 0.8-1.0 s with lz4, so 0.1-0.2 ms less a value; the cross-agency referrals list, whose
statement writes three such values, spent 3.9 ms in it on average with lz4 against 4.5 with
pglz (three alternations of 50 requests each; docs/benchmarks.md, "The sixth round"). Values
written before keep their pglz compression; both read back alike.

Set per column, so nothing else in the database changes, and only where the server lists lz4
among its compression methods: on a server without it the columns keep pglz and nothing fails.
"""

# (table, column) of the values a read writes long lists into.
LISTS = (
    ("sharing_auditentry", "participant_ids"),
    ("sharing_auditentry", "detail"),
    ("sharing_disclosurebacklog", "participant_ids"),
)


def lz4_available(connection) -> bool:
    """Does this PostgreSQL server compress with lz4?"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def _set(schema_editor, method: str) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or not lz4_available(connection):
        return
    q = connection.ops.quote_name
    for table, column in LISTS:
        # Names from this module; the method is one of two literals.
        schema_editor.execute(
            f"ALTER TABLE {q(table)} ALTER COLUMN {q(column)} SET COMPRESSION {method}"
        )


def compress_lists(apps, schema_editor) -> None:
    """Migration step (RunPython): lz4 for the lists' columns, where the server has it."""
    _set(schema_editor, "lz4")


def uncompress_lists(apps, schema_editor) -> None:
    """Reversed: the server's default compression again."""
    _set(schema_editor, "default")
