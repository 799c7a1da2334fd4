"""The append-only, hash-chained audit log.

One row per write and one row per request that reads a sensitive category (a list request writes a
single row naming every participant shown, security.md §5.3). Rows are written in the same
transaction as the change they record; they are never updated or deleted.

Each row stores the SHA-256 of its own content chained to the previous row's hash, so
`turnpoint audit verify` detects an altered, deleted, inserted or reordered row (security.md
SEC-21); keyed checkpoints (checkpoints.py) detect removal of the newest rows, and database
triggers (append_only.py) refuse UPDATE and DELETE in SQL too. Writers take a database-wide lock
for the moment between reading the last hash and inserting (PostgreSQL advisory transaction lock;
SQLite serialises writers anyway).
"""

import datetime
import hashlib
import json

from django.conf import settings
from django.db import connection, models
from django.utils import timezone


class AppendOnlyError(Exception):
    pass


GENESIS = "0" * 64
# Any fixed number: the key of the PostgreSQL advisory lock that serialises chain writers
# (taken inside `turnpoint_audit_append`, chain_pg.py).
_CHAIN_LOCK_KEY = 7_401_923


def _last() -> tuple[int, str]:
    """The newest entry's id and hash (0 and the genesis hash for an empty log).

    Plain SQL: every audited read asks this, and the ORM took ten times longer to compile the
    query than the database took to answer it."""
    q = connection.ops.quote_name
    with connection.cursor() as cursor:  # names from the model, no value in the text
        cursor.execute(
            f"SELECT {q('id')}, {q('entry_hash')} FROM {q(AuditEntry._meta.db_table)} "  # noqa: S608
            f"ORDER BY {q('id')} DESC LIMIT 1"
        )
        last = cursor.fetchone()
    return tuple(last) if last else (0, GENESIS)


def _append_chained(
    entries: list["AuditEntry"], *, also: tuple[str, list] | None = None, ahead: bool = False
) -> None:
    """The one way audit rows are written: under the chain lock, chain `entries` after the
    newest row, insert them and set their ids. Inside the caller's transaction, if any; a
    checkpoint follows its commit when one is due.

    `also` (PostgreSQL only): other writes to make in the same statement, as common table
    expressions and their parameters (a read's disclosure acts: `disclosures._read_write`).

    `ahead` (PostgreSQL only): send the statement and return at once; its result is read and
    checked before the connection is used again or the response leaves (ahead.py). A read's
    record only: the entries have no id until then.

    On PostgreSQL the server does it in one statement (chain_pg.py: five round trips had been
    most of an audited read's cost there); elsewhere as plain multi-row INSERTs (rows.append_rows:
    each field prepared as the ORM would, without its insert compiler, which cost a third of an
    audited page's policy overhead). Either way `AuditEntry.chained_hash` is the definition."""
    from django.db import transaction

    from .. import chain_pg
    from ..rows import append_rows, one_statement

    if any(e.pk is not None for e in entries):
        raise AppendOnlyError("the audit log is append-only")
    if not entries:
        return
    names = [f.attname for f in AuditEntry._meta.concrete_fields if not f.primary_key]
    if connection.vendor == "postgresql":
        canonicals = [e.canonical() for e in entries]

        def written(previous_id: int, rows: list[tuple[int, str, str]]) -> None:
            for entry, canonical, (pk, prev_hash, entry_hash) in zip(
                entries, canonicals, rows, strict=True
            ):
                ours = AuditEntry.chained_hash(prev_hash, canonical)
                if ours != entry_hash:
                    raise AppendOnlyError(
                        f"audit entry {pk}: the database hashed it as {entry_hash}, "
                        f"Python as {ours}"
                    )
                entry.prev_hash, entry.entry_hash, entry.pk = prev_hash, entry_hash, pk
                entry._state.adding, entry._state.db = False, connection.alias
            checkpoint_if_due(previous_id, entries[-1])

        if ahead:
            from . import ahead as sent_ahead

            sql, params = chain_pg.statement(entries, canonicals, names, _CHAIN_LOCK_KEY, also=also)
            sent_ahead.send(connection, sql, params, lambda rows: written(*chain_pg.appended(rows)))
            return
        with one_statement():
            written(*chain_pg.append(entries, canonicals, names, _CHAIN_LOCK_KEY, also=also))
        return
    if also is not None:
        raise ValueError("other writes share an audit append's statement on PostgreSQL only")
    # No savepoint inside a caller's transaction: an entry that cannot be written fails the
    # whole read or change it records (SEC-19), so there is nothing to roll back to.
    # SQLite serialises writers (`BEGIN IMMEDIATE`): its write lock is the chain's lock.
    with transaction.atomic(savepoint=False):
        previous_id, previous = _last()
        for entry in entries:
            entry.prev_hash = previous
            entry.entry_hash = previous = entry.compute_hash()
        ids = append_rows(
            AuditEntry, [{n: getattr(e, n) for n in names} for e in entries], returning_id=True
        )
        for entry, pk in zip(entries, ids, strict=True):
            entry.pk = pk
            entry._state.adding, entry._state.db = False, connection.alias
        checkpoint_if_due(previous_id, entries[-1])


class AuditQuerySet(models.QuerySet):
    def bulk_create(self, objs, batch_size=None, **kwargs):
        """Chain the new rows after the last one; the same rule as a single save. The rows go
        in as few statements as the database's parameter limit allows, so `batch_size` has
        nothing to choose; conflict options have no meaning for an append-only log."""
        if kwargs:
            raise TypeError(f"audit entries are appended whole: no {', '.join(sorted(kwargs))}")
        objs = list(objs)
        _append_chained(objs)
        return objs

    def update(self, **kwargs):
        raise AppendOnlyError("the audit log is append-only")

    def delete(self):
        raise AppendOnlyError("the audit log is append-only")


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        READ = "read", "Read"
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        TRANSITION = "transition", "Transition"
        DENIED = "denied", "Denied"
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        SIGN_OUT = "sign_out", "Signed out"
        UNLOCKED = "unlocked", "Account unlocked"
        TOKEN_CREATED = "token_created", "API token created"
        TOKEN_REVOKED = "token_revoked", "API token revoked"
        USER_DEACTIVATED = "user_deactivated", "User deactivated"
        IMPORT = "import", "Import"
        IMPORT_REJECTED = "import_rejected", "Import rejected"
        EXPORT = "export", "Export"
        BREAK_GLASS = "break_glass", "Break-glass"
        MFA_ENROLLED = "mfa_enrolled", "Authenticator app set up"
        MFA_VERIFIED = "mfa_verified", "Security code accepted"
        MFA_FAILED = "mfa_failed", "Security code refused"
        MFA_RECOVERY_USED = "mfa_recovery_used", "Recovery code used"
        MFA_RESET = "mfa_reset", "Authenticator app reset"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    # Copied, not joined: the entry must say what the user was at the time.
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=30, blank=True)
    agency = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    categories = models.JSONField(default=list)
    participant_ids = models.JSONField(default=list)
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=50, blank=True)
    purpose = models.CharField(max_length=30, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    prev_hash = models.CharField(max_length=64, default=GENESIS)
    entry_hash = models.CharField(max_length=64, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or 'system'} {self.action}"

    def save(self, *, force_insert=False, using=None, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("the audit log is append-only")
        # An entry is only ever inserted, whole, into the default database (`objects.create()`
        # passes force_insert and using); updating options have no meaning here.
        if kwargs or using not in (None, connection.alias):
            raise TypeError("an audit entry is inserted whole into the default database")
        _append_chained([self])

    def canonical(self) -> str:
        """The row's content as hashed: stable across SQLite and PostgreSQL round trips."""
        return json.dumps(
            {
                "at": self.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
                "user": self.user_id,
                "username": self.username,
                "role": self.role,
                "agency": self.agency,
                "action": self.action,
                "categories": list(self.categories),
                "participant_ids": list(self.participant_ids),
                "object_type": self.object_type,
                "object_id": self.object_id,
                "purpose": self.purpose,
                "detail": self.detail,
                "request_id": self.request_id,
                "client_ip": self.client_ip,
                "channel": self.channel,
            },
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )

    @staticmethod
    def chained_hash(prev_hash: str, canonical: str) -> str:
        """The chain's hash: SHA-256 of the previous hash followed by the canonical content."""
        return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()

    def compute_hash(self) -> str:
        return self.chained_hash(self.prev_hash, self.canonical())

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("the audit log is append-only")


from .checkpoints import checkpoint_if_due  # noqa: E402  (the checkpoints import this module)
