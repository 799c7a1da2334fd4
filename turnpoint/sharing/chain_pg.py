"""Appending audit entries to the chain on PostgreSQL in one statement.

A chained append takes the chain lock, reads the newest entry's hash, hashes each new entry
after it and inserts them. Written as separate statements from Python that is five round trips
to the server for one audited read (BEGIN, the advisory lock, the newest hash, the INSERT,
COMMIT), about 1.7 ms of the participant page on this project's machines against 0.4 ms for the
whole append on SQLite (docs/benchmarks.md). `turnpoint_audit_append` does the same steps inside
the server, so an append is one statement: outside a transaction it is its own, inside one
(a read that crosses agencies, a change) it joins it and holds the lock until that commits.

What it computes is what `models._append_chained` computes on SQLite: the entry's hash is
SHA-256 over the previous hash followed by the entry's canonical JSON, which Python makes
(`AuditEntry.canonical`, the one definition, also used by `turnpoint audit verify`) and sends
with the row. Python checks each returned hash against its own before trusting it.

Safe under concurrency for the same reason as before: the advisory lock is taken before the
newest hash is read, and in READ COMMITTED each statement of a PL/pgSQL function reads with a
new snapshot, so the read after the lock sees every entry committed by the writer before.
The function inserts every column of the table from the row sent (the key from the table's own
sequence), so a column the model gains is written without changing it; the caller sends every
concrete field.
"""

import datetime
import json

_CREATE = """
CREATE OR REPLACE FUNCTION turnpoint_audit_append(entries jsonb, lock_key bigint)
RETURNS TABLE (after_id bigint, new_id bigint, new_prev_hash text, new_entry_hash text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    head_id bigint;
    head_hash text;
    item jsonb;
    r sharing_auditentry;
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    SELECT a.id, a.entry_hash INTO head_id, head_hash
        FROM sharing_auditentry a ORDER BY a.id DESC LIMIT 1;
    IF head_id IS NULL THEN
        head_id := 0;
        head_hash := repeat('0', 64);
    END IF;
    after_id := head_id;
    FOR item IN SELECT value FROM jsonb_array_elements(entries) LOOP
        r := jsonb_populate_record(NULL::sharing_auditentry, item -> 'row');
        r.id := nextval(pg_get_serial_sequence('sharing_auditentry', 'id'));
        r.prev_hash := head_hash;
        r.entry_hash := encode(
            sha256(convert_to(head_hash || (item ->> 'canonical'), 'UTF8')), 'hex');
        INSERT INTO sharing_auditentry SELECT r.*;
        new_id := r.id;
        new_prev_hash := r.prev_hash;
        new_entry_hash := r.entry_hash;
        RETURN NEXT;
        head_hash := r.entry_hash;
    END LOOP;
END
$$
"""


def install(apps, schema_editor) -> None:
    """Migration step (RunPython): create the function on PostgreSQL; nothing elsewhere."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_CREATE)


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS turnpoint_audit_append(jsonb, bigint)")


def _json_value(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def append(
    entries, canonicals: list[str], names: list[str], lock_key: int, *, also=None
) -> tuple[int, list[tuple[int, str, str]]]:
    """Insert `entries` after the newest one in one statement: (the id they follow, then for
    each its (id, previous hash, hash)). `canonicals` are their `AuditEntry.canonical()`, `names`
    the attnames of the columns to send.

    `also`: (common table expressions, their parameters) of other writes to make in the same
    statement. PostgreSQL runs a data-modifying expression to completion whether or not the
    statement reads it, and the statement is one transaction: all of it is written, or none."""
    from django.db import connection

    sql, params = statement(entries, canonicals, names, lock_key, also=also)
    with connection.cursor() as cursor:  # the entries' values go as one bound parameter
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return appended(rows)


def statement(entries, canonicals: list[str], names: list[str], lock_key: int, *,
              also=None) -> tuple[str, list]:  # fmt: skip
    """`append`'s statement and its parameters, for sending ahead (`ahead.send`)."""
    payload = json.dumps(
        [
            {"row": {n: _json_value(getattr(e, n)) for n in names}, "canonical": canonical}
            for e, canonical in zip(entries, canonicals, strict=True)
        ],
        separators=(",", ":"),
    )
    sql, params = "SELECT * FROM turnpoint_audit_append(%s::jsonb, %s)", [payload, lock_key]
    if also is not None:
        ctes, also_params = also
        sql, params = f"WITH {ctes} {sql}", [*also_params, *params]
    return sql, params


def appended(rows) -> tuple[int, list[tuple[int, str, str]]]:
    """`append`'s answer from the statement's rows (as returned, or as text when it was sent
    ahead): the id the entries follow, then each entry's (id, previous hash, hash)."""
    return int(rows[0][0]), [(int(pk), prev, digest) for _, pk, prev, digest in rows]
