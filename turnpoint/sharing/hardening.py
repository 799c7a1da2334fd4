"""The PostgreSQL privileges of the application's role (security.md SEC-21, docs/sharing.md).

Production runs with two roles: an owner that runs `turnpoint migrate` (it owns the tables, so
it may TRUNCATE, drop or alter them, and could disable triggers) and the application's role,
which the web and API processes use. `turnpoint audit harden --role APP` grants the application
role SELECT, INSERT, UPDATE and DELETE on Turnpoint's tables except the audit tables, where it
gets SELECT and INSERT only: no UPDATE, DELETE, TRUNCATE, TRIGGER or REFERENCES. Run it (as the
owner) after every `turnpoint migrate`, since new tables need their grants.
"""

from django.db import connection

from .append_only import TABLES as AUDIT_TABLES


def harden_statements(role: str) -> tuple[list[str], list[str]]:
    """The GRANT and REVOKE statements for `role`, or the reasons they cannot be made."""
    if connection.vendor != "postgresql":
        return [], [
            "--role: database roles and privileges are PostgreSQL's; on SQLite the audit "
            "tables' triggers refuse UPDATE and DELETE and there is nothing to grant"
        ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            return [], [f"--role: there is no database role named {role!r}"]
        if row[0]:
            return [], [
                f"--role: {role!r} is a superuser, which bypasses every privilege and can "
                "disable triggers; the application needs an ordinary role"
            ]
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname = ANY(%s) "
            "AND relnamespace = current_schema()::regnamespace",
            [list(AUDIT_TABLES)],
        )
        if len(cursor.fetchall()) != len(AUDIT_TABLES):
            return [], ["the audit tables do not exist yet: run `turnpoint migrate` first"]
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) "
            "AND relnamespace = current_schema()::regnamespace "
            "AND pg_has_role(%s, relowner, 'USAGE')",
            [list(AUDIT_TABLES), role],
        )
        if cursor.fetchall():
            return [], [
                f"--role: {role!r} owns the audit tables (or belongs to their owner), so it "
                "could disable their triggers and grant itself UPDATE and DELETE; run "
                "migrations as another role (docs/sharing.md)"
            ]
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]

    q = connection.ops.quote_name
    who = q(role)
    audit = ", ".join(AUDIT_TABLES)
    tables = sorted(
        set(connection.introspection.django_table_names(only_existing=True, include_views=False))
        - set(AUDIT_TABLES)
    )
    return [
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {audit} FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA {q(schema)} TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(q(t) for t in tables)} TO {who}",
        f"GRANT SELECT ON django_migrations TO {who}",
        f"GRANT SELECT, INSERT ON {audit} TO {who}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {audit} FROM {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q(schema)} TO {who}",
    ], []
