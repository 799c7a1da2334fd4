"""Fields edited after entry keep their earlier values: a participant's name and date of birth
(identity), a referral's offence facts (legal facts), each viewable only by roles that may read
its category, and each read recorded."""

from datetime import date, datetime

import pytest
import time_machine

from turnpoint.errors import Conflict, InvalidInput
from turnpoint.journeys.corrections import referral_update
from turnpoint.journeys.models import Referral, ReferralFieldChange
from turnpoint.people.history import ParticipantFieldChange
from turnpoint.people.services import participant_update
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.reads import field_history_read
from turnpoint.sharing.rules import PolicyDenied


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 6, 15, 12, 0), tick=False):
        yield


@pytest.fixture
def referral(make_referral):
    return make_referral(on=date(2026, 6, 1))


def test_a_changed_name_and_date_of_birth_keep_their_earlier_values(referral, coordinator):
    person = referral.participant
    participant_update(
        person, acting_user=coordinator, expected_version=person.version, given_name="Robyn",
        date_of_birth=date(1990, 7, 17), sex="female", reason="Spelling on the charge sheet",
    )  # fmt: skip
    rows = {c.field: c for c in ParticipantFieldChange.objects.filter(participant=person)}
    assert set(rows) == {"given_name", "date_of_birth"}  # sex is not a kept field
    assert (rows["given_name"].old_value, rows["given_name"].new_value) == ("Robin", "Robyn")
    assert rows["date_of_birth"].old_value == "1990-05-17"
    assert rows["given_name"].changed_by == coordinator
    assert rows["given_name"].reason == "Spelling on the charge sheet"


def test_a_refused_participant_update_keeps_no_history(referral, coordinator):
    person = referral.participant
    with pytest.raises(Conflict):
        participant_update(person, acting_user=coordinator, expected_version=99, given_name="X")
    assert not ParticipantFieldChange.objects.exists()


def test_offence_facts_edited_keep_earlier_values_and_bump_the_version(referral, coordinator):
    version = referral.version
    referral_update(
        referral, acting_user=coordinator, expected_version=version,
        offence_category="drug_possession", offence_summary="Found with a small amount",
        reason="The charge was amended",
    )  # fmt: skip
    stored = Referral.objects.get(pk=referral.pk)
    assert stored.offence_category == "drug_possession" and stored.version == version + 1
    rows = {c.field: c for c in ReferralFieldChange.objects.filter(referral=referral)}
    assert set(rows) == {"offence_category", "offence_summary"}
    assert rows["offence_category"].old_value == "acquisitive"
    audit = AuditEntry.objects.filter(action="update", object_type="referral").get()
    assert audit.detail["fields"] == ["offence_category", "offence_summary"]
    assert audit.categories == ["legal"]


def test_offence_facts_refused_in_plain_words_change_nothing(referral, users):
    coordinator = users["coordinator"]
    with pytest.raises(InvalidInput) as excinfo:
        referral_update(referral, acting_user=coordinator, expected_version=referral.version,
                        offence_date=date(2026, 7, 1), offence_category="made_up")  # fmt: skip
    problems = [(p.field, p.reason) for p in excinfo.value.problems]
    assert ("offence_date", "is in the future") in problems
    assert ("offence_date", "is after the referral date") in problems
    assert any(f == "offence_category" and r.startswith("must be one of") for f, r in problems)
    with pytest.raises(Conflict):
        referral_update(referral, acting_user=coordinator, expected_version=referral.version + 1,
                        offence_category="fraud")  # fmt: skip
    with pytest.raises(PolicyDenied):
        referral_update(referral, acting_user=users["clinician"],
                        expected_version=referral.version, offence_category="fraud")  # fmt: skip
    assert not ReferralFieldChange.objects.exists()
    assert Referral.objects.get(pk=referral.pk).offence_category == "acquisitive"


def test_earlier_values_are_shown_by_category_and_the_read_is_recorded(referral, users):
    coordinator = users["coordinator"]
    person = referral.participant
    participant_update(person, acting_user=coordinator, expected_version=person.version,
                       family_name="Exemple")  # fmt: skip
    referral_update(referral, acting_user=coordinator, expected_version=referral.version,
                    offence_category="fraud")  # fmt: skip
    before = AuditEntry.objects.count()
    seen = field_history_read(users["casemanager"], person, [referral])
    assert [c.old_value for c in seen.identity] == ["Example"]
    assert [c.old_value for c in seen.offence[referral.pk]] == ["acquisitive"]
    assert AuditEntry.objects.count() > before
    # A clinician reads identity but never legal facts: no offence history, not even empty.
    clinician = field_history_read(users["clinician"], person, [referral])
    assert [c.new_value for c in clinician.identity] == ["Exemple"]
    assert referral.pk not in clinician.offence
    # An analyst reads no identifiable record.
    analyst = field_history_read(users["analyst"], person, [referral])
    assert analyst.identity is None and analyst.offence == {}
