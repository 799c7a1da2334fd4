"""Triggers that raise `ReferralsVersion.version` whenever referrals are added, removed, or
moved to another participant or programme, so a caseload count cached under one version is
known to be stale under the next (`policy.caseload_count`).

In the database, not in the model's `save()`: bulk loads, raw SQL and `QuerySet.update()`
change referrals without calling it. PostgreSQL raises it once per statement; SQLite, which has
no statement triggers, once per row. Django rebuilds an SQLite table to alter it, which drops
its triggers: a migration that alters the referrals table must call `install_triggers` again
(`test_every_change_to_the_referrals_raises_their_version` fails if it does not).

The row starts at the time in microseconds, not at 0, and `turnpoint flush` puts it back the
same way (`restore_row`): a database emptied and filled again, or a new one, never repeats a
version that a running server may still hold a count under.
"""

import time

TABLE = "journeys_referral"
_EVENTS = ("INSERT", "DELETE", "UPDATE OF participant_id, programme_id")

# The table names are written out: these statements hold no value from outside.
_RAISE = "UPDATE journeys_referralsversion SET version = version + 1 WHERE id = 1;"
_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION turnpoint_referrals_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_RAISE}
    RETURN NULL;
END
$$
"""


# Put the one row in unless it is there (a cancelled flush leaves it).
_FIRST_ROW = (
    "INSERT INTO journeys_referralsversion (id, version) SELECT 1, %s "
    "WHERE NOT EXISTS (SELECT 1 FROM journeys_referralsversion WHERE id = 1)"
)


def _start() -> int:
    return time.time_ns() // 1000


def restore_row(connection) -> None:
    """After `turnpoint flush` has emptied every table: the version's row again."""
    if connection.vendor in ("postgresql", "sqlite"):
        with connection.cursor() as cursor:
            cursor.execute(_FIRST_ROW, [_start()])


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
    if vendor == "postgresql":
        drops = [
            f"DROP TRIGGER IF EXISTS {TABLE}_changed_{n} ON {TABLE}" for n in range(len(_EVENTS))
        ]
        drops.append("DROP FUNCTION IF EXISTS turnpoint_referrals_changed()")
    elif vendor == "sqlite":
        drops = [f"DROP TRIGGER IF EXISTS {TABLE}_changed_{n}" for n in range(len(_EVENTS))]
    else:
        return []
    return [*drops, "DELETE FROM journeys_referralsversion"]


def install(apps, schema_editor) -> None:
    """Migration step (RunPython): the version's one row and the triggers."""
    if schema_editor.connection.vendor in ("postgresql", "sqlite"):
        schema_editor.execute(_FIRST_ROW, [_start()])
    install_triggers(apps, schema_editor)


def install_triggers(apps, schema_editor) -> None:
    """Migration step for a migration that rebuilt the referrals table on SQLite."""
    for sql in trigger_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)


def uninstall(apps, schema_editor) -> None:
    for sql in uninstall_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql)
