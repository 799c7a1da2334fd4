"""Keyed checkpoints of the audit chain: they detect removal of the newest entries (SEC-21).

The hash chain (models.AuditEntry) shows an altered, deleted, inserted or reordered entry, but
anyone who can write to the database can cut off the newest entries (or rewrite them and
recompute the hashes): what is left still chains. A checkpoint is an HMAC-SHA256, keyed with
`settings.TURNPOINT_AUDIT_KEY` (from the environment, never stored in the database), over one
entry's id and hash and the time. Without the key nobody can make one, so:

- a checkpoint naming an entry that is gone, or whose hash changed, shows the tail was cut
  or rewritten;
- deleting the newest checkpoints too is caught by the copy appended to
  `TURNPOINT_AUDIT_CHECKPOINT_FILE` (kept outside the database, ideally append-only or
  shipped to another host), and by the age check: with `TURNPOINT_AUDIT_CHECKPOINT_MAX_AGE`
  set, verify fails when the log has gone longer than that without a checkpoint.

Checkpoints are written every `TURNPOINT_AUDIT_CHECKPOINT_EVERY` entries (right after the
transaction that wrote the entry commits) and by `turnpoint audit checkpoint`, run from cron.
"""

import datetime
import hashlib
import hmac
import json
import logging
import os

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from ..append_only import AppendOnlyError

log = logging.getLogger(__name__)
# The previous hash of the first entry, and the hash a checkpoint of an empty log names.
GENESIS = "0" * 64


class CheckpointQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit checkpoints are append-only")

    def delete(self):
        raise AppendOnlyError("audit checkpoints are append-only")


class AuditCheckpoint(models.Model):
    """`mac` = HMAC-SHA256(key, "turnpoint-audit-checkpoint-v1|entry_id|entry_hash|at").

    `entry_id` 0 with the genesis hash is a checkpoint of an empty log."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    entry_id = models.BigIntegerField()
    entry_hash = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)

    objects = CheckpointQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"checkpoint {self.pk} at {self.at:%Y-%m-%d %H:%M:%S} over entry {self.entry_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit checkpoints are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit checkpoints are append-only")

    def as_record(self) -> dict:
        return {
            "at": iso_utc(self.at),
            "entry_id": self.entry_id,
            "entry_hash": self.entry_hash,
            "mac": self.mac,
        }


def iso_utc(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def checkpoint_mac(entry_id: int, entry_hash: str, at_iso: str, *, key: str | None = None) -> str:
    """The checkpoint's MAC with `key` (default: the audit key new checkpoints are made with)."""
    message = f"turnpoint-audit-checkpoint-v1|{entry_id}|{entry_hash}|{at_iso}"
    key = settings.TURNPOINT_AUDIT_KEY if key is None else key
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def checkpoint_key_known(record: dict) -> bool:
    """Was this checkpoint made with the audit key or one of its fallbacks (an earlier key kept
    after a rotation)? Every key is tried, so the answer takes the same time either way."""
    keys = [settings.TURNPOINT_AUDIT_KEY, *settings.TURNPOINT_AUDIT_KEY_FALLBACKS]
    made = [
        hmac.compare_digest(
            checkpoint_mac(record["entry_id"], record["entry_hash"], record["at"], key=key),
            record["mac"],
        )
        for key in keys
    ]
    return any(made)


def _append_to_file(record: dict) -> None:
    path = settings.TURNPOINT_AUDIT_CHECKPOINT_FILE
    if not path:
        return
    line = json.dumps(record, sort_keys=True) + "\n"
    # One short write with O_APPEND: lines from several processes do not interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def checkpoint_create(*, entry_id: int, entry_hash: str) -> AuditCheckpoint:
    """Write a checkpoint over one (committed) entry, to the table and to the file."""
    at = timezone.now()
    checkpoint = AuditCheckpoint.objects.create(
        at=at,
        entry_id=entry_id,
        entry_hash=entry_hash,
        mac=checkpoint_mac(entry_id, entry_hash, iso_utc(at)),
    )
    _append_to_file(checkpoint.as_record())
    return checkpoint


def checkpoint_if_due(previous_id: int, newest) -> None:
    """Called by the chain writers under the chain lock, after inserting up to `newest`.

    When the ids cross a multiple of TURNPOINT_AUDIT_CHECKPOINT_EVERY, checkpoint `newest` once
    the transaction commits: nothing is written for entries that roll back, and the chain lock
    is not held for the checkpoint. A failure there is logged, never undoes the change."""
    every = settings.TURNPOINT_AUDIT_CHECKPOINT_EVERY
    if not every or newest.pk // every <= previous_id // every:
        return
    entry_id, entry_hash = newest.pk, newest.entry_hash

    def checkpoint_after_commit():  # a named function: robust=True logs failures by name
        checkpoint_create(entry_id=entry_id, entry_hash=entry_hash)

    transaction.on_commit(checkpoint_after_commit, robust=True)
