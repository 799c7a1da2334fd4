"""Two records of one person merged by a coordinator, audited, and undone within 30 days
(turnpoint/people/merge.py)."""

from datetime import date, timedelta

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone
from participation_helpers import consent_to_take_part

from turnpoint.accounts.models import Role
from turnpoint.assessments.models import Administration, ExternalAssessment
from turnpoint.errors import InvalidInput, Problem
from turnpoint.journeys.services import referral_transition
from turnpoint.outcomes.models import FollowUp
from turnpoint.outcomes.services import outcome_event_record
from turnpoint.people.identifiers import contact_add, identifier_add
from turnpoint.people.merge import MOVES, UNMERGE_PERIOD, participant_merge, participant_unmerge
from turnpoint.people.models import Participant, ParticipantMerge
from turnpoint.people.services import household_child_add
from turnpoint.plans.services import GoalIn, plan_create
from turnpoint.portal.services import portal_setup_code_issue
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.consents import share_consent_create
from turnpoint.sharing.court_orders import court_order_record
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.reach import participant_for_user, participants_visible_to
from turnpoint.sharing.rules import PolicyDenied
from turnpoint.sharing.safeguarding import break_glass_open
from turnpoint.supervision.custody import custody_record
from turnpoint.supervision.models import (
    HearingStatus,
    HowScheduled,
    PhaseProposal,
    ProposalStatus,
    Response,
    ResponseKind,
    ReviewHearing,
)
from turnpoint.supervision.services import appointment_book, drug_test_record

TO_EPISODE = ("screening", "eligibility", "assessment", "recommendation", "decision", "episode")


def _walk_to_episode(referral, user):
    extra = {"decision": {"recommended_disposal": "programme"},
             "episode": {"imposed_disposal": "programme"}}  # fmt: skip
    for state in TO_EPISODE:
        referral.refresh_from_db()
        if state == "episode":
            consent_to_take_part(referral, user)
        referral_transition(referral, acting_user=user, to_state=state,
                            expected_version=referral.version, **extra.get(state, {}))  # fmt: skip


@pytest.fixture
def pair(make_referral, users):
    """Robin recorded twice: the duplicate has one row of every kind that moves."""
    kept = make_referral(given_name="Robin", family_name="Example").participant
    referral = make_referral(given_name="Robyn", family_name="Example")
    duplicate = referral.participant
    coordinator, clinician = users["coordinator"], users["clinician"]
    _walk_to_episode(referral, coordinator)
    identifier_add(acting_user=coordinator, participant=duplicate, kind="police",
                   value="2019/12345A")  # fmt: skip
    identifier_add(acting_user=coordinator, participant=kept, kind="prison", value="A1234BC")
    identifier_add(acting_user=coordinator, participant=duplicate, kind="prison", value="A1234BC")
    contact_add(acting_user=coordinator, participant=duplicate, kind="phone", value="0123 456789")
    household_child_add(acting_user=coordinator, participant=duplicate, first_name="Ada",
                        year_of_birth=date.today().year - 5)  # fmt: skip
    share_consent_create(
        acting_user=clinician, participant=duplicate, disclosing_agency=clinician.agency,
        recipient_role=Role.JUDGE, recipient_agency=users["judge"].agency,
        categories=[Category.CLINICAL], purposes=[Purpose.COURT_REVIEW],
        starts_at=timezone.now() - timedelta(minutes=1),
        expires_at=timezone.now() + timedelta(days=90),
        revocation_statement="You can withdraw this consent at any time.",
        revocation_method="Tell your key worker.", signature_method="written",
        signed_by="Robyn Example", signed_on=date.today(),
    )  # fmt: skip
    court_order_record(
        acting_user=coordinator, participant=duplicate, kind="order", court="Ghent court",
        reference="ORD-1", made_on=date.today(), categories=[Category.CLINICAL],
        covers_from=date.today() - timedelta(days=365), covers_to=date.today(),
        recipient_role=Role.JUDGE, recipient_agency=users["judge"].agency,
        purposes=[Purpose.COURT_REVIEW], expires_at=timezone.now() + timedelta(days=30),
    )  # fmt: skip
    why = "A child at home is at risk tonight."
    break_glass_open(acting_user=users["safeguarding"], participant=duplicate,
                     reason_code="child_at_risk", justification=why)  # fmt: skip
    portal_setup_code_issue(acting_user=coordinator, participant=duplicate)
    Administration.objects.create(
        participant=duplicate, referral=referral, instrument_id="phq-9", instrument_version="1",
        category=Category.MENTAL_HEALTH, setting="intake", administered_on=date.today(),
        administered_by=clinician,
    )  # fmt: skip
    ExternalAssessment.objects.create(
        participant=duplicate, tool="LS/CMI", level="medium", assessed_on=date.today(),
        recorded_by=coordinator,
    )  # fmt: skip
    plan_create(
        acting_user=coordinator, referral=referral, agreed_on=date.today(),
        review_on=date.today() + timedelta(days=90), agreed_with_participant=True,
        goals=[GoalIn("housing", "Somewhere of my own")],
    )  # fmt: skip
    appointment_book(
        acting_user=coordinator,
        referral=referral,
        kind="supervision_meeting",
        starts_at=timezone.now() - timedelta(days=1),
        with_user=coordinator,
    )
    drug_test_record(
        acting_user=coordinator,
        referral=referral,
        specimen="urine",
        purpose="forensic",
        collected_at=timezone.now() - timedelta(hours=2),
    )
    custody_record(
        acting_user=coordinator, participant=duplicate, referral=referral, kind="remand",
        establishment="HMP Leeds", started_on=date.today() - timedelta(days=10),
        expected_release_on=date.today() + timedelta(days=20),
    )  # fmt: skip
    outcome_event_record(acting_user=coordinator, participant=duplicate, kind="housing",
                         status="settled", effective_on=date.today())  # fmt: skip
    referral.refresh_from_db()
    FollowUp.objects.create(participant=duplicate, referral=referral, episode=referral.episode,
                            months=3, due_on=date.today())  # fmt: skip
    # A hearing, a response and a phase proposal of the duplicate's running episode.
    ReviewHearing.objects.create(
        participant=duplicate, referral=referral, judge=users["judge"], held_on=date.today(),
        place="Court 1", how_scheduled=HowScheduled.REQUEST, status=HearingStatus.SCHEDULED,
        created_by=coordinator,
    )  # fmt: skip
    Response.objects.create(
        participant=duplicate, referral=referral, episode=referral.episode,
        behaviour="attended_all", behaviour_label="Attended every session",
        behaviour_on=date.today(), phase="1", days_in_programme=0, goal="proximal",
        kind=ResponseKind.INCENTIVE, grade="low", option="Praise from the team", option_position=1,
        responded_on=date.today(), days_between=0, category=Category.PATHWAY,
        recorded_by=coordinator,
    )  # fmt: skip
    PhaseProposal.objects.create(
        episode=referral.episode, referral=referral, participant=duplicate, phase_number=1,
        to_phase_number=2, proposed_on=date.today(), status=ProposalStatus.OPEN,
    )  # fmt: skip
    return kept, duplicate


def _rows_of(participant):
    from django.apps import apps

    return {
        label: set(apps.get_model(label).objects.filter(**{field: participant})
                   .values_list("pk", flat=True))
        for label, field in MOVES
    }  # fmt: skip


def test_every_kind_of_row_moves_and_the_merge_is_audited(pair, coordinator):
    kept, duplicate = pair
    before_kept, before_dup = _rows_of(kept), _rows_of(duplicate)
    # The fixture gave the duplicate a row of every kind that moves.
    assert all(before_dup[label] for label, _ in MOVES), before_dup
    merge = participant_merge(acting_user=coordinator, kept=kept, duplicate=duplicate,
                              reached=participants_visible_to(coordinator))  # fmt: skip
    after_kept, after_dup = _rows_of(kept), _rows_of(duplicate)
    shared_prison = (
        before_dup["people.ExternalIdentifier"] - after_kept["people.ExternalIdentifier"]
    )
    # Everything moved but the prison number the kept record already had.
    assert len(shared_prison) == 1
    for label, _ in MOVES:
        expected = before_dup[label] - (shared_prison if label.endswith("Identifier") else set())
        assert after_kept[label] == before_kept[label] | expected, label
        assert set(merge.moved.get(label, [])) == expected, label
    assert after_dup["people.ExternalIdentifier"] == shared_prison
    duplicate.refresh_from_db()
    assert duplicate.merged_into == kept and duplicate.merged_at is not None
    entry = AuditEntry.objects.filter(action="merge").get()
    assert entry.participant_ids == sorted([kept.pk, duplicate.pk])
    assert entry.detail["kept"] == kept.pk and entry.detail["merged"] == duplicate.pk


def test_a_merged_record_is_out_of_reach_and_out_of_lists(pair, coordinator):
    kept, duplicate = pair
    participant_merge(acting_user=coordinator, kept=kept, duplicate=duplicate,
                      reached=participants_visible_to(coordinator))  # fmt: skip
    assert list(participants_visible_to(coordinator)) == [kept]
    with pytest.raises(Http404):
        participant_for_user(coordinator, duplicate.pk)


def test_unmerge_moves_back_exactly_the_rows_that_moved(pair, coordinator):
    kept, duplicate = pair
    before_kept, before_dup = _rows_of(kept), _rows_of(duplicate)
    merge = participant_merge(acting_user=coordinator, kept=kept, duplicate=duplicate,
                              reached=participants_visible_to(coordinator))  # fmt: skip
    # Recorded on the kept record after the merge: stays with it.
    later = contact_add(acting_user=coordinator, participant=kept, kind="email",
                        value="robin@example.org")  # fmt: skip
    restored = participant_unmerge(acting_user=coordinator, merge=merge)
    assert restored.pk == duplicate.pk and restored.merged_into is None
    assert _rows_of(duplicate) == before_dup
    after = _rows_of(kept)
    after["people.ContactDetail"].discard(later.pk)
    assert after == before_kept
    assert set(participants_visible_to(coordinator)) == {kept, duplicate}
    merge.refresh_from_db()
    assert merge.unmerged_at is not None and merge.unmerged_by == coordinator
    assert AuditEntry.objects.filter(action="unmerge", object_id=str(merge.pk)).exists()


def test_unmerge_after_thirty_days_is_refused_and_changes_nothing(pair, coordinator):
    kept, duplicate = pair
    merge = participant_merge(acting_user=coordinator, kept=kept, duplicate=duplicate,
                              reached=participants_visible_to(coordinator))  # fmt: skip
    assert timedelta(days=30) == UNMERGE_PERIOD
    late = merge.merged_at + timedelta(days=30, seconds=1)
    with time_machine.travel(late, tick=False), pytest.raises(InvalidInput) as refused:
        participant_unmerge(acting_user=coordinator, merge=merge)
    assert refused.value.problems == [
        Problem("", "a merge can be undone only within 30 days; this one is older")
    ]
    assert Participant.objects.get(pk=duplicate.pk).merged_into == kept
    assert ParticipantMerge.objects.get(pk=merge.pk).unmerged_at is None
    with time_machine.travel(merge.merged_at + timedelta(days=29), tick=False):
        participant_unmerge(acting_user=coordinator, merge=merge)
    assert Participant.objects.get(pk=duplicate.pk).merged_into is None


@pytest.mark.parametrize("username", ["casemanager", "probation", "clinician", "judge"])
def test_only_a_coordinator_merges(pair, users, username):
    kept, duplicate = pair
    with pytest.raises(PolicyDenied):
        participant_merge(acting_user=users[username], kept=kept, duplicate=duplicate,
                          reached=participants_visible_to(users[username]))  # fmt: skip
    assert not ParticipantMerge.objects.exists()
    assert Participant.objects.get(pk=duplicate.pk).merged_into is None


def test_a_record_out_of_the_coordinators_reach_cannot_be_merged(pair, coordinator, outsider):
    kept, duplicate = pair
    outsider.role = Role.COORDINATOR
    with pytest.raises(InvalidInput) as refused:
        participant_merge(acting_user=outsider, kept=kept, duplicate=duplicate,
                          reached=participants_visible_to(outsider))  # fmt: skip
    assert refused.value.problems == [Problem("other", "is not a record you can see")]
    assert not ParticipantMerge.objects.exists()


def test_the_kept_records_accounting_lists_the_merged_records_disclosures(pair, users):
    from turnpoint.sharing.accounting import disclosure_accounting
    from turnpoint.sharing.reads import participants_list

    kept, duplicate = pair
    # A judge (another agency) sees the duplicate's identity and legal facts: a disclosure.
    participants_list(users["judge"], [duplicate], [Category.IDENTITY, Category.LEGAL])
    before = disclosure_accounting(duplicate)
    assert any(row.purpose == "Court review" for row in before)
    assert disclosure_accounting(kept) == []
    participant_merge(acting_user=users["coordinator"], kept=kept, duplicate=duplicate,
                      reached=participants_visible_to(users["coordinator"]))  # fmt: skip
    assert disclosure_accounting(kept) == before
    # The audit entries still name the duplicate's id: history is not rewritten.
    assert any(duplicate.pk in e.participant_ids for e in AuditEntry.objects.all())


def test_every_foreign_key_to_a_participant_either_moves_or_is_named_as_staying():
    """A new table that points at participants fails here until merge.py decides about it."""
    from django.apps import apps

    from turnpoint.people.merge import STAYS

    found = {
        (model._meta.label, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.is_relation and field.concrete and field.related_model is Participant
    }
    assert found == set(MOVES) | set(STAYS)
    assert not set(MOVES) & set(STAYS)
