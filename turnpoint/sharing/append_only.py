"""Database triggers that refuse UPDATE and DELETE of audit rows (security.md SEC-21).

The ORM already refuses (`AppendOnlyError`); these triggers refuse raw SQL too, for every role,
the table owner included:

- PostgreSQL: a row-level BEFORE UPDATE OR DELETE trigger raises `insufficient_privilege`.
  TRUNCATE fires no row trigger: it is left to privileges. The application's role has no
  TRUNCATE right (`turnpoint audit harden --role ROLE`); the owner role that runs migrations
  keeps it, which is how `turnpoint flush` and the test suite's flush empty the database.
- SQLite: BEFORE UPDATE and BEFORE DELETE triggers raise. SQLite has no TRUNCATE, so
  `turnpoint flush` (which empties every table) deletes rows; the DELETE trigger lets that
  through only while `clearing()` is on in this process, through the SQL function
  `turnpoint_audit_clearing()` that Turnpoint registers on each of its connections. A
  connection without that function (the `sqlite3` shell, another program) cannot delete at all.

Django rebuilds an SQLite table to alter it, which drops its triggers: a migration that alters
these tables must call `install` again (tests/test_audit_append_only.py fails if it does not).
"""

import contextlib
import threading

TABLES = ("sharing_auditentry", "sharing_auditcheckpoint")
_state = threading.local()


class AppendOnlyError(Exception):
    """An update or delete of an audit entry or checkpoint was attempted through Django."""


def _clearing_now() -> int:
    return int(getattr(_state, "on", False))


@contextlib.contextmanager
def clearing():
    """Let this thread empty the audit tables on SQLite; only `turnpoint flush` uses it."""
    _state.on = True
    try:
        yield
    finally:
        _state.on = False


def register_sqlite_function(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: give each SQLite connection the clearing switch."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("turnpoint_audit_clearing", 0, _clearing_now)


_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION turnpoint_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'the audit log is append-only: ' || TG_OP || ' on ' || TG_TABLE_NAME
            || ' is refused',
        ERRCODE = 'insufficient_privilege';
END
$$
"""


def install_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [_PG_FUNCTION] + [
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION turnpoint_audit_append_only()"
            for table in TABLES
        ]
    if vendor == "sqlite":
        statements = []
        for table in TABLES:
            statements.append(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN "
                f"SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE on {table} "
                "is refused'); END"
            )
            statements.append(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                "WHEN NOT turnpoint_audit_clearing() BEGIN "
                f"SELECT RAISE(ABORT, 'the audit log is append-only: DELETE on {table} "
                "is refused'); END"
            )
        return statements
    return []


def uninstall_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}" for t in TABLES] + [
            "DROP FUNCTION IF EXISTS turnpoint_audit_append_only()"
        ]
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {t}_{op}" for t in TABLES for op in ("no_update", "no_delete")
        ]
    return []


def install(apps, schema_editor) -> None:
    """Migration step (RunPython) that creates the triggers."""
    for sql in install_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)


def uninstall(apps, schema_editor) -> None:
    for sql in uninstall_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)
