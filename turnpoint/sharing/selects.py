"""Reading the policy's own records (consents, court orders, referrals in reach) with statements
compiled once per process.

Every participant page asks for the participant's active consents, and across agencies for their
court orders too. Through a queryset, Django compiles the statement again on every call: 0.7 ms
of CPU for the consents' 24 columns, where the database answers in 0.1 (SQLite) to 0.3 ms
(PostgreSQL, the round trip included; docs/benchmarks.md, "Policy and audit overhead"). Here the
ORM compiles the model's `SELECT` once, with its column list and the converters it applies to
each column, and each call adds only its condition, bound parameters and an order.

The model stays the one definition: the columns, their order and their conversions come from
the ORM's own compiler; instances are built with `Model.from_db`, as a queryset builds them.
"""

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import cache

from django.db import connection
from django.db.models import JSONField, Model
from django.utils import timezone


@cache
def _compiled(model: type[Model], alias: str) -> tuple[str, tuple[str, ...], dict]:
    """The model's `SELECT` of every concrete column with no condition and no order, the
    columns' attribute names, and the converters the ORM applies to them."""
    compiler = model._base_manager.order_by().query.get_compiler(alias)
    sql, params = compiler.as_sql()
    if params:
        raise ValueError(f"{model.__name__}: its base manager filters rows; select them by query")
    columns = [expression for expression, _, _ in compiler.select]
    names = tuple(column.target.attname for column in columns)
    if names != tuple(f.attname for f in model._meta.concrete_fields):
        raise ValueError(f"{model.__name__}: its compiled columns are not its concrete fields")
    return sql, names, compiler.get_converters(columns)


def column(model: type[Model], name: str) -> str:
    """The quoted `table.column` of a field, to write a condition with."""
    q = connection.ops.quote_name
    return f"{q(model._meta.db_table)}.{q(model._meta.get_field(name).column)}"


def one_of(sql: str, values: Iterable[int]) -> tuple[str, object]:
    """`sql IN (values)` with the integers in one bound parameter: an array on PostgreSQL, a
    JSON array read by `json_each` on SQLite. One statement text whatever the number of values
    (binding and converting a 1,000-value `IN` list through the ORM took longer than the query:
    docs/benchmarks.md)."""
    ids = [int(v) for v in values]
    if connection.vendor == "postgresql":
        return f"{sql} = ANY(%s)", ids
    return f"{sql} IN (SELECT value FROM json_each(%s))", json.dumps(ids)  # noqa: S608


def referrals_of_outer(compiler, alias: str, programmes, outer=None) -> tuple[str, object]:
    """`FROM` and `WHERE` of a subquery written by hand inside a participants query being
    compiled: the referrals (as `alias`) of the outer query's participant, under whatever alias
    the outer query gives it (`outer`, its initial alias unless given), to one of `programmes`
    (one bound parameter, `one_of`). Used by the reach condition and a list's latest-programme
    column, where compiling the same subquery through the ORM on every request took longer than
    answering it."""
    from turnpoint.journeys.models import Referral

    q = connection.ops.quote_name
    field = Referral._meta.get_field
    outer = compiler.quote_name_unless_alias(outer or compiler.query.get_initial_alias())
    pk = q(compiler.query.model._meta.pk.column)
    among, param = one_of(f"{alias}.{q(field('programme').column)}", programmes)
    # Names from the models; the programme ids are a bound parameter.
    sql = (
        f"FROM {q(Referral._meta.db_table)} {alias} "
        f"WHERE {alias}.{q(field('participant').column)} = {outer}.{pk} AND {among}"
    )
    return sql, param


def db_value(model: type[Model], name: str, value):
    """`value` as the database stores field `name` (a datetime as SQLite's text, say)."""
    return model._meta.get_field(name).get_db_prep_value(value, connection)


def select_rows(
    model: type[Model], where: str, params: Sequence, *, order_by: Sequence[str] = ()
) -> list:
    """The instances of `model` whose rows meet `where` (SQL on `column()` names, values as
    `%s` in `params`), in `order_by` order (field names; a leading '-' for descending)."""
    sql, names, converters = _compiled(model, connection.alias)
    order = ", ".join(
        f"{column(model, f.lstrip('-'))} {'DESC' if f.startswith('-') else 'ASC'}" for f in order_by
    )
    # The column names come from the model; every value is a bound parameter.
    statement = f"{sql} WHERE {where}" + (f" ORDER BY {order}" if order else "")
    with connection.cursor() as cursor:  # policy-gate: the callers' conditions name the ids
        cursor.execute(statement, list(params))
        rows = cursor.fetchall()
    if converters:
        rows = [_converted(row, converters) for row in rows]
    return [model.from_db(connection.alias, names, row) for row in rows]


def _converted(row, converters: dict) -> list:
    """A row through the ORM's converters, as its compiler applies them."""
    row = list(row)
    for position, (functions, expression) in converters.items():
        for function in functions:
            row[position] = function(row[position], expression, connection)
    return row


# Rows read inside another query ------------------------------------------------------------------


def of_participant(model: type[Model], select: str, condition: str) -> str:
    """`SELECT {select} FROM` `model`'s table `WHERE` its participant is the first parameter
    `AND {condition}` (on `column()` names): a subquery about one participant, for a page's
    participant query to read with the participant (`court_orders.order_in_force_exists`,
    `consents.active_consents_column`)."""
    # Names from the model; the participant and every value of `condition` are parameters.
    return (
        f"SELECT {select} FROM {connection.ops.quote_name(model._meta.db_table)} "  # noqa: S608
        f"WHERE {column(model, 'participant')} = %s AND {condition}"
    )


@cache
def rows_as_json(model: type[Model], vendor: str) -> str:
    """An aggregate of `model`'s rows as one JSON array of arrays, every concrete column as the
    database writes it as text (on PostgreSQL `::text`; on SQLite the stored value, which is
    text or a number), for `from_json_rows`. No row: NULL on PostgreSQL, `[]` on SQLite. Built
    once per model and database kind from the model's names."""
    columns = [column(model, f.name) for f in model._meta.concrete_fields]
    if vendor == "postgresql":
        return f"json_agg(json_build_array({', '.join(f'{c}::text' for c in columns)}))::text"
    return f"json_group_array(json_array({', '.join(columns)}))"


def from_json_rows(model: type[Model], value) -> list:
    """The instances of a `rows_as_json` value, in id order (none for NULL), built with
    `Model.from_db` as a queryset builds them. Each value is read back as its field holds it:
    a JSON field's text parsed, a time made aware (SQLite's text has no offset and is UTC, as
    Django's SQLite backend reads it), anything else through the field's `to_python`; so a
    field the model gains comes through without a change here."""
    if not value:
        return []
    fields = model._meta.concrete_fields
    names = [f.attname for f in fields]
    rows = [
        model.from_db(
            connection.alias, names, [_from_text(f, v) for f, v in zip(fields, row, strict=True)]
        )
        for row in json.loads(value)
    ]
    return sorted(rows, key=lambda row: row.pk)


def _from_text(field, value):
    if value is None:
        return None
    if isinstance(field, JSONField):
        return json.loads(value)
    value = field.to_python(value)
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value, UTC)
    return value
