"""PostgreSQL: each participant's row carries the programme of their latest referral (by referral
date, then id), kept by triggers on the referrals, so a list of participants across agencies
reaches most of its rows and finds the programme they are shown for without reading the
referrals at all (`disclosures.LatestProgrammeJoin`; decision 0011).

The column `people_participant.latest_programme_id` is not a field of `Participant`: only these
triggers write it. A model field would be written back by every `save()` with whatever the
instance held when it was read, which may be older than a referral added since.

What a reader may rely on: the column is NULL or the programme of the participant's latest
referral as of the reader's snapshot. Its only use is as a shortcut in one direction. When it
is one of the user's programmes, that programme is also the latest among the user's
programmes, and the participant is within reach. Otherwise the reader asks the referrals as
before. A participant with no referral, or one whose row was written before the triggers
existed and not filled in since, is NULL and is read the long way.

How the triggers keep it true:

- after every statement that adds or removes referrals, or moves one to another participant or
  programme or changes its referral date, the participants it touched are written again from
  their referrals (one statement, whatever the number of rows: `turnpoint synth` adds
  100,000 referrals in a few statements);
- they lock those participants' rows first, in id order, and only then read the referrals: in
  READ COMMITTED each statement of the trigger's function takes a new snapshot, so a trigger
  that had to wait for another transaction's lock sees that transaction's referrals once it
  has committed, and the last writer writes from everything committed. In REPEATABLE READ and
  SERIALIZABLE the lock fails with a serialisation error instead: the statement fails, and
  nothing stale is written;
- the row is written only where the programme changed.

SQLite keeps the same column with row triggers (`sqlite_statements`; decision 0011, amended in
the eleventh round of docs/benchmarks.md): after each referral added or removed, and after each
one whose participant, programme, date or id changed, the participants it names are written
again from their referrals, where the programme changed. SQLite runs one writer at a time, so
there is nothing to lock. There the column answers both a list's programme (`LatestProgramme`)
and its reach (`policy.ReferredTo`), each falling back to the referrals where it is not one of
the reader's programmes. Django rebuilds an SQLite table to alter it: a migration that alters
`people_participant` loses the column, and one that alters `journeys_referral` loses the
triggers; either must call `install_sqlite` again (every query that reads the column fails
without it, and `test_the_kept_programme_follows_every_change_to_the_referrals` fails without
the triggers).
"""

TABLE = "journeys_referral"
PARTICIPANTS = "people_participant"
COLUMN = "latest_programme_id"

# (trigger name suffix, event, the transition tables it names)
_TRIGGERS = (
    ("insert", "INSERT", "REFERENCING NEW TABLE AS new_rows"),
    ("delete", "DELETE", "REFERENCING OLD TABLE AS old_rows"),
    ("update", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
)


def _latest_of(participant_id: str) -> str:
    """The programme of the latest referral (by referral date, then id: the order
    `disclosures._latest_programme_sql` reads, which must stay the same) of `participant_id`."""
    return (
        f"(SELECT r.programme_id FROM {TABLE} r WHERE r.participant_id = {participant_id} "  # noqa: S608
        "ORDER BY r.referral_date DESC, r.id DESC LIMIT 1)"
    )


# The names are written out: these statements hold no value from outside.
_WRITE = f"""
    IF touched IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM {PARTICIPANTS} WHERE id = ANY(touched) ORDER BY id FOR UPDATE;
    UPDATE {PARTICIPANTS} p SET {COLUMN} = latest.programme_id
    FROM (SELECT t.id, {_latest_of("t.id")} AS programme_id FROM unnest(touched) AS t (id)) latest
    WHERE p.id = latest.id AND p.{COLUMN} IS DISTINCT FROM latest.programme_id;
    RETURN NULL;
"""  # noqa: S608


def _function(name: str, touched: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched bigint[];
BEGIN
    SELECT array_agg(DISTINCT participant_id ORDER BY participant_id) INTO touched
    FROM ({touched}) AS rows WHERE participant_id IS NOT NULL;
    {_WRITE}
END
$$
"""  # noqa: S608


_FUNCTIONS = {
    "insert": _function("turnpoint_latest_programme_insert", "SELECT participant_id FROM new_rows"),
    "delete": _function("turnpoint_latest_programme_delete", "SELECT participant_id FROM old_rows"),
    # Only rows whose participant, programme or date changed (or whose id did): a referral's
    # every transition updates its row, and those leave the latest programme as it was.
    "update": _function(
        "turnpoint_latest_programme_update",
        "SELECT unnest(ARRAY[o.participant_id, n.participant_id]) AS participant_id "
        "FROM old_rows o FULL JOIN new_rows n ON n.id = o.id "
        "WHERE o.id IS NULL OR n.id IS NULL "
        "OR (o.participant_id, o.programme_id, o.referral_date) "
        "IS DISTINCT FROM (n.participant_id, n.programme_id, n.referral_date)",
    ),
}

_FILL = f"UPDATE {PARTICIPANTS} p SET {COLUMN} = {_latest_of('p.id')}"  # noqa: S608


def install_statements() -> list[str]:
    """PostgreSQL: the column, the triggers, and every participant's programme filled in."""
    statements = [f"ALTER TABLE {PARTICIPANTS} ADD COLUMN {COLUMN} bigint NULL"]
    for suffix, event, referencing in _TRIGGERS:
        statements.append(_FUNCTIONS[suffix])
        statements.append(
            f"CREATE TRIGGER {TABLE}_latest_programme_{suffix} AFTER {event} ON {TABLE} "
            f"{referencing} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION turnpoint_latest_programme_{suffix}()"
        )
    statements.append(_FILL)
    return statements


def uninstall_statements() -> list[str]:
    statements = []
    for suffix, _, _ in _TRIGGERS:
        statements.append(f"DROP TRIGGER IF EXISTS {TABLE}_latest_programme_{suffix} ON {TABLE}")
        statements.append(f"DROP FUNCTION IF EXISTS turnpoint_latest_programme_{suffix}()")
    statements.append(f"ALTER TABLE {PARTICIPANTS} DROP COLUMN IF EXISTS {COLUMN}")
    return statements


def _sqlite_write(participant: str) -> str:
    """SQLite: write `participant`'s row again from their referrals, where it changed."""
    latest = _latest_of(participant)
    # The names are written out: these statements hold no value from outside.
    return (
        f"UPDATE {PARTICIPANTS} SET {COLUMN} = {latest} "  # noqa: S608
        f"WHERE id = {participant} AND {COLUMN} IS NOT {latest};"
    )


# Only rows whose participant, programme or date changed (or whose id did): a referral's every
# transition saves its row, and those leave the latest programme as it was.
_SQLITE_MOVED = (
    "OLD.id IS NOT NEW.id OR OLD.participant_id IS NOT NEW.participant_id "
    "OR OLD.programme_id IS NOT NEW.programme_id OR OLD.referral_date IS NOT NEW.referral_date"
)


def sqlite_statements(*, with_column: bool = True) -> list[str]:
    """SQLite: the column (unless it is there), its row triggers where they are missing, and
    every participant's programme filled in."""
    column = f"ALTER TABLE {PARTICIPANTS} ADD COLUMN {COLUMN} bigint NULL"
    return [
        *([column] if with_column else []),
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_latest_programme_insert AFTER INSERT ON {TABLE} "
        f"BEGIN {_sqlite_write('NEW.participant_id')} END",
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_latest_programme_delete AFTER DELETE ON {TABLE} "
        f"BEGIN {_sqlite_write('OLD.participant_id')} END",
        f"CREATE TRIGGER IF NOT EXISTS {TABLE}_latest_programme_update AFTER UPDATE ON {TABLE} "
        f"WHEN {_SQLITE_MOVED} "
        f"BEGIN {_sqlite_write('OLD.participant_id')} {_sqlite_write('NEW.participant_id')} END",
        f"UPDATE {PARTICIPANTS} SET {COLUMN} = {_latest_of(PARTICIPANTS + '.id')}",  # noqa: S608
    ]


def sqlite_uninstall_statements() -> list[str]:
    statements = [
        f"DROP TRIGGER IF EXISTS {TABLE}_latest_programme_{suffix}" for suffix, _, _ in _TRIGGERS
    ]
    statements.append(f"ALTER TABLE {PARTICIPANTS} DROP COLUMN {COLUMN}")
    return statements


def install_sqlite(apps, schema_editor) -> None:
    """Migration step (RunPython), SQLite only: what is missing of the column and its triggers,
    then the column filled in. Call it again after a migration that rebuilds either table."""
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            columns = connection.introspection.get_table_description(cursor, PARTICIPANTS)
        with_column = COLUMN not in {c.name for c in columns}
        for sql in sqlite_statements(with_column=with_column):
            schema_editor.execute(sql)


def uninstall_sqlite(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for sql in sqlite_uninstall_statements():
            schema_editor.execute(sql)


def install(apps, schema_editor) -> None:
    """Migration step (RunPython), PostgreSQL only."""
    if schema_editor.connection.vendor == "postgresql":
        for sql in install_statements():
            schema_editor.execute(sql)


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in uninstall_statements():
            schema_editor.execute(sql)
