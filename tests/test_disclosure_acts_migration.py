"""Migration sharing 0011 moves every disclosure row into an act and its participant without
losing or changing one, and back again; 0012 adds the backlog and keeps every disclosure, indexed
or pending, both ways (docs/sharing.md, "How disclosures are stored")."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("sharing", "0010_audit_mfa_actions")]
AFTER = [("sharing", "0011_disclosure_acts")]
FIELDS = ("participant_id", "recipient_user_id", "recipient_agency", "categories", "purpose",
          "legal_basis", "basis_reference", "notice_attached", "channel", "request_id")  # fmt: skip


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _rows(model):
    return [
        (d.at.astimezone(UTC), *(getattr(d, f) for f in FIELDS))
        for d in model.objects.order_by("id")
    ]


@pytest.mark.django_db(transaction=True)
def test_disclosures_survive_the_move_to_acts_and_back():
    old = _migrate(BEFORE)
    Participant = old.get_model("people", "Participant")
    people = [
        Participant.objects.create(
            given_name=n, family_name="Example", date_of_birth=datetime(1990, 1, 1).date()
        )
        for n in ("Robin", "Alex")
    ]
    Old = old.get_model("sharing", "Disclosure")
    at = datetime(2026, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)
    for i, person in enumerate(people * 2):
        Old.objects.create(
            at=at, participant_id=person.pk, recipient_agency=f"Court {i}",
            categories=["identity", "legal"][: i % 2 + 1], purpose="court_review",
            legal_basis="statute" if i % 2 else "consent", basis_reference=f"ref {i}",
            notice_attached=bool(i % 2), channel="web", request_id=f"r{i}",
        )  # fmt: skip
    before = _rows(Old)
    try:
        new = _migrate(AFTER)
        assert _rows(new.get_model("sharing", "Disclosure")) == before
        Act = new.get_model("sharing", "DisclosureAct")
        assert Act.objects.count() == 4
        # New acts number after the copied ones (PostgreSQL's identity was moved past them).
        fresh = Act.objects.create(
            at=at, categories=[], purpose="court_review", legal_basis="statute",
            basis_reference="x", notice_attached=False,
        )  # fmt: skip
        assert fresh.pk > max(Act.objects.exclude(pk=fresh.pk).values_list("pk", flat=True))
        fresh.delete()

        back = _migrate(BEFORE)
        assert _rows(back.get_model("sharing", "Disclosure")) == before
    finally:
        _migrate(_latest())


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


BACKLOG = [("sharing", "0012_disclosure_backlog")]


def _content(model):
    """The view's rows without its id, which 0012 computes from the act and the participant."""
    return sorted(
        (d.act_id, d.participant_id, d.at.astimezone(UTC), *(getattr(d, f) for f in FIELDS[1:]))
        for d in model.objects.all()
    )


@pytest.mark.django_db(transaction=True)
def test_migration_0012_keeps_indexed_and_pending_disclosures_both_ways(users, make_referral):
    from turnpoint.sharing.record import disclosure_write, disclosures_index

    people = [make_referral(given_name=n).participant for n in ("Robin", "Alex", "Sam")]
    for i, group in enumerate((people, people[:2])):
        disclosure_write(
            recipient=users["judge"], participant_ids=[p.pk for p in group],
            categories=["legal"], purpose="court_review", legal_basis="statute",
            basis_reference=f"ref {i}", notice_attached=False,
        )  # fmt: skip
        if i == 0:
            disclosures_index()  # the first act indexed, the second still in the backlog
    current = _migrate(BACKLOG)
    before = _content(current.get_model("sharing", "Disclosure"))
    assert len(before) == 5
    assert current.get_model("sharing", "DisclosureBacklog").objects.count() == 1
    try:
        old = _migrate(AFTER)
        assert _content(old.get_model("sharing", "Disclosure")) == before
        assert old.get_model("sharing", "DisclosedParticipant").objects.count() == 5
        again = _migrate(BACKLOG)
        assert _content(again.get_model("sharing", "Disclosure")) == before
        assert again.get_model("sharing", "DisclosureBacklog").objects.count() == 0
    finally:
        _migrate(_latest())
