"""A read's record sent ahead (PostgreSQL): the statement that writes it goes to the server at
once, the page is built while the server runs and commits it, and its result is read before
anything else uses the connection and before the response leaves (decision 0010).

A participant page's record (its audit row, and its disclosure act when it crosses agencies) is
one statement whose cost in a request is mostly waiting: the round trip, the server's work and
the commit's flush to disk, about 1.7 ms of a 30 ms page on this project's machines, most of the
policy's overhead there (docs/benchmarks.md). Sent ahead, that wait overlaps the building of the
page; nothing about the record changes.

What still holds, and why:

- Every read is accounted for, fail closed (SEC-19). The response is returned only after the
  result has been read and checked: the view reads it after rendering (`collect`), and
  `RequestContextMiddleware` reads any still unread before a response leaves. A failed record
  raises there, the page is not sent and the request fails as it would have before.
- Order. libpq runs one statement at a time on a connection, so the connection is not used
  again until the result is read: the project's PostgreSQL backend (`turnpoint.db.postgresql`)
  reads it first in every method that uses the connection (a cursor, commit, rollback,
  autocommit, the health check). A statement sent after the record runs after it and sees it.
- The record is the same statement with the same values, bound on the client
  (`psycopg.ClientCursor.mogrify`, psycopg's own quoting) instead of on the server; it is one
  statement, so on its own (autocommit) it is its own transaction, and inside a transaction it
  is part of it. The chain's lock is held only while the server runs it.
- One at a time: sending a second record first reads the first.

Elsewhere (SQLite) nothing is sent ahead: `send` is only called on PostgreSQL.
"""

import contextlib
from collections.abc import Callable

_PENDING = "_turnpoint_sent_ahead"


def send(connection, sql: str, params: list, done: Callable[[list[tuple]], None]) -> None:
    """Send `sql` with `params` on `connection` (a PostgreSQL DatabaseWrapper) without waiting
    for its result; `done(rows)` is called with the rows it returned (as text) when the result
    is read (`collect`)."""
    import time

    from psycopg import ClientCursor, generators

    collect(connection)
    connection.ensure_connection()
    raw = connection.connection
    with connection.wrap_database_errors, raw.lock:
        text = ClientCursor(raw).mogrify(sql, params)
        started = time.perf_counter()
        raw.pgconn.send_query(text.encode(raw.info.encoding))
        raw.wait(generators.send(raw.pgconn))
    if connection.queries_logged:  # counted and shown like any other query (DEBUG, tests)
        connection.queries_log.append(
            {"sql": text, "time": f"{time.perf_counter() - started:.3f}", "ahead": True}
        )
    setattr(connection, _PENDING, done)


def pending(connection) -> bool:
    return getattr(connection, _PENDING, None) is not None


def collect(connection=None) -> None:
    """Read the result of the statement sent ahead on `connection` (the default one when not
    given), if there is one: raise its error, or pass its rows to its `done`. Called before
    every other use of the connection and before a response leaves."""
    if connection is None:
        from django.db import connection
    done = getattr(connection, _PENDING, None)
    if done is None:  # the common case, on every cursor: nothing sent ahead
        return
    from psycopg import errors, generators, pq

    setattr(connection, _PENDING, None)  # read once, whatever happens next
    raw = connection.connection
    rows: list[tuple] = []
    with connection.wrap_database_errors:
        with raw.lock:
            results = raw.wait(generators.fetch_many(raw.pgconn))
        for result in results:
            if result.status == pq.ExecStatus.FATAL_ERROR:
                raise errors.error_from_result(result, encoding=raw.info.encoding)
            if result.status == pq.ExecStatus.TUPLES_OK:
                rows += [
                    tuple(_text(result.get_value(r, c)) for c in range(result.nfields))
                    for r in range(result.ntuples)
                ]
    done(rows)


def discard(connection=None) -> None:
    """Read the result of a statement sent ahead and ignore it, error or not: for a request
    that is failing already, so that the next use of the connection does not raise its error."""
    if connection is None:
        from django.db import connection
    with contextlib.suppress(Exception):  # the request is already failing with its own error
        collect(connection)


def drop(connection) -> None:
    """Forget an unread result: the connection is being closed."""
    setattr(connection, _PENDING, None)


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode()
