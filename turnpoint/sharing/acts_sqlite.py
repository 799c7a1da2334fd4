"""SQLite: a read's disclosure acts and their backlog rows written by one statement.

A read that crosses agencies writes each act and one backlog row naming the act's participants
(decision 0008). The backlog row needs the act's new id, so on SQLite that was a transaction of
its own: `BEGIN`, the acts' `INSERT ... RETURNING`, the backlog's `INSERT`, `COMMIT`, four
statements through Django's cursor for every court's list of participants (docs/benchmarks.md,
"The twelfth round"). PostgreSQL writes both as one statement with data-modifying common table
expressions (`disclosures._acts_write_statement`), which SQLite does not have.

Here the same is one statement through a view: `INSERT INTO sharing_disclosureact_written`
(the act's columns and `participant_ids`) fires the view's `INSTEAD OF INSERT` trigger once a
row, which inserts the act and then its backlog row with the act's id as `last_insert_rowid()`
(inside a trigger that is the row the trigger inserted last). A statement is atomic on SQLite,
its triggers' writes included: the acts and their backlog rows are all written, or none is.
Nothing is skipped: the tables' own triggers fire on the inserts the view's trigger makes.

The view's trigger names the act's columns. A migration that adds, removes or renames a column
of `sharing_disclosureact` or `sharing_disclosurebacklog` must call `install` again (it drops
and recreates both from the model's fields at that migration); until it does, every read across
agencies fails on SQLite rather than writing a partial record, and
`tests/test_disclosures.py::test_sec_13_a_read_on_sqlite_writes_its_acts_and_their_backlog_in_one_statement`
fails.
"""

from functools import lru_cache

VIEW = "sharing_disclosureact_written"
ACTS = "sharing_disclosureact"
BACKLOG = "sharing_disclosurebacklog"
IDS = "participant_ids"


def act_columns(model) -> list[str]:
    """The columns of an act that a read writes: every concrete one but its id."""
    return [f.column for f in model._meta.concrete_fields if not f.primary_key]


_DROP = [f"DROP TRIGGER IF EXISTS {VIEW}_insert", f"DROP VIEW IF EXISTS {VIEW}"]


def statements(columns: list[str]) -> list[str]:
    """The view and its trigger for an act of `columns`, dropping any earlier ones first."""
    listed = ", ".join(columns)
    new = ", ".join(f"NEW.{c}" for c in columns)
    # Names from the model; these statements hold no value from outside.
    return [
        *_DROP,
        f"CREATE VIEW {VIEW} AS SELECT {listed}, NULL AS {IDS} FROM {ACTS} WHERE 0",  # noqa: S608
        f"CREATE TRIGGER {VIEW}_insert INSTEAD OF INSERT ON {VIEW} BEGIN "  # noqa: S608
        f"INSERT INTO {ACTS} ({listed}) VALUES ({new}); "
        f"INSERT INTO {BACKLOG} (act_id, {IDS}) VALUES (last_insert_rowid(), NEW.{IDS}); END",
    ]


def install(apps, schema_editor) -> None:
    """Migration step (RunPython), SQLite only: the view and its trigger, for the act's columns
    at this migration. Call it again after a migration that changes either table."""
    if schema_editor.connection.vendor == "sqlite":
        for sql in statements(act_columns(apps.get_model("sharing", "DisclosureAct"))):
            schema_editor.execute(sql)


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for sql in _DROP:
            schema_editor.execute(sql)


@lru_cache(maxsize=64)
def insert_sql(columns: tuple[str, ...], acts: int) -> str:
    """The one statement that writes `acts` acts (their `columns`, then their participant ids
    as the backlog's JSON), a row of placeholders an act."""
    row = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    # Names from the model; every value is a bound parameter.
    return (
        f"INSERT INTO {VIEW} ({', '.join(columns)}, {IDS}) "  # noqa: S608
        f"VALUES {', '.join([row] * acts)}"
    )
