"""Triggers that raise `ReferralsVersion.version` whenever referrals are added, removed, or
moved to another participant or programme, so a caseload count cached under one version is
known to be stale under the next (`policy.caseload_count`).

In the database, not in the model's `save()`: bulk loads, raw SQL and `QuerySet.update()`
change referrals without calling it. PostgreSQL raises it once per statement; SQLite, which has
no statement triggers, once per row. Django rebuilds an SQLite table to alter it, which drops
its triggers: a migration that alters the referrals table must call `install_triggers` again
(`test_every_change_to_the_referrals_raises_their_version` fails if it does not).
"""

TABLE = "journeys_referral"
_EVENTS = ("INSERT", "DELETE", "UPDATE OF participant_id, programme_id")

# The table names are written out: these statements hold no value from outside.
_RAISE = "UPDATE journeys_referralsversion SET version = version + 1 WHERE id = 1;"
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION turnpoint_referrals_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE journeys_referralsversion SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END
$$
"""


def install_statements(vendor: str) -> list[str]:
    """The version's one row, then the triggers."""
    if vendor not in ("postgresql", "sqlite"):
        return []
    first = ["INSERT INTO journeys_referralsversion (id, version) VALUES (1, 0)"]
    return first + trigger_statements(vendor)


def trigger_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [_PG_FUNCTION] + [
            f"CREATE TRIGGER {TABLE}_changed_{n} AFTER {event} ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION turnpoint_referrals_changed()"
            for n, event in enumerate(_EVENTS)
        ]
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER {TABLE}_changed_{n} AFTER {event} ON {TABLE} BEGIN {_RAISE} END"
            for n, event in enumerate(_EVENTS)
        ]
    return []


def uninstall_statements(vendor: str) -> list[str]:
    statements = ["DELETE FROM journeys_referralsversion"]
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {TABLE}_changed_{n} ON {TABLE}" for n in range(3)] + [
            "DROP FUNCTION IF EXISTS turnpoint_referrals_changed()",
            *statements,
        ]
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {TABLE}_changed_{n}" for n in range(3)] + statements
    return []


def install(apps, schema_editor) -> None:
    """Migration step (RunPython): the version's one row and the triggers."""
    for sql in install_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)


def install_triggers(apps, schema_editor) -> None:
    """Migration step for a migration that rebuilt the referrals table on SQLite."""
    for sql in trigger_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)


def uninstall(apps, schema_editor) -> None:
    for sql in uninstall_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)
