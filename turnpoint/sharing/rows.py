"""Appending rows to the security records (audit entries, disclosures) in as few statements as
the database allows, without the ORM's per-row insert machinery.

Every read that crosses agencies writes one disclosure row per participant shown (SEC-13), so a
1,000-row API list read by a court writes 1,000 rows in the request. Through `bulk_create` each
row was a model instance whose eleven fields were prepared one at a time: 0.1-0.2 ms of CPU a
row, most of what the request cost (docs/benchmarks.md, "Policy and audit overhead"). The rows
of one read share every value but the participant, so here each distinct value is prepared once
by its own field (`Field.get_db_prep_save`, the conversion the ORM itself applies) and the rows go
to the database as multi-row `INSERT ... VALUES` statements.

The model stays the one definition of the table: the columns, their order and their conversions
come from its concrete fields, and a field left out takes its model default. Nothing here skips
a rule: the audit chain's hashing and lock stay in `models.AuditEntry`, the append-only
triggers fire on these inserts as on any other, and the caller's transaction holds them all.
"""

import sqlite3
from collections.abc import Iterable, Mapping

from django.db import connection
from django.db.models import Model

# PostgreSQL counts a statement's parameters in 16 bits.
_POSTGRES_MAX_PARAMS = 65_535


def one_statement():
    """The transaction for a write made as one statement: inside the caller's transaction,
    `atomic(savepoint=False)`, which only marks that transaction for rollback if the statement
    fails; outside one, none, since a single statement is its own (on PostgreSQL a BEGIN and a
    COMMIT around it would be two more round trips)."""
    from contextlib import nullcontext

    from django.db import transaction

    return transaction.atomic(savepoint=False) if connection.in_atomic_block else nullcontext()


def _max_params() -> int:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        # The compiled-in limit (32,766 since SQLite 3.32), not Django's conservative 999.
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or _POSTGRES_MAX_PARAMS


_INTEGER_TYPES = frozenset({
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
    "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
})  # fmt: skip


def _stores_int(field) -> bool:
    """Does the column hold an integer as given? An integer field, or a relation to one: their
    conversion of an `int` is the int itself. The participant ids of a 1,000-row disclosure are
    all distinct, and converting each through its relation cost 1.5 ms of the request."""
    target = field.target_field if field.is_relation else field
    return target.get_internal_type() in _INTEGER_TYPES


def _default(field):
    """What the ORM would store for a field left out; a clear refusal where it would only
    reach the database's NOT NULL constraint."""
    if not (field.has_default() or field.null or field.empty_strings_allowed):
        raise ValueError(f"{field.model.__name__}.{field.name}: a value is required")
    return field.get_default()


def _prepared(model: type[Model], rows: list[Mapping]) -> tuple[list, list]:
    """(the columns' fields, every row's database values in column order, flattened)."""
    # Every column but a key the database numbers itself (a key given as a value, like a
    # one-to-one key, is written like any other column).
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.db_returning)]
    names = {f.attname for f in fields}
    for number, row in enumerate(rows, start=1):
        unknown = set(row) - names
        if unknown:
            raise ValueError(
                f"{model.__name__} row {number}: no such field {', '.join(sorted(unknown))}"
            )
    defaults: dict = {}
    prepared: dict = {}  # (attname, id(value)) -> database value; the rows keep values alive
    whole = {f.attname for f in fields if _stores_int(f)}

    def prepare(field, value):
        if type(value) is int and field.attname in whole:
            return value  # what the field's own conversion, int(value), would give
        key = (field.attname, id(value))
        if key not in prepared:
            prepared[key] = field.get_db_prep_save(value, connection)
        return prepared[key]

    params = []
    for row in rows:
        for field in fields:
            if field.attname in row:
                value = row[field.attname]
            else:
                if field.attname not in defaults:
                    defaults[field.attname] = _default(field)
                value = defaults[field.attname]
            params.append(prepare(field, value))
    return fields, params


def _head(model: type[Model], fields) -> str:
    quote = connection.ops.quote_name
    # Names from the model; every value is a bound parameter.
    return (
        f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(f.column) for f in fields)}) VALUES "
    )


def _values(width: int, count: int) -> str:
    """The placeholders of `count` rows of `width` values each."""
    return ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * count)


def insert_statement(model: type[Model], rows: Iterable[Mapping]) -> tuple[str, list]:
    """One `INSERT ... VALUES` of `rows` as (SQL, parameters), for a caller that makes it part
    of a larger statement; `ValueError` if they would take more parameters than one statement
    may have."""
    rows = list(rows)
    fields, params = _prepared(model, rows)
    if len(params) > _max_params():
        raise ValueError(f"{model.__name__}: {len(rows)} rows do not fit in one statement")
    return _head(model, fields) + _values(len(fields), len(rows)), params


def append_rows(
    model: type[Model], rows: Iterable[Mapping], *, returning_id: bool = False
) -> list[int]:
    """Insert `rows` (each a mapping of field attname to Python value) into `model`'s table.

    Returns the new ids in row order when `returning_id`, otherwise an empty list. Call inside
    the transaction of the change or read being recorded."""
    rows = list(rows)
    if not rows:
        return []
    fields, params = _prepared(model, rows)
    width = len(fields)
    per_statement = max(1, _max_params() // width)
    head = _head(model, fields)
    tail = f" RETURNING {connection.ops.quote_name(model._meta.pk.column)}" if returning_id else ""
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            count = min(per_statement, len(rows) - start)
            cursor.execute(
                head + _values(width, count) + tail,
                params[start * width : (start + count) * width],
            )
            if returning_id:
                ids.extend(row[0] for row in cursor.fetchall())
    return ids
