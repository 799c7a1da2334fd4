"""`turnpoint audit verify`: is the audit log as it was written? (security.md SEC-21, SEC-42)

Walks the chain (models.AuditEntry: each entry's hash is keyed with the audit key), checks every
checkpoint in the table and in the file outside the database (models/checkpoints.py), and
compares the disclosure acts in the database with the digests the chain recorded for them
(disclosure_records.py). `checkpoint_newest` is `turnpoint audit checkpoint`, run from cron.
"""

import datetime
import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .disclosure_records import ACT_FIELDS, DETAIL_KEY, act_digest
from .models import AuditEntry, DisclosedParticipant, DisclosureAct, DisclosureBacklog
from .models.checkpoints import (
    GENESIS,
    AuditCheckpoint,
    checkpoint_create,
    checkpoint_key_known,
    iso_utc,
)


def checkpoint_newest() -> AuditCheckpoint:
    """`turnpoint audit checkpoint`: a checkpoint over the newest entry, even if it has one."""
    newest = AuditEntry.objects.order_by("-id").values_list("id", "entry_hash").first()
    entry_id, entry_hash = newest or (0, GENESIS)
    return checkpoint_create(entry_id=entry_id, entry_hash=entry_hash)


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


def audit_verify(*, max_age: int | None = None) -> tuple[int, list[str]]:
    """The entries checked and every problem, as messages (`audit_verify_report` has them
    with the name of the check that found each)."""
    report = audit_verify_report(max_age=max_age)
    return report.entries, [p.message for p in report.problems]


def audit_verify_report(*, max_age: int | None = None) -> Report:
    """Walk the chain, check every checkpoint (in the table and in the file) and every
    disclosure act.

    Checks, as named in the report: `chain` (an entry does not follow the one before it),
    `content` (an entry changed, or its hash was not made with the audit key: the chain was
    recomputed without it), `checkpoint-key` (a checkpoint the key did not make),
    `checkpoint-entry` (a checkpoint names an entry that is gone or changed: the newest entries
    were removed or rewritten), `checkpoint-missing` (a checkpoint in the file is not in the
    table), `checkpoint-file` (the file is missing or has a line that is not a checkpoint),
    `checkpoint-age` (a stretch longer than `max_age` seconds without a checkpoint),
    `disclosure-missing` (an act the log recorded is gone or changed) and `disclosure-unrecorded`
    (an act no entry recorded as it now is: changed, or written around Turnpoint)."""
    if max_age is None:
        max_age = settings.TURNPOINT_AUDIT_CHECKPOINT_MAX_AGE
    report = Report()
    valid = _valid_checkpoints(report)
    wanted: dict[int, list[tuple[str, str]]] = {}
    for name, record in valid:
        wanted.setdefault(record["entry_id"], []).append((name, record["entry_hash"]))
    first_at, recorded = _walk_chain(report, wanted)
    _check_disclosures(report, recorded)
    times = sorted(datetime.datetime.fromisoformat(r["at"]) for _, r in valid)
    if times:
        report.newest_checkpoint = iso_utc(times[-1])
    if max_age:
        points = sorted(([first_at] if first_at else []) + times + [timezone.now()])
        for start, end in itertools.pairwise(points):
            if (end - start).total_seconds() > max_age:
                report.problems.append(
                    Problem("checkpoint-age", f"no checkpoint from {iso_utc(start)} to "
                            f"{iso_utc(end)} (longer than {max_age} seconds): checkpoints stopped "
                            "or the newest were deleted")
                )  # fmt: skip
    return report


def _valid_checkpoints(report: Report) -> list[tuple[str, dict]]:
    """The checkpoints the key made, from the table and the file, each with a name for the
    report; the others, and file lines missing from the table, are reported."""
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
    return valid


def _walk_chain(report: Report, wanted: dict[int, list[tuple[str, str]]]):
    """Check each entry against the one before it and its own keyed hash, and each checkpoint
    against the entry it names. Returns the first entry's time and the disclosure digests the
    entries recorded, each with the entries that recorded it."""
    found = {0: GENESIS}
    recorded: dict[str, list[int]] = {}
    previous, last_id, first_at = GENESIS, 0, None
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=5000):
        report.entries += 1
        first_at = first_at or entry.at
        if entry.prev_hash != previous:
            report.problems.append(
                Problem("chain", f"entry {entry.pk}: does not follow the entry before it "
                        "(an entry was deleted, inserted or moved)")
            )  # fmt: skip
        if not entry.hash_key_known():
            report.problems.append(
                Problem("content", f"entry {entry.pk}: its content was changed after it was "
                        "written, or its hash was not made with the audit key (the chain was "
                        "recomputed without the key)")
            )  # fmt: skip
        if entry.pk in wanted:
            found[entry.pk] = entry.entry_hash
        detail = entry.detail if isinstance(entry.detail, dict) else {}
        for digest in detail.get(DETAIL_KEY, []):
            recorded.setdefault(str(digest), []).append(entry.pk)
        previous, last_id = entry.entry_hash, entry.pk
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
    return first_at, recorded


def _check_disclosures(report: Report, recorded: dict[str, list[int]], chunk: int = 2000) -> None:
    """Every act, with its participants from the backlog and the index, must match a digest the
    chain recorded, and every recorded digest an act (as multisets: two identical acts are
    two digests)."""
    left = Counter({digest: len(entries) for digest, entries in recorded.items()})
    unrecorded = []
    acts = DisclosureAct.objects.order_by("id").values("id", *ACT_FIELDS)
    last = 0
    while True:
        batch = list(acts.filter(id__gt=last)[:chunk])
        if not batch:
            break
        ids = [act["id"] for act in batch]
        people: dict[int, set[int]] = {pk: set() for pk in ids}
        for act_id, participant_ids in DisclosureBacklog.objects.filter(act_id__in=ids).values_list(
            "act_id", "participant_ids"
        ):
            people[act_id].update(int(p) for p in participant_ids)
        for act_id, participant_id in DisclosedParticipant.objects.filter(
            act_id__in=ids
        ).values_list("act_id", "participant_id"):
            people[act_id].add(participant_id)
        for act in batch:
            digest = act_digest(act, people[act["id"]])
            if left[digest] > 0:
                left[digest] -= 1
            else:
                unrecorded.append(act["id"])
        last = ids[-1]
    for act_id in unrecorded:
        report.problems.append(
            Problem("disclosure-unrecorded", f"disclosure act {act_id}: no audit entry records "
                    "it as it now is (it or its participants were changed, or it was written "
                    "around Turnpoint)")
        )  # fmt: skip
    for digest, count in sorted(left.items()):
        if count > 0:
            entries = ", ".join(map(str, recorded[digest]))
            report.problems.append(
                Problem("disclosure-missing", f"audit entry {entries}: records a disclosure act "
                        "that is no longer in the database as it was written (removed or "
                        "changed)")
            )  # fmt: skip
