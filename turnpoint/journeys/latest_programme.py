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

SQLite has no such column: its lists ask the referrals for every row (`LatestProgramme`).
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


def install(apps, schema_editor) -> None:
    """Migration step (RunPython), PostgreSQL only."""
    if schema_editor.connection.vendor == "postgresql":
        for sql in install_statements():
            schema_editor.execute(sql)


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in uninstall_statements():
            schema_editor.execute(sql)
