"""SEC-42: the audit log cannot be rewritten quietly.

Each entry's hash is keyed with the audit key, so a chain recomputed from any point without it
fails; checkpoints (also in a file outside the database) show removed entries and removed
checkpoints; the disclosure records are recorded in the chain, so their removal or change shows.
Run on SQLite and, with DATABASE_URL set, on PostgreSQL."""

import hashlib
import json
from io import StringIO

import pytest
from audit_helpers import raw, refusing_inserts, triggers_off, verify
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction
from django.db.transaction import TransactionManagementError
from django.test import override_settings

from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.categories import Category
from turnpoint.sharing.disclosure_records import ACT_FIELDS
from turnpoint.sharing.models import (
    AuditEntry,
    DisclosedParticipant,
    DisclosureAct,
    DisclosureBacklog,
)
from turnpoint.sharing.models.audit import AuditQuerySet
from turnpoint.sharing.models.checkpoints import GENESIS
from turnpoint.sharing.record import disclosure_write, disclosures_index, read_recorded

C = Category


def write(n):
    return [audit_write(acting_user=None, action="read", detail={"i": i}) for i in range(n)]


def checkpoint() -> None:
    call_command("audit", "checkpoint", stdout=StringIO())


def verify_fails(*args) -> dict:
    out = StringIO()
    with pytest.raises(CommandError, match="fails verification"):
        call_command("audit", "verify", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def checks(report) -> set[str]:
    return {p["check"] for p in report["problems"]}


def sha256_chain_from(entry_id: int, *, username: str) -> None:
    """The attack SEC-42 is about: change an entry and recompute every hash from it on, as the
    old unkeyed chain was computed (SHA-256 of the previous hash and the content)."""
    entries = list(AuditEntry.objects.filter(id__gte=entry_id).order_by("id"))
    previous = AuditEntry.objects.filter(id__lt=entry_id).order_by("-id").first()
    previous_hash = previous.entry_hash if previous else GENESIS
    entries[0].username = username
    with triggers_off():
        for entry in entries:
            entry.prev_hash = previous_hash
            previous_hash = hashlib.sha256((previous_hash + entry.canonical()).encode()).hexdigest()
            raw(
                "UPDATE sharing_auditentry SET username = %s, prev_hash = %s, entry_hash = %s "
                "WHERE id = %s",
                [entry.username, entry.prev_hash, previous_hash, entry.pk],
            )


@pytest.mark.django_db
def test_sec_42_each_entry_is_keyed_and_a_chain_recomputed_without_the_key_fails():
    entries = write(5)
    first = entries[0]
    unkeyed = hashlib.sha256((first.prev_hash + first.canonical()).encode()).hexdigest()
    assert first.entry_hash != unkeyed
    assert "5 entries, chain intact" in verify()

    sha256_chain_from(entries[2].pk, username="mallory")
    report = verify_fails()
    # Every link still matches the hash before it: only the key shows the rewrite.
    assert checks(report) == {"content"}
    assert [p["message"].split(":")[0] for p in report["problems"]] == [
        f"entry {e.pk}" for e in entries[2:]
    ]


@pytest.mark.django_db
def test_sec_42_a_chain_recomputed_with_another_key_fails_too():
    entries = write(3)
    forged_key = "a key the attacker made up, thirty-two characters+"
    with override_settings(TURNPOINT_AUDIT_KEY=forged_key), triggers_off():
        previous = GENESIS
        for entry in AuditEntry.objects.order_by("id"):
            digest = AuditEntry.chained_hash(previous, entry.canonical())
            raw(
                "UPDATE sharing_auditentry SET prev_hash = %s, entry_hash = %s WHERE id = %s",
                [previous, digest, entry.pk],
            )
            previous = digest
    report = verify_fails()
    assert checks(report) == {"content"} and len(report["problems"]) == len(entries)


@pytest.mark.django_db
def test_sec_42_removing_an_older_entry_is_detected_even_with_every_checkpoint_removed():
    entries = write(6)
    checkpoint()
    write(2)
    with triggers_off():
        raw("DELETE FROM sharing_auditentry WHERE id = %s", [entries[2].pk])
        raw("DELETE FROM sharing_auditcheckpoint")
    report = verify_fails()
    assert "chain" in checks(report)
    assert f"entry {entries[3].pk}: does not follow" in report["problems"][0]["message"]


@pytest.mark.django_db
def test_sec_42_removing_checkpoints_and_the_entries_they_covered_is_caught_by_the_file(tmp_path):
    """Entries older than the last checkpoint are anchored outside the database: deleting them
    with the checkpoints in the table still leaves the file's copy, which names them."""
    path = tmp_path / "audit-checkpoints.jsonl"
    with override_settings(TURNPOINT_AUDIT_CHECKPOINT_FILE=str(path)):
        entries = write(4)
        checkpoint()
        assert "4 entries, chain intact, 1 checkpoints" in verify()
        with triggers_off():
            raw("DELETE FROM sharing_auditentry WHERE id >= %s", [entries[1].pk])
            raw("DELETE FROM sharing_auditcheckpoint")
        report = verify_fails()
    assert checks(report) == {"checkpoint-missing", "checkpoint-entry"}
    assert f"names entry {entries[-1].pk}, which is not in the log" in json.dumps(report)


@pytest.mark.django_db
def test_sec_42_removing_checkpoints_everywhere_shows_as_a_stretch_without_one(tmp_path):
    """With the file's lines gone too, the checkpoint interval shows it: in production cron
    checkpoints every minute and verify accepts at most two minutes without a checkpoint."""
    entries = write(3)
    old = entries[0].at.replace(year=entries[0].at.year - 1)
    with triggers_off():
        raw("UPDATE sharing_auditentry SET at = %s WHERE id = %s", [old, entries[0].pk])
    report = verify_fails("--max-age", "120")
    assert "checkpoint-age" in checks(report)


@pytest.mark.django_db
def test_sec_19_an_append_joins_the_callers_transaction_and_fails_it(monkeypatch):
    """The record is written in the caller's transaction: rolled back with it, and when the
    record cannot be written the caller's transaction cannot go on as if it had been."""
    write(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        write(2)
        raise RuntimeError("the change fails: its record goes with it")
    assert AuditEntry.objects.count() == 1

    def refuse(self, entries):
        raise DatabaseError("audit store unavailable")

    monkeypatch.setattr(AuditQuerySet, "insert_chained", refuse)
    with pytest.raises(TransactionManagementError), transaction.atomic():
        with pytest.raises(DatabaseError):
            write(1)
        AuditEntry.objects.count()  # the transaction is spoilt: nothing more runs in it


# Disclosure records ------------------------------------------------------------------------------


@pytest.fixture
def disclosed(users, make_referral):
    """A judge's read of a participant's legal information: it crosses agencies, so it writes a
    disclosure act, and the read's audit entry carries the act's digest."""
    person = make_referral(offence_summary="Took bread from a shop").participant
    judge = users["judge"]
    assert read_recorded(judge, participants=[person], categories=[C.IDENTITY, C.LEGAL]) == 1
    [act] = DisclosureAct.objects.filter(recipient_user=judge)
    [entry] = AuditEntry.objects.filter(action="read", user=judge)
    assert len(entry.detail["disclosures"]) == 1
    assert "chain intact" in verify()
    return act, person


def test_sec_42_the_act_fields_recorded_are_every_column_of_a_disclosure_act():
    columns = {f.attname for f in DisclosureAct._meta.concrete_fields if not f.primary_key}
    assert set(ACT_FIELDS) == columns


def test_sec_42_a_changed_disclosure_act_is_detected(disclosed):
    act, _ = disclosed
    DisclosureAct.objects.filter(pk=act.pk).update(legal_basis="safeguarding")
    report = verify_fails()
    assert checks(report) == {"disclosure-missing", "disclosure-unrecorded"}
    assert f"disclosure act {act.pk}: no audit entry records it" in json.dumps(report)


def test_sec_42_a_removed_disclosure_act_is_detected(disclosed):
    act, _ = disclosed
    raw("DELETE FROM sharing_disclosurebacklog WHERE act_id = %s", [act.pk])
    raw("DELETE FROM sharing_disclosureact WHERE id = %s", [act.pk])
    report = verify_fails()
    assert checks(report) == {"disclosure-missing"}
    assert "records a disclosure act that is no longer in the database" in json.dumps(report)


def test_sec_42_a_participant_removed_from_the_backlog_or_the_index_is_detected(
    disclosed, users, make_referral
):
    act, person = disclosed
    DisclosureBacklog.objects.filter(act=act).update(participant_ids=[])
    assert checks(verify_fails()) == {"disclosure-missing", "disclosure-unrecorded"}
    DisclosureBacklog.objects.filter(act=act).update(participant_ids=[person.pk])
    assert "chain intact" in verify()

    assert disclosures_index() == (1, 1)  # moved to the index: the same participants, verifies
    assert "chain intact" in verify()
    DisclosedParticipant.objects.filter(act=act).delete()
    assert checks(verify_fails()) == {"disclosure-missing", "disclosure-unrecorded"}


def test_sec_42_an_act_written_around_turnpoint_is_detected(disclosed):
    act, person = disclosed
    values = {f: getattr(act, f) for f in ACT_FIELDS}
    forged = DisclosureAct.objects.create(**values)
    DisclosureBacklog.objects.create(act=forged, participant_ids=[person.pk])
    report = verify_fails()
    assert checks(report) == {"disclosure-unrecorded"}
    assert f"disclosure act {forged.pk}: no audit entry records it" in json.dumps(report)


def test_sec_42_acts_written_without_a_read_entry_are_recorded_in_a_disclosed_entry(
    users, make_referral
):
    """A statutory report or a list page that audits no category writes acts with no read
    entry of its own: a `disclosed` entry records them, in the same transaction."""
    person = make_referral().participant
    with transaction.atomic():
        written = disclosure_write(
            recipient=None, recipient_agency="Crown Court", participant_ids=[person.pk],
            categories=[C.IDENTITY], purpose="court_review", legal_basis="statute",
            basis_reference="Sentencing Act 2020", notice_attached=True,
        )  # fmt: skip
    assert written == 1
    [entry] = AuditEntry.objects.filter(action="disclosed")
    assert len(entry.detail["disclosures"]) == 1
    assert "chain intact" in verify()
    DisclosureAct.objects.update(recipient_agency="Somewhere else")
    assert checks(verify_fails()) == {"disclosure-missing", "disclosure-unrecorded"}


@pytest.mark.django_db(transaction=True)
def test_sec_42_a_read_whose_acts_cannot_be_written_leaves_no_record(users, make_referral):
    """All or nothing: the entry with the act's digest and the act go together."""
    person = make_referral().participant
    before = AuditEntry.objects.count()
    refused = refusing_inserts(DisclosureBacklog._meta.db_table, "disclosure log unavailable")
    with refused, pytest.raises(DatabaseError):
        read_recorded(users["judge"], participants=[person], categories=[C.LEGAL])
    assert AuditEntry.objects.count() == before
    assert not DisclosureAct.objects.exists()
    assert "chain intact" in verify()
