"""SEC-19: a read's record (audit entry and disclosure acts) is written in the read's own
transaction, with ordinary Django, on both databases. A failure injected into the record's
write lets no participant data out, whatever surrounds the read: an outer `atomic()`, other code
that catches the `DatabaseError`, or a checkpoint falling due when the transaction commits.

The failure is injected where the record is written (`DisclosureBacklog.objects.bulk_create`,
the last write of a cross-agency read's record, and the audit entry's save), so the audit entry
written just before it must roll back with it."""

import contextlib

import pytest
from django.db import DatabaseError, transaction
from django.test import Client

from turnpoint.sharing.categories import Category
from turnpoint.sharing.models import AuditEntry, DisclosureAct, DisclosureBacklog
from turnpoint.sharing.models import audit as audit_module
from turnpoint.sharing.reach import participants_visible_to
from turnpoint.sharing.reads import participant_record, participants_list

NAMES = ("Robinette", "Quarrington")


@pytest.fixture
def acts_down(monkeypatch):
    """Call it to make every disclosure act's backlog row fail to write, as a database would."""

    def break_it():
        def refuse(*args, **kwargs):
            raise DatabaseError("disk full while writing the disclosure backlog")

        monkeypatch.setattr(DisclosureBacklog.objects, "bulk_create", refuse)

    return break_it


@pytest.fixture
def audit_down(monkeypatch):
    def break_it():
        def refuse(*args, **kwargs):
            raise DatabaseError("disk full while writing the audit log")

        # Every audit entry is inserted by this one method, after it has been chained.
        monkeypatch.setattr(audit_module.AuditQuerySet, "insert_chained", refuse)

    return break_it


def _records():
    return (AuditEntry.objects.count(), DisclosureAct.objects.count(),
            DisclosureBacklog.objects.count())  # fmt: skip


def test_sec_19_a_court_page_is_not_sent_when_its_disclosure_cannot_be_written(
    world, users, acts_down
):
    page = Client(raise_request_exception=False)
    page.force_login(users["judge"])
    pid = world["participant"].pk
    assert page.get(f"/participants/{pid}/").status_code == 200  # the page works at all
    before = _records()
    acts_down()
    response = page.get(f"/participants/{pid}/")
    assert response.status_code == 500
    assert not [n for n in NAMES if n in response.content.decode()]
    assert _records() == before  # the audit entry written first rolled back with the acts


def test_sec_19_the_api_sends_no_participant_when_its_record_cannot_be_written(
    world, api_as, acts_down
):
    api = api_as("judge")
    api.raise_request_exception = False
    before = _records()
    acts_down()
    for url in ("/api/participants", f"/api/participants/{world['participant'].pk}",
                "/api/referrals", "/api/episodes"):  # fmt: skip
        response = api.get(url)
        assert response.status_code == 500, url
        assert not [n for n in NAMES if n in response.content.decode()], url
    assert _records() == before


def test_sec_19_inside_an_outer_atomic_a_failed_record_returns_nothing_and_leaves_nothing(
    world, users, acts_down
):
    judge = users["judge"]
    before = _records()
    acts_down()
    returned = []
    with transaction.atomic():
        with pytest.raises(DatabaseError):
            returned.append(participant_record(judge, world["participant"].pk))
        # The outer transaction goes on: the record's savepoint rolled back, not the outer one.
        assert _records() == before
    assert returned == []
    assert _records() == before


def test_sec_19_code_that_catches_the_database_error_gets_no_rows_to_show(world, users, acts_down):
    """Other code catching the `DatabaseError` between the read and the response has nothing to
    render: the selector raised before it returned any row, and the outer transaction, still
    usable, holds no part of the record."""
    judge = users["judge"]
    acts_down()
    shown = None
    with transaction.atomic():
        with contextlib.suppress(DatabaseError):
            shown = participants_list(judge, participants_visible_to(judge)[:50],
                                      [Category.IDENTITY, Category.PATHWAY])  # fmt: skip
        assert AuditEntry.objects.filter(username="judge").exists() is False
    assert shown is None


def test_sec_19_a_failed_audit_entry_fails_a_same_agency_page_too(world, users, audit_down):
    page = Client(raise_request_exception=False)
    page.force_login(users["coordinator"])
    audit_down()
    response = page.get(f"/participants/{world['participant'].pk}/")
    assert response.status_code == 500
    assert not [n for n in NAMES if n in response.content.decode()]


@pytest.mark.django_db(transaction=True)
def test_sec_19_a_checkpoint_falling_due_at_commit_neither_fails_nor_hides_the_read(
    world, users, settings
):
    """Every entry due a checkpoint: the page's transaction commits, the checkpoint follows it,
    and leaving `atomic()` raises nothing."""
    from turnpoint.sharing.models import AuditCheckpoint

    settings.TURNPOINT_AUDIT_CHECKPOINT_EVERY = 1
    page = Client()
    page.force_login(users["judge"])
    checkpoints = AuditCheckpoint.objects.count()
    with transaction.atomic():
        found = participant_record(users["judge"], world["participant"].pk)
    assert found.participant.pk == world["participant"].pk
    response = page.get(f"/participants/{world['participant'].pk}/")
    assert response.status_code == 200 and "Robinette" in response.content.decode()
    assert AuditCheckpoint.objects.count() > checkpoints


@pytest.mark.django_db(transaction=True)
def test_sec_19_with_a_checkpoint_due_a_failed_record_still_sends_no_participant_data(
    world, users, settings, acts_down
):
    """A checkpoint due at every entry, outside any test transaction, as a server runs: the
    audit entry is written, the act after it fails, and the page is an error with no name in it;
    no checkpoint names the entry that rolled back."""
    from turnpoint.sharing.models import AuditCheckpoint

    settings.TURNPOINT_AUDIT_CHECKPOINT_EVERY = 1
    page = Client(raise_request_exception=False)
    page.force_login(users["judge"])
    before, newest = _records(), AuditEntry.objects.order_by("-id").first()
    acts_down()
    response = page.get(f"/participants/{world['participant'].pk}/")
    assert response.status_code == 500
    assert not [n for n in NAMES if n in response.content.decode()]
    assert _records() == before
    assert not AuditCheckpoint.objects.filter(entry_id__gt=newest.pk).exists()
