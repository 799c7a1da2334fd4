"""SEC-21: the audit log is tamper-evident and append-only.

The hash chain's own tests (altered, deleted, reordered, inserted entries) are in
tests/test_audit_verify_cli.py. These cover what the chain alone cannot: cutting off the newest
entries (keyed checkpoints, in the table, in a file outside the database and by their age), the
database refusing UPDATE and DELETE (triggers on both databases; the application's PostgreSQL
role's privileges), and concurrent writers making one chain."""

import datetime
import itertools
import json
import threading
import time
from io import StringIO

import pytest
from audit_helpers import raw, triggers_off, verify
from django.core.management import CommandError, call_command
from django.db import DatabaseError, OperationalError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from turnpoint.sharing.audit import audit_entry, audit_write
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.models.checkpoints import AuditCheckpoint, checkpoint_mac

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="database roles, privileges and concurrent connections are PostgreSQL's",
)


def write(n, **detail):
    return [
        audit_write(acting_user=None, action="read", detail={"i": i, **detail}) for i in range(n)
    ]


def checkpoint(*, json_output=False) -> str:
    out = StringIO()
    call_command("audit", "checkpoint", *(["--json"] if json_output else []), stdout=out)
    return out.getvalue()


def verify_fails(*args) -> dict:
    """Run `audit verify --json`, which must fail; return its report."""
    out = StringIO()
    with pytest.raises(CommandError, match="fails verification"):
        call_command("audit", "verify", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def checks(report) -> set[str]:
    return {p["check"] for p in report["problems"]}


def checkpoint_at(entry, at) -> AuditCheckpoint:
    """A checkpoint as `turnpoint audit checkpoint` would have written it at `at`."""
    iso = at.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    return AuditCheckpoint.objects.create(
        at=at, entry_id=entry.pk, entry_hash=entry.entry_hash,
        mac=checkpoint_mac(entry.pk, entry.entry_hash, iso),
    )  # fmt: skip


def cut_off_after(entry_id, *, checkpoints_from=None):
    """The attack: delete every entry after `entry_id` (and checkpoints from an id on)."""
    with triggers_off():
        raw("DELETE FROM sharing_auditentry WHERE id > %s", [entry_id])
        if checkpoints_from is not None:
            raw("DELETE FROM sharing_auditcheckpoint WHERE id >= %s", [checkpoints_from])


@pytest.mark.django_db
def test_sec_21_removing_the_newest_entries_is_detected():
    entries = write(10)
    checkpoint()
    write(2)
    assert "12 entries, chain intact, 1 checkpoints" in verify()

    cut_off_after(entries[4].pk)
    # What is left still chains: only the checkpoint shows the cut.
    report = verify_fails()
    assert checks(report) == {"checkpoint-entry"}
    assert report["ok"] is False and report["entries"] == 5
    assert (
        f"names entry {entries[-1].pk}, which is not in the log"
        in (report["problems"][0]["message"])
    )
    with pytest.raises(CommandError, match=r"checks failed: checkpoint-entry"):
        verify()


@pytest.mark.django_db
def test_sec_21_rewriting_the_newest_entries_with_fresh_hashes_is_detected():
    entries = write(4)
    checkpoint()
    # Rewrite the newest entry and recompute its hash: the chain alone would pass.
    newest = AuditEntry.objects.get(pk=entries[-1].pk)
    newest.username = "mallory"
    with triggers_off():
        raw(
            "UPDATE sharing_auditentry SET username = %s, entry_hash = %s WHERE id = %s",
            ["mallory", newest.compute_hash(), newest.pk],
        )
    report = verify_fails()
    assert checks(report) == {"checkpoint-entry"}
    assert "no longer has the hash it was checkpointed with" in report["problems"][0]["message"]


@pytest.mark.django_db
def test_sec_21_deleting_the_newest_checkpoint_too_is_caught_by_the_file(tmp_path):
    path = tmp_path / "audit-checkpoints.jsonl"
    with override_settings(TURNPOINT_AUDIT_CHECKPOINT_FILE=str(path)):
        entries = write(6)
        first = AuditCheckpoint.objects.get(pk=json.loads(checkpoint(json_output=True))["id"])
        write(3)
        newest = json.loads(checkpoint(json_output=True))
        assert [json.loads(line)["mac"] for line in path.read_text().splitlines()] == [
            first.mac, newest["mac"],
        ]  # fmt: skip
        assert "9 entries, chain intact, 2 checkpoints" in verify()

        cut_off_after(entries[-1].pk, checkpoints_from=newest["id"])
        report = verify_fails()
    # The table alone now looks consistent; the file remembers the deleted checkpoint.
    assert checks(report) == {"checkpoint-missing", "checkpoint-entry"}
    messages = " ".join(p["message"] for p in report["problems"])
    assert "checkpoint file line 2" in messages
    assert f"names entry {newest['entry_id']}, which is not in the log" in messages


@pytest.mark.django_db
def test_sec_21_a_missing_or_damaged_checkpoint_file_fails_verification(tmp_path):
    path = tmp_path / "audit-checkpoints.jsonl"
    with override_settings(TURNPOINT_AUDIT_CHECKPOINT_FILE=str(path)):
        write(2)
        checkpoint()
        with path.open("a") as file:
            file.write("not json\n")
        report = verify_fails()
        assert checks(report) == {"checkpoint-file"}
        assert "line 2: not a checkpoint" in report["problems"][0]["message"]
        path.unlink()
        assert "is missing" in verify_fails()["problems"][0]["message"]


@pytest.mark.django_db
def test_sec_21_deleting_the_newest_checkpoints_is_caught_by_their_age():
    """Without the file: entries and checkpoints of the last 3 hours deleted, and the
    application carrying on afterwards, leave a stretch without checkpoints."""
    now = timezone.now()
    hours = [now - datetime.timedelta(hours=h) for h in (6, 5, 4, 3, 2, 1)]
    entries = []
    for at in hours:
        entry = audit_entry(acting_user=None, action="read", detail={"at": at.isoformat()})
        entry.at = at
        entry.save()
        entries.append(entry)
        checkpoint_at(entry, at + datetime.timedelta(minutes=5))
    assert "6 checkpoints" in verify("--max-age", "3600")

    doomed = AuditCheckpoint.objects.get(entry_id=entries[3].pk).pk
    cut_off_after(entries[2].pk, checkpoints_from=doomed)
    write(1)  # the application goes on, and so does cron
    checkpoint()
    assert "4 entries, chain intact" in verify("--max-age", "0")  # no age limit: undetected
    report = verify_fails("--max-age", "3600")
    assert checks(report) == {"checkpoint-age"}
    assert "checkpoints stopped or the newest were deleted" in report["problems"][0]["message"]


@pytest.mark.django_db
def test_sec_21_a_checkpoint_without_the_key_is_detected():
    entry = write(1)[0]
    AuditCheckpoint.objects.create(
        at=timezone.now(), entry_id=entry.pk, entry_hash=entry.entry_hash, mac="0" * 64
    )
    report = verify_fails()
    assert checks(report) == {"checkpoint-key"}
    checkpoint()
    with override_settings(TURNPOINT_AUDIT_KEY="another key of at least thirty-two characters"):
        report = verify_fails()  # a key change shows too: in the checkpoints and the entry
    assert len(report["problems"]) == 3 and checks(report) == {"checkpoint-key", "content"}


@pytest.mark.django_db
def test_sec_21_checkpoints_made_before_a_key_rotation_verify_with_the_old_key_kept_as_fallback():
    """Rotating the audit key (docs/sharing.md): new entries and checkpoints are made with the
    new key only; those of the old key verify while it is kept in TURNPOINT_AUDIT_KEY_FALLBACKS,
    and fail (`checkpoint-key`, `content`) once it is dropped; a forged checkpoint fails with
    either."""
    old_key = "the audit key before the rotation, thirty-two+"
    new_key = "the audit key after the rotation, thirty-two+ too"
    with override_settings(TURNPOINT_AUDIT_KEY=old_key, TURNPOINT_AUDIT_KEY_FALLBACKS=[]):
        before = write(3)
        checkpoint()
    rotated = override_settings(
        TURNPOINT_AUDIT_KEY=new_key, TURNPOINT_AUDIT_KEY_FALLBACKS=[old_key]
    )
    with rotated:
        entry = write(2)[-1]
        checkpoint()
        assert "5 entries, chain intact, 2 checkpoints" in verify()
    assert entry.entry_hash == AuditEntry.chained_hash(
        entry.prev_hash, entry.canonical(), key=new_key
    )
    newest = AuditCheckpoint.objects.order_by("-id").first()
    at = newest.as_record()["at"]
    assert newest.mac == checkpoint_mac(entry.pk, entry.entry_hash, at, key=new_key)
    assert newest.mac != checkpoint_mac(entry.pk, entry.entry_hash, at, key=old_key)

    with override_settings(TURNPOINT_AUDIT_KEY=new_key, TURNPOINT_AUDIT_KEY_FALLBACKS=[]):
        report = verify_fails()
    assert [p["check"] for p in report["problems"]] == ["checkpoint-key"] + ["content"] * 3
    assert report["problems"][0]["message"].startswith(
        f"checkpoint {AuditCheckpoint.objects.order_by('id').first().pk} "
    )
    assert [p["message"].split(":")[0] for p in report["problems"][1:]] == [
        f"entry {e.pk}" for e in before
    ]

    AuditCheckpoint.objects.create(
        at=timezone.now(), entry_id=entry.pk, entry_hash=entry.entry_hash, mac="0" * 64
    )
    with rotated:
        assert checks(verify_fails()) == {"checkpoint-key"}


@pytest.mark.django_db
@override_settings(TURNPOINT_AUDIT_CHECKPOINT_EVERY=4)
def test_sec_21_a_checkpoint_is_written_every_n_entries(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        singles = write(9)
    with django_capture_on_commit_callbacks(execute=True):
        batch = AuditEntry.objects.bulk_create(
            AuditEntry(action="read", detail={"b": i}) for i in range(5)
        )
    with pytest.raises(RuntimeError), transaction.atomic():
        write(8)
        raise RuntimeError("rolled back: no checkpoint for entries that never were")
    # Each write compares its id with the newest entry's before it (none: 0).
    ids = [0] + [e.pk for e in singles] + [batch[-1].pk]
    expected = [b for a, b in itertools.pairwise(ids) if b // 4 > a // 4]
    assert expected, ids
    assert list(AuditCheckpoint.objects.values_list("entry_id", flat=True)) == expected
    assert "14 entries, chain intact" in verify()


@pytest.mark.django_db
def test_sec_21_checkpoint_command_prints_what_it_wrote():
    entry = write(2)[-1]
    record = json.loads(checkpoint(json_output=True))
    stored = AuditCheckpoint.objects.get(pk=record["id"])
    assert record["entry_id"] == entry.pk == stored.entry_id
    assert record["mac"] == stored.mac
    assert f"over entry {entry.pk}" in checkpoint()


@pytest.mark.django_db
def test_sec_21_append_only_triggers_refuse_update_and_delete_even_for_the_owner():
    """The test connects as the tables' owner (a superuser on PostgreSQL): the triggers
    refuse it all the same."""
    entry = write(1)[0]
    checkpoint()
    mark = AuditCheckpoint.objects.get()
    statements = [
        ("UPDATE sharing_auditentry SET username = 'mallory' WHERE id = %s", entry.pk),
        ("DELETE FROM sharing_auditentry WHERE id = %s", entry.pk),
        ("UPDATE sharing_auditcheckpoint SET entry_id = 0 WHERE id = %s", mark.pk),
        ("DELETE FROM sharing_auditcheckpoint WHERE id = %s", mark.pk),
    ]
    for sql, pk in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            raw(sql, [pk])
    assert AuditEntry.objects.get(pk=entry.pk).username == ""
    assert AuditCheckpoint.objects.get(pk=mark.pk).entry_id == entry.pk
    assert "1 entries, chain intact, 1 checkpoints" in verify()


@pytest.mark.django_db(transaction=True)
def test_sec_21_flush_still_empties_the_database():
    """`turnpoint flush` (the demo's reset, the test suite's teardown) is the one wipe allowed:
    TRUNCATE by the owner on PostgreSQL, DELETE with the clearing switch on SQLite."""
    write(2)
    checkpoint()
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEntry.objects.exists()
    assert not AuditCheckpoint.objects.exists()


@postgresql_only
@pytest.mark.django_db
def test_sec_21_app_role_cannot_update_or_delete_audit_rows():
    role = f"{connection.settings_dict['NAME']}_app"
    raw(f'CREATE ROLE "{role}" NOLOGIN')  # rolled back with the test
    out = StringIO()
    call_command("audit", "harden", "--role", role, "--apply", stdout=out)
    assert "REVOKE UPDATE, DELETE, TRUNCATE" in out.getvalue()
    entry = write(1)[0]
    raw(f'SET ROLE "{role}"')
    try:
        written = write(1, by="app role")[0]  # the application still writes its audit
        raw("UPDATE accounts_user SET last_login = NULL WHERE id = 0")  # and its other tables
        for sql in (
            "UPDATE sharing_auditentry SET username = 'mallory' WHERE id = %s",
            "DELETE FROM sharing_auditentry WHERE id = %s",
            "UPDATE sharing_auditcheckpoint SET entry_id = 0 WHERE id > %s",
        ):
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                raw(sql, [entry.pk])
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            raw("TRUNCATE sharing_auditentry CASCADE")
    finally:
        raw("RESET ROLE")
    assert AuditEntry.objects.get(pk=entry.pk).username == ""
    assert AuditEntry.objects.filter(pk__in=[entry.pk, written.pk]).count() == 2
    assert "2 entries, chain intact" in verify()


@pytest.mark.django_db
def test_sec_21_harden_refuses_a_role_that_could_undo_it():
    if connection.vendor == "postgresql":
        cases = [
            (connection.settings_dict["USER"], "is a superuser"),
            ("no_such_role_sec21", "there is no database role named"),
        ]
    else:
        cases = [("turnpoint_app", "--role: database roles and privileges are PostgreSQL's")]
    for role, message in cases:
        out = StringIO()
        with pytest.raises(CommandError, match="Nothing was changed"):
            call_command("audit", "harden", "--role", role, "--json", stdout=out)
        assert message in json.loads(out.getvalue())["errors"][0]


@postgresql_only
@pytest.mark.django_db
def test_sec_21_harden_refuses_the_owner_of_the_audit_tables():
    role = f"{connection.settings_dict['NAME']}_owner"
    raw(f'CREATE ROLE "{role}" NOLOGIN')
    raw(f'ALTER TABLE sharing_auditcheckpoint OWNER TO "{role}"')
    with pytest.raises(CommandError, match="owns the audit tables"):
        call_command("audit", "harden", "--role", role, stdout=StringIO())


def retrying(write):
    """SQLite's in-memory test database shares one cache, where a writer that finds the table
    locked fails at once instead of waiting as it does on a database file (its busy timeout):
    there, retry like the timeout would. PostgreSQL writers wait on the chain lock instead."""
    for _ in range(500):
        try:
            return write()
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            time.sleep(0.002)
    raise AssertionError("a writer never got the database")


def concurrent_writers(count: int, per_writer: int):
    """`count` threads, each on its own connection, writing singly and in bulk at once."""
    start = threading.Barrier(count)
    errors = []

    def writer(n):
        try:
            start.wait()
            for i in range(per_writer):
                retrying(
                    lambda i=i: audit_write(
                        acting_user=None, action="read", detail={"writer": n, "i": i}
                    )
                )
            retrying(
                lambda: AuditEntry.objects.bulk_create(
                    AuditEntry(action="read", detail={"writer": n, "bulk": i}) for i in range(3)
                )
            )
        except Exception as exc:  # reported below, with the writer
            errors.append((n, exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors


@postgresql_only
@pytest.mark.django_db(transaction=True)
@override_settings(TURNPOINT_AUDIT_CHECKPOINT_EVERY=7)
def test_sec_21_twenty_concurrent_writers_make_one_chain():
    concurrent_writers(20, 5)
    assert AuditEntry.objects.count() == 20 * 8
    hashes = list(AuditEntry.objects.values_list("prev_hash", flat=True))
    assert len(set(hashes)) == len(hashes)  # no two entries follow the same one: no fork
    assert AuditCheckpoint.objects.count() >= 1
    report = json.loads(verify("--json"))
    assert report["ok"] and report["entries"] == 160 and report["checkpoints"] >= 1


@pytest.mark.django_db(transaction=True)
@override_settings(TURNPOINT_AUDIT_CHECKPOINT_EVERY=5)
def test_sec_21_concurrent_writers_make_one_chain_on_sqlite_too():
    if connection.vendor != "sqlite":
        pytest.skip("the twenty-writer test above covers PostgreSQL")
    concurrent_writers(4, 3)
    assert AuditEntry.objects.count() == 4 * 6
    hashes = list(AuditEntry.objects.values_list("prev_hash", flat=True))
    assert len(set(hashes)) == len(hashes)
    assert "24 entries, chain intact" in verify()


@pytest.mark.django_db(transaction=True)
def test_sec_21_an_append_outside_a_transaction_is_its_own_transaction_and_keeps_the_chain():
    """Outside a caller's transaction an append opens its own: the chain lock (PostgreSQL's
    advisory lock; SQLite's write lock), the newest hash, the insert, in one transaction. Every
    stored hash is the keyed hash of the row as stored, and the chain verifies."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as single:
        first = audit_write(
            acting_user=None, action="read", categories=["identity"], participant_ids=[3, 1],
            purpose="case_management", detail={"page": "participant", "n": 1},
        )  # fmt: skip
    with CaptureQueriesContext(connection) as bulk:
        rest = AuditEntry.objects.bulk_create(
            audit_entry(acting_user=None, action="read", detail={"bulk": i}) for i in range(3)
        )
    statements = [q["sql"].split()[0] for q in single]
    if connection.vendor == "postgresql":  # the lock, then the newest hash
        assert single[1]["sql"].startswith("SELECT pg_advisory_xact_lock")
        assert statements == ["BEGIN", "SELECT", "SELECT", "INSERT", "COMMIT"]
    else:  # SQLite's write lock is the chain lock: its transaction, the newest hash, the insert
        assert statements == ["BEGIN", "SELECT", "INSERT", "COMMIT"]
    assert [q["sql"].split()[0] for q in bulk] == statements  # three rows, one INSERT
    stored = list(AuditEntry.objects.order_by("id"))
    assert [e.pk for e in stored] == [first.pk] + [e.pk for e in rest]
    for before, entry in itertools.pairwise(stored):
        assert entry.prev_hash == before.entry_hash
    for entry in stored:  # as read back, hashed by Python: what `audit verify` checks
        assert entry.entry_hash == entry.compute_hash()
    assert stored[0].participant_ids == [1, 3] and stored[0].detail["n"] == 1
    assert stored[0].entry_hash == first.entry_hash and stored[-1].pk == rest[-1].pk
    assert "4 entries, chain intact" in verify()
