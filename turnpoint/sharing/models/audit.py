"""The append-only, hash-chained audit log.

One row per write and one row per request that reads a sensitive category (a list request writes a
single row naming every participant shown, security.md §5.3). Rows are written in the same
transaction as the change they record; they are never updated or deleted.

Each row stores an HMAC-SHA256, keyed with `settings.TURNPOINT_AUDIT_KEY` (never stored in the
database), over the previous row's hash and its own canonical content (security.md SEC-21,
SEC-42). `turnpoint audit verify` (sharing/verify.py) detects an altered, deleted, inserted or
reordered row, and nobody without the key can recompute the chain from any point; keyed
checkpoints (models/checkpoints.py) detect removal of the newest rows, and database triggers
(sharing/append_only.py) refuse UPDATE and DELETE in SQL too.
"""

import datetime
import hashlib
import hmac
import json

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from ..append_only import AppendOnlyError
from .checkpoints import GENESIS, checkpoint_if_due

# Any fixed number: the key of the PostgreSQL advisory lock that serialises chain writers.
CHAIN_LOCK_KEY = 7_401_923


def append_entries(entries: list["AuditEntry"]) -> None:
    """The one way audit rows are written: chain `entries` after the newest row and insert them.

    In the caller's transaction when there is one (`transaction.atomic(savepoint=False)` joins
    it, with no savepoint to fall back to): the record of a read or a change is written with
    it, and if the record cannot be written the caller's transaction fails too (SEC-19).

    Under the chain lock, held until that transaction ends: PostgreSQL takes an advisory
    transaction lock before reading the newest hash; SQLite serialises writers anyway
    (`BEGIN IMMEDIATE`). A checkpoint follows the commit when one is due."""
    if any(e.pk is not None for e in entries):
        raise AppendOnlyError("the audit log is append-only")
    if not entries:
        return
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        newest = AuditEntry.objects.order_by("-id").values_list("id", "entry_hash").first()
        previous_id, previous = newest or (0, GENESIS)
        for entry in entries:
            entry.prev_hash = previous
            entry.entry_hash = previous = entry.compute_hash()
        AuditEntry.objects.insert_chained(entries)
        checkpoint_if_due(previous_id, entries[-1])


class AuditQuerySet(models.QuerySet):
    def bulk_create(self, objs, batch_size=None, ignore_conflicts=False, update_conflicts=False,
                    update_fields=None, unique_fields=None):  # fmt: skip
        """Chain the new rows after the last one; the same rule as a single save. Conflict
        options have no meaning for an append-only log."""
        if ignore_conflicts or update_conflicts or update_fields or unique_fields:
            raise TypeError("audit entries are appended whole: no conflict options")
        objs = list(objs)
        append_entries(objs)
        return objs

    def insert_chained(self, entries: list["AuditEntry"]) -> None:
        """Insert entries `append_entries` has chained, setting their ids: for it alone."""
        super().bulk_create(entries)

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
        IMPORT = "import", "Import"
        IMPORT_REJECTED = "import_rejected", "Import rejected"
        EXPORT = "export", "Export"
        BREAK_GLASS = "break_glass", "Break-glass"
        MFA_ENROLLED = "mfa_enrolled", "Authenticator app set up"
        MFA_VERIFIED = "mfa_verified", "Security code accepted"
        MFA_FAILED = "mfa_failed", "Security code refused"
        MFA_RECOVERY_USED = "mfa_recovery_used", "Recovery code used"
        MFA_RESET = "mfa_reset", "Authenticator app reset"
        DISCLOSED = "disclosed", "Disclosure recorded"
        ACCESS_CHANGED = "access_changed", "Access changed"
        TOKEN_REVOKED = "token_revoked", "API token revoked"
        USER_DEACTIVATED = "user_deactivated", "User deactivated"

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
        append_entries([self])

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
    def chained_hash(prev_hash: str, canonical: str, *, key: str | None = None) -> str:
        """The chain's hash: HMAC-SHA256, keyed with `key` (default: the audit key new entries
        are made with), over the previous hash followed by the canonical content."""
        key = settings.TURNPOINT_AUDIT_KEY if key is None else key
        message = "turnpoint-audit-entry-v2|" + prev_hash + canonical
        return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()

    def compute_hash(self) -> str:
        return self.chained_hash(self.prev_hash, self.canonical())

    def hash_key_known(self) -> bool:
        """Was this entry's hash made with the audit key or one of its fallbacks (an earlier
        key kept after a rotation), over its content and the previous hash as stored?"""
        canonical = self.canonical()
        keys = [settings.TURNPOINT_AUDIT_KEY, *settings.TURNPOINT_AUDIT_KEY_FALLBACKS]
        hashes = [self.chained_hash(self.prev_hash, canonical, key=key) for key in keys]
        # Every key is tried, so the answer takes the same time either way.
        made = [hmac.compare_digest(digest, self.entry_hash) for digest in hashes]
        return any(made)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("the audit log is append-only")
