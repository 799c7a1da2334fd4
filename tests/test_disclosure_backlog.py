"""A read writes its disclosures' participants as one backlog row per act; `turnpoint
disclosures index` moves them into the (participant, act) index afterwards. Readers see the
same disclosures, with the same ids, before and after (docs/sharing.md, "How disclosures are
stored"; decision 0008)."""

import json
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from turnpoint.sharing.accounting import disclosure_accounting
from turnpoint.sharing.models import (
    DisclosedParticipant,
    Disclosure,
    DisclosureAct,
    DisclosureBacklog,
)
from turnpoint.sharing.record import disclosure_write, disclosures_index

pytestmark = pytest.mark.django_db


def _view_rows():
    return [
        (d.pk, d.act_id, d.participant_id, d.at, d.recipient_user_id, d.recipient_agency,
         d.categories, d.purpose, d.legal_basis, d.basis_reference, d.notice_attached,
         d.channel, d.request_id)
        for d in Disclosure.objects.order_by("id")
    ]  # fmt: skip


def _write(users, people, reference="Sentencing Act 2020"):
    return disclosure_write(
        recipient=users["judge"], participant_ids=[p.pk for p in people], categories=["legal"],
        purpose="court_review", legal_basis="statute", basis_reference=reference,
        notice_attached=False,
    )  # fmt: skip


def test_sec_14_a_disclosure_is_accounted_for_before_and_after_it_is_indexed(users, make_referral):
    person = make_referral().participant
    client = Client()
    client.force_login(users["judge"])
    assert client.get(reverse("web:participant", args=[person.pk])).status_code == 200
    assert DisclosureBacklog.objects.count() == 1
    assert DisclosedParticipant.objects.count() == 0
    pending = _view_rows()
    accounted = disclosure_accounting(person)
    assert len(pending) == 1 and len(accounted) == 1
    assert accounted[0].at == pending[0][3]  # the row the judge's read wrote

    assert disclosures_index() == (1, 1)
    assert DisclosureBacklog.objects.count() == 0
    assert list(DisclosedParticipant.objects.values_list("participant_id", flat=True)) == [
        person.pk
    ]
    assert _view_rows() == pending  # same rows, same ids
    assert disclosure_accounting(person) == accounted


def test_a_view_id_is_the_act_times_two_to_the_32_plus_the_participant(users, make_referral):
    people = [make_referral(given_name=f"P{i}").participant for i in range(3)]
    _write(users, people)
    act = DisclosureAct.objects.get()
    assert sorted(d.pk for d in Disclosure.objects.all()) == sorted(
        act.pk * 2**32 + p.pk for p in people
    )


def test_indexing_moves_each_act_once_in_batches_and_then_nothing(users, make_referral):
    people = [make_referral(given_name=f"P{i}").participant for i in range(4)]
    for i in range(5):
        _write(users, people[: i % 4 + 1], reference=f"ref {i}")
    before = _view_rows()
    assert len(before) == 1 + 2 + 3 + 4 + 1
    assert disclosures_index(acts_per_transaction=2) == (5, 11)
    assert disclosures_index() == (0, 0)
    assert DisclosureBacklog.objects.count() == 0
    assert DisclosedParticipant.objects.count() == 11
    assert _view_rows() == before


def test_the_index_command_says_what_it_moved(users, make_referral):
    _write(users, [make_referral(given_name=f"P{i}").participant for i in range(2)])
    out = StringIO()
    call_command("disclosures", "index", stdout=out)
    assert "Indexed 2 participant(s) of 1 disclosure act(s)." in out.getvalue()
    out = StringIO()
    call_command("disclosures", "index", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"ok": True, "acts": 0, "participants": 0}


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite writes one transaction at a time; concurrent indexers are PostgreSQL's",
)
@pytest.mark.django_db(transaction=True)
def test_indexers_running_at_once_move_every_act_exactly_once(users, make_referral):
    people = [make_referral(given_name=f"P{i}").participant for i in range(10)]
    for i in range(60):
        _write(users, people[i % 10 :], reference=f"ref {i}")
    expected = len(_view_rows())
    start = threading.Barrier(4)
    moved, errors = [], []

    def indexer():
        try:
            start.wait()
            moved.append(disclosures_index(acts_per_transaction=3))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=indexer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sum(a for a, _ in moved) == 60
    assert sum(p for _, p in moved) == expected
    assert DisclosedParticipant.objects.count() == expected
    assert DisclosureBacklog.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_backlog_row_naming_a_missing_participant_stops_indexing_and_says_which(
    users, make_referral
):
    from django.core.management.base import CommandError

    from turnpoint.sharing.record import DisclosureIndexError

    person = make_referral().participant
    _write(users, [person])
    act = {"categories": [], "purpose": "court_review", "legal_basis": "statute",
           "basis_reference": "x", "notice_attached": False}  # fmt: skip
    broken = DisclosureAct.objects.create(**act).pk
    DisclosureBacklog.objects.create(act_id=broken, participant_ids=[person.pk, 999_999])
    before = _view_rows()
    with pytest.raises(DisclosureIndexError, match=f"act {broken} names participant.s. 999999"):
        disclosures_index()
    assert DisclosureBacklog.objects.count() == 2 and DisclosedParticipant.objects.count() == 0
    assert _view_rows() == before
    with pytest.raises(CommandError, match="Indexing stopped"):
        call_command("disclosures", "index", stdout=StringIO())
