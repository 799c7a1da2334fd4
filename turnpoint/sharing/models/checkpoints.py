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
import itertools
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

log = logging.getLogger(__name__)


class CheckpointQuerySet(models.QuerySet):
    def update(self, **kwargs):
        from .audit import AppendOnlyError

        raise AppendOnlyError("audit checkpoints are append-only")

    def delete(self):
        from .audit import AppendOnlyError

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
        from .audit import AppendOnlyError

        if self.pk is not None:
            raise AppendOnlyError("audit checkpoints are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        from .audit import AppendOnlyError

        raise AppendOnlyError("audit checkpoints are append-only")

    def as_record(self) -> dict:
        return {
            "at": _iso(self.at),
            "entry_id": self.entry_id,
            "entry_hash": self.entry_hash,
            "mac": self.mac,
        }


def _iso(at: datetime.datetime) -> str:
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
        mac=checkpoint_mac(entry_id, entry_hash, _iso(at)),
    )
    _append_to_file(checkpoint.as_record())
    return checkpoint


def checkpoint_newest() -> AuditCheckpoint:
    """`turnpoint audit checkpoint`: a checkpoint over the newest entry, even if it has one."""
    from .audit import GENESIS, AuditEntry

    newest = AuditEntry.objects.order_by("-id").values_list("id", "entry_hash").first()
    entry_id, entry_hash = newest or (0, GENESIS)
    return checkpoint_create(entry_id=entry_id, entry_hash=entry_hash)


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


@dataclass
class Problem:
    check: str
    message: str


@dataclass
class Report:
    entries: int = 0
    checkpoints: int = 0
    newest_checkpoint: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "newest_checkpoint": self.newest_checkpoint,
            "problems": [{"check": p.check, "message": p.message} for p in self.problems],
        }


def _file_records(path: str, report: Report) -> list[tuple[int, dict]]:
    if not path:
        return []
    if not Path(path).exists():
        report.problems.append(Problem("checkpoint-file", f"the checkpoint file {path} is missing"))
        return []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        report.problems.append(
            Problem("checkpoint-file", f"the checkpoint file {path} cannot be read: {exc}")
        )
        return []
    records = []
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
            record = {
                "at": str(record["at"]),
                "entry_id": int(record["entry_id"]),
                "entry_hash": str(record["entry_hash"]),
                "mac": str(record["mac"]),
            }
        except (ValueError, KeyError, TypeError):
            report.problems.append(
                Problem("checkpoint-file", f"checkpoint file line {number}: not a checkpoint")
            )
            continue
        records.append((number, record))
    return records


def audit_verify_report(*, max_age: int | None = None) -> Report:
    """Walk the chain and check every checkpoint, in the table and in the file.

    Checks, as named in the report: `chain` (an entry does not follow the one before it),
    `content` (an entry changed), `checkpoint-key` (a checkpoint the key did not make),
    `checkpoint-entry` (a checkpoint names an entry that is gone or changed: the newest entries
    were removed or rewritten), `checkpoint-missing` (a checkpoint in the file is not in the
    table), `checkpoint-file` (the file is missing or has a line that is not a checkpoint) and
    `checkpoint-age` (a stretch longer than `max_age` seconds without a checkpoint)."""
    from .audit import GENESIS, AuditEntry

    if max_age is None:
        max_age = settings.TURNPOINT_AUDIT_CHECKPOINT_MAX_AGE
    report = Report()

    # Checkpoints whose key matches, by where they come from; the others are reported.
    valid: list[tuple[str, dict]] = []
    stored_macs = set()
    for checkpoint in AuditCheckpoint.objects.order_by("id").iterator():
        report.checkpoints += 1
        record = checkpoint.as_record()
        stored_macs.add(record["mac"])
        name = f"checkpoint {checkpoint.pk} ({record['at']})"
        if not checkpoint_key_known(record):
            report.problems.append(
                Problem("checkpoint-key", f"{name}: was not made with the audit key or a "
                        "fallback (forged or altered)")
            )  # fmt: skip
            continue
        valid.append((name, record))
    for number, record in _file_records(settings.TURNPOINT_AUDIT_CHECKPOINT_FILE, report):
        name = f"checkpoint file line {number} ({record['at']})"
        if not checkpoint_key_known(record):
            report.problems.append(
                Problem("checkpoint-key", f"{name}: was not made with the audit key or a "
                        "fallback (forged or altered)")
            )  # fmt: skip
            continue
        if record["mac"] not in stored_macs:
            report.problems.append(
                Problem("checkpoint-missing", f"{name}: is not in the database "
                        "(checkpoints were deleted)")
            )  # fmt: skip
        valid.append((name, record))

    wanted: dict[int, list[tuple[str, str]]] = {}
    for name, record in valid:
        wanted.setdefault(record["entry_id"], []).append((name, record["entry_hash"]))
    found = {0: GENESIS}

    previous = GENESIS
    last_id = 0
    first_at = None
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=5000):
        report.entries += 1
        first_at = first_at or entry.at
        if entry.prev_hash != previous:
            report.problems.append(
                Problem("chain", f"entry {entry.pk}: does not follow the entry before it "
                        "(an entry was deleted, inserted or moved)")
            )  # fmt: skip
        if entry.compute_hash() != entry.entry_hash:
            report.problems.append(
                Problem("content", f"entry {entry.pk}: its content was changed after it was "
                        "written")
            )  # fmt: skip
        if entry.pk in wanted:
            found[entry.pk] = entry.entry_hash
        previous = entry.entry_hash
        last_id = entry.pk

    for entry_id, names in sorted(wanted.items()):
        for name, entry_hash in names:
            if entry_id not in found:
                report.problems.append(
                    Problem("checkpoint-entry", f"{name}: names entry {entry_id}, which is not "
                            f"in the log (newest entry {last_id}): entries were removed")
                )  # fmt: skip
            elif found[entry_id] != entry_hash:
                report.problems.append(
                    Problem("checkpoint-entry", f"{name}: entry {entry_id} no longer has the "
                            "hash it was checkpointed with: the log was rewritten")
                )  # fmt: skip

    times = sorted(datetime.datetime.fromisoformat(r["at"]) for _, r in valid)
    if times:
        report.newest_checkpoint = _iso(times[-1])
    if max_age:
        now = timezone.now()
        points = ([first_at] if first_at else []) + times + [now]
        points.sort()
        for start, end in itertools.pairwise(points):
            if (end - start).total_seconds() > max_age:
                report.problems.append(
                    Problem("checkpoint-age", f"no checkpoint from {_iso(start)} to "
                            f"{_iso(end)} (longer than {max_age} seconds): checkpoints stopped "
                            "or the newest were deleted")
                )  # fmt: skip
    return report
