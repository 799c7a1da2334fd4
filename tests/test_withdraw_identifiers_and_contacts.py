"""An identifier or contact detail recorded in error is withdrawn, not deleted: kept with who,
when and why, audited, no longer current and no longer compared by the duplicate check
(turnpoint/people/identifiers.py)."""

from datetime import date

import pytest

from turnpoint.errors import InvalidInput, Problem
from turnpoint.people.identifiers import (
    contact_add,
    contact_withdraw,
    identifier_add,
    identifier_withdraw,
)
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.reads import duplicate_candidates, participant_details_read
from turnpoint.sharing.rules import PolicyDenied


@pytest.fixture
def participant(make_referral):
    return make_referral().participant


def _prison(participant, coordinator, value="A1234BC"):
    return identifier_add(acting_user=coordinator, participant=participant, kind="prison",
                          value=value)  # fmt: skip


def test_a_withdrawn_identifier_is_kept_marked_and_audited(participant, coordinator):
    row = _prison(participant, coordinator)
    done = identifier_withdraw(acting_user=coordinator, identifier=row,
                               reason="  Mistyped: the letters were swapped ")  # fmt: skip
    row.refresh_from_db()
    assert row.withdrawn_at is not None and row.withdrawn_at == done.withdrawn_at
    assert row.withdrawn_by == coordinator
    assert row.withdrawn_reason == "Mistyped: the letters were swapped"
    assert row.value == "A1234BC"  # kept as it was
    entry = AuditEntry.objects.filter(action="update", object_id=str(row.pk)).get()
    assert entry.detail == {"kind": "prison", "withdrawn": True,
                            "reason": "Mistyped: the letters were swapped"}  # fmt: skip
    assert entry.categories == ["legal"]
    current, _ = participant_details_read(coordinator, participant)
    assert current == []
    everything, _ = participant_details_read(coordinator, participant, withdrawn=True)
    assert everything == [row]


def test_a_reason_is_required_and_checked_like_any_free_text(participant, coordinator):
    row = _prison(participant, coordinator)
    with pytest.raises(InvalidInput) as refused:
        identifier_withdraw(acting_user=coordinator, identifier=row, reason="  ")
    assert refused.value.problems == [
        Problem("reason", "is required: say why it was recorded in error")
    ]
    with pytest.raises(InvalidInput) as refused:
        identifier_withdraw(acting_user=coordinator, identifier=row, reason="wrong\u202e")
    assert [p.field for p in refused.value.problems] == ["reason"]
    row.refresh_from_db()
    assert row.withdrawn_at is None
    assert not AuditEntry.objects.filter(action="update", object_id=str(row.pk)).exists()


def test_one_already_withdrawn_is_refused(participant, coordinator):
    row = _prison(participant, coordinator)
    identifier_withdraw(acting_user=coordinator, identifier=row, reason="Mistyped")
    with pytest.raises(InvalidInput) as refused:
        identifier_withdraw(acting_user=coordinator, identifier=row, reason="Again")
    assert refused.value.problems == [
        Problem("reason", "cannot be given: this was withdrawn already")
    ]
    row.refresh_from_db()
    assert row.withdrawn_reason == "Mistyped"


def test_a_health_number_is_withdrawn_by_treatment_not_by_the_coordinator(
    participant, users, coordinator
):
    row = identifier_add(acting_user=users["clinician"], participant=participant, kind="nhs",
                         value="9434765919")  # fmt: skip
    with pytest.raises(PolicyDenied):
        identifier_withdraw(acting_user=coordinator, identifier=row, reason="Wrong person")
    row.refresh_from_db()
    assert row.withdrawn_at is None
    identifier_withdraw(acting_user=users["clinician"], identifier=row, reason="Wrong person")
    row.refresh_from_db()
    assert row.withdrawn_by == users["clinician"]


def test_a_judge_who_reads_legal_identifiers_cannot_withdraw_one(participant, users, coordinator):
    row = _prison(participant, coordinator)
    with pytest.raises(PolicyDenied):
        identifier_withdraw(acting_user=users["judge"], identifier=row, reason="Wrong")


def test_a_withdrawn_identifier_can_be_recorded_again_and_is_no_duplicate_match(
    participant, coordinator
):
    row = _prison(participant, coordinator)

    def matches():
        return [p for p, _ in duplicate_candidates(
            coordinator, given_name="Someone", family_name="Else",
            date_of_birth=date(1950, 1, 1), identifiers=[("prison", "a1234 bc")],
        )]  # fmt: skip

    assert matches() == [participant]
    identifier_withdraw(acting_user=coordinator, identifier=row, reason="Another person's")
    assert matches() == []
    again = _prison(participant, coordinator, value="A1234 BC")
    assert again.pk != row.pk
    assert matches() == [participant]
    current, _ = participant_details_read(coordinator, participant)
    assert current == [again]


def test_a_contact_detail_is_withdrawn_with_its_reason(participant, coordinator, users):
    row = contact_add(acting_user=coordinator, participant=participant, kind="phone",
                      value="+44 20 7946 0000")  # fmt: skip
    with pytest.raises(PolicyDenied):
        contact_withdraw(acting_user=users["judge"], contact=row, reason="Old number")
    contact_withdraw(acting_user=coordinator, contact=row, reason="Old number")
    row.refresh_from_db()
    assert (row.withdrawn_by, row.withdrawn_reason) == (coordinator, "Old number")
    entry = AuditEntry.objects.filter(action="update", object_id=str(row.pk)).get()
    assert entry.categories == ["identity"]
    assert participant_details_read(coordinator, participant) == ([], [])
