"""Django's PostgreSQL backend, and one addition: a statement sent ahead
(`turnpoint.sharing.ahead`) is read back before the connection is used for anything else.

Every way Django uses the connection goes through one of these methods: a cursor for a query
(and for savepoints), a commit, a rollback, switching autocommit on or off (entering or leaving
`transaction.atomic`), the health check and closing. Each first reads the result of a statement
sent ahead, so the server's answers stay in the order the statements were sent and a failed
record fails whatever came after it. Closing drops an unread result without raising: the server
finishes the statement, and the request that sent it is already failing.
"""

from django.db.backends.postgresql import base

from turnpoint.sharing import ahead


class DatabaseWrapper(base.DatabaseWrapper):
    def _cursor(self, name=None):
        ahead.collect(self)
        return super()._cursor(name)

    def _commit(self):
        ahead.collect(self)
        return super()._commit()

    def _rollback(self):
        ahead.collect(self)
        return super()._rollback()

    def _set_autocommit(self, autocommit):
        ahead.collect(self)
        return super()._set_autocommit(autocommit)

    def is_usable(self):
        try:
            ahead.collect(self)
        except Exception:  # a connection whose last statement failed is not usable
            return False
        return super().is_usable()

    def _close(self):
        ahead.drop(self)
        return super()._close()
