"""Disclosure records in the audit chain: their removal or change is detected (security.md SEC-42).

Every write of disclosure acts (`disclosures._acts_write`) is recorded in the hash-chained
audit log in the same transaction: the audit entry carries, in `detail["disclosures"]`, one
digest per act, a SHA-256 over the act's values and its sorted participant ids. A read that
crosses agencies puts them in its own read entry; any other write of acts (a statutory report,
a page of a participants list that audits no category) appends a `disclosed` entry.

The digest need not be keyed: the entry that holds it is (models.AuditEntry.chained_hash), so
nobody without the audit key can change or remove a digest without breaking the chain.
`turnpoint audit verify` (verify.py) recomputes the digest of every act in the database, with
its participants from the backlog and the index alike, and compares the two as multisets: an
act removed, or changed, or a participant removed from or added to one, leaves a digest
recorded with no act to match it, or an act no entry recorded.
"""

import datetime
import hashlib
import json
from collections.abc import Iterable

from .audit import audit_entry
from .models import AuditEntry, append_entries

# DisclosureAct's columns, by attname, as a write's act values name them
# (tests/security/test_sec_42_keyed_audit.py checks this list against the model).
ACT_FIELDS = (
    "at", "recipient_user_id", "recipient_agency", "categories", "purpose", "legal_basis",
    "basis_reference", "notice_attached", "channel", "request_id",
)  # fmt: skip
DETAIL_KEY = "disclosures"


def act_digest(values: dict, participant_ids: Iterable[int]) -> str:
    """The digest of one act: its values (a write's dict or a row's `.values()`) and the ids of
    the participants it disclosed."""
    content = {name: values.get(name) for name in ACT_FIELDS}
    at: datetime.datetime = values["at"]
    content["at"] = at.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    content["categories"] = [str(c) for c in values["categories"]]
    content["notice_attached"] = bool(content["notice_attached"])
    content["participant_ids"] = sorted({int(p) for p in participant_ids})
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def acts_recorded(acts: list[tuple[dict, list[int]]], entry: AuditEntry | None = None) -> None:
    """Append the audit entry that records `acts` ((act values, participant ids) pairs): `entry`
    (a read's own) with their digests added, or else a `disclosed` entry. Call in the
    transaction that writes the acts."""
    digests = [act_digest(values, ids) for values, ids in acts]
    if entry is None:
        entry = audit_entry(acting_user=None, action=AuditEntry.Action.DISCLOSED)
    entry.detail = {**(entry.detail or {}), DETAIL_KEY: digests}
    append_entries([entry])
