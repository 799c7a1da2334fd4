"""Tampering with the audit log as an attacker who got past its triggers would (SEC-21 tests)."""

import contextlib
from io import StringIO

from django.core.management import call_command
from django.db import connection

from turnpoint.sharing import append_only


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@contextlib.contextmanager
def triggers_off():
    """The append-only triggers off, as a PostgreSQL superuser or whoever edits the SQLite file
    could do. Used inside a test's transaction, so the change is rolled back with it anyway."""
    if connection.vendor == "postgresql":
        off = ["SET session_replication_role = replica"]  # no user triggers fire
        on = ["SET session_replication_role = DEFAULT"]
    else:
        off = append_only.uninstall_statements(connection.vendor)
        on = append_only.install_statements(connection.vendor)
    for sql in off:
        raw(sql)
    try:
        yield
    finally:
        for sql in on:
            raw(sql)


def verify(*args) -> str:
    out = StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


@contextlib.contextmanager
def refusing_inserts(table: str, message: str):
    """The database refuses every INSERT into `table` with `message` for the block, as a full
    disk or a broken constraint would: a trigger, so the refusal comes from the database however
    the row is written (one statement or several, through the ORM or not)."""
    if connection.vendor == "postgresql":
        raw(
            "CREATE FUNCTION test_refuse_insert() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$"
        )
        raw(
            f"CREATE TRIGGER test_refuse_insert BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION test_refuse_insert()"
        )
        undo = [f"DROP TRIGGER test_refuse_insert ON {table}", "DROP FUNCTION test_refuse_insert()"]
    else:
        raw(
            f"CREATE TRIGGER test_refuse_insert BEFORE INSERT ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )
        undo = ["DROP TRIGGER test_refuse_insert"]
    try:
        yield
    finally:
        for sql in undo:
            raw(sql)
