"""Recovery plans made with the participant (docs/plans.md): versions that are never edited,
optimistic locking, dates that make sense, the language check on staff text, and the
selectors that decide, fetch and record each read."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone

from turnpoint.accounts.models import Role
from turnpoint.errors import Conflict, InvalidInput
from turnpoint.language import WordingToCheck
from turnpoint.plans.models import AgreedService, Goal, PlanVersion, RecoveryPlan
from turnpoint.plans.services import (
    GoalIn,
    PlanUnchanged,
    ServiceIn,
    plan_create,
    plan_revise,
    version_described,
)
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.consents import share_consent_create
from turnpoint.sharing.court_orders import court_order_record
from turnpoint.sharing.models import AuditEntry, Disclosure
from turnpoint.sharing.reads import plan_read, plan_versions_read
from turnpoint.sharing.rules import PolicyDenied

TODAY = date.today()


def first_plan(referral, user, **overrides):
    values = dict(
        acting_user=user,
        referral=referral,
        agreed_on=TODAY - timedelta(days=7),
        review_on=TODAY + timedelta(days=80),
        agreed_with_participant=True,
        summary="I want my kids back and a place of my own.",
        staff_note="Agreed at the first key-work session.",
        goals=[
            GoalIn(
                "housing",
                "A flat of my own",
                who_helps="Key worker and the council",
                by_when=TODAY + timedelta(days=120),
            ),
            GoalIn("substance_use", "Use on fewer days, and never alone", harm_reduction=True),
        ],
        services=[
            ServiceIn(
                "medication_assisted_treatment",
                "Leeds recovery service",
                "1.5",
                TODAY - timedelta(days=7),
            ),
        ],
    )
    values.update(overrides)
    return plan_create(**values)


def described(version, **changes):
    """The full description of `version`, each goal and service carried on by its key."""
    values = version_described(version)
    values.update(changes)
    return values


@pytest.fixture
def referral(make_referral):
    return make_referral()


def test_a_plan_starts_at_version_one_and_is_audited(referral, coordinator):
    plan = first_plan(referral, coordinator)
    assert (plan.version, plan.current_version, plan.participant_id) == (
        1,
        1,
        referral.participant_id,
    )
    version = plan.versions.get()
    assert [g.in_their_words for g in version.goals.all()] == [
        "A flat of my own",
        "Use on fewer days, and never alone",
    ]
    assert [g.harm_reduction for g in version.goals.all()] == [False, True]
    assert version.services.get().intensity_hours_per_week == Decimal("1.5")
    entry = AuditEntry.objects.filter(action="create", object_type="recoveryplan").get()
    assert entry.participant_ids == [referral.participant_id]
    assert entry.categories == [Category.PLAN] and entry.detail["plan_version"] == 1


def test_a_change_is_a_new_version_and_the_old_one_is_kept(referral, coordinator):
    plan = first_plan(referral, coordinator)
    v1 = plan.versions.get()
    values = described(v1)
    housing = values["goals"][0]
    values["goals"] = [
        GoalIn(housing.domain, housing.in_their_words, status="achieved", key=housing.key),
        GoalIn("employment_education", "Start the bricklaying course"),
    ]
    v2 = plan_revise(plan, acting_user=coordinator, expected_version=1, **values)
    plan.refresh_from_db()
    assert (plan.version, plan.current_version, v2.number) == (2, 2, 2)
    # Version 1 is exactly as it was.
    assert [g.status for g in v1.goals.all()] == ["open", "open"]
    assert v1.goals.count() == 2 and v1.services.count() == 1
    # Version 2 carries the housing goal on (same key), drops one, adds a new one.
    goals = list(v2.goals.all())
    assert [(g.key, g.status) for g in goals] == [(housing.key, "achieved"), (3, "open")]
    assert v2.services.get().key == v1.services.get().key
    assert AuditEntry.objects.filter(action="update", object_type="recoveryplan").count() == 1


def test_a_stale_version_is_refused_and_nothing_is_written(referral, coordinator):
    plan = first_plan(referral, coordinator)
    v1 = plan.versions.get()
    plan_revise(
        plan, acting_user=coordinator, expected_version=1, **described(v1, staff_note="Reviewed.")
    )
    with pytest.raises(Conflict):
        plan_revise(
            plan,
            acting_user=coordinator,
            expected_version=1,
            **described(v1, staff_note="Reviewed again."),
        )
    assert PlanVersion.objects.filter(plan=plan).count() == 2


def test_an_unchanged_revision_saves_nothing(referral, coordinator):
    plan = first_plan(referral, coordinator)
    v1 = plan.versions.get()
    with pytest.raises(PlanUnchanged) as caught:
        plan_revise(plan, acting_user=coordinator, expected_version=1, **described(v1))
    assert "nothing has changed since version 1" in str(caught.value)
    plan.refresh_from_db()
    assert (plan.version, PlanVersion.objects.filter(plan=plan).count()) == (1, 1)


def test_bad_dates_are_named_by_field_and_nothing_is_half_written(referral, coordinator):
    before = (
        RecoveryPlan.objects.count(),
        PlanVersion.objects.count(),
        Goal.objects.count(),
        AgreedService.objects.count(),
        AuditEntry.objects.count(),
    )
    with pytest.raises(InvalidInput) as caught:
        first_plan(
            referral,
            coordinator,
            agreed_on=TODAY + timedelta(days=1),
            review_on=TODAY - timedelta(days=1),
            goals=[
                GoalIn("housing", "A flat", by_when=TODAY - timedelta(days=30)),
                GoalIn("nowhere", ""),
            ],
            services=[
                ServiceIn("contingency_management", "", "61", TODAY, TODAY - timedelta(days=1))
            ],
        )
    problems = {(p.field, p.reason) for p in caught.value.problems}
    fields = {f for f, _ in problems}
    assert {
        "agreed_on",
        "review_on",
        "goals[0].by_when",
        "goals[1].domain",
        "goals[1].in_their_words",
        "services[0].provider",
        "services[0].intensity_hours_per_week",
        "services[0].ends_on",
    } <= fields
    assert ("agreed_on", "is in the future") in problems
    assert any(
        f == "review_on" and "must be after the date it was agreed" in r for f, r in problems
    )
    after = (
        RecoveryPlan.objects.count(),
        PlanVersion.objects.count(),
        Goal.objects.count(),
        AgreedService.objects.count(),
        AuditEntry.objects.count(),
    )
    assert after == before


def test_invisible_characters_in_goals_are_refused(referral, coordinator):
    with pytest.raises(InvalidInput) as caught:
        first_plan(referral, coordinator, goals=[GoalIn("housing", "A flat\u202e")])
    assert caught.value.problems[0].field == "goals[0].in_their_words"


def test_a_plan_needs_a_goal_and_the_hours_a_week_are_bounded(referral, coordinator):
    with pytest.raises(InvalidInput) as caught:
        first_plan(
            referral,
            coordinator,
            goals=[],
            services=[ServiceIn("mutual_aid", "SMART Recovery", "0", TODAY)],
        )
    fields = [p.field for p in caught.value.problems]
    assert fields == ["goals", "services[0].intensity_hours_per_week"]
    plan = first_plan(
        referral,
        coordinator,
        services=[ServiceIn("residential_rehabilitation", "Phoenix", "60", TODAY)],
    )
    assert plan.versions.get().services.get().intensity_hours_per_week == 60


def test_stigmatising_staff_wording_needs_keep_my_wording(referral, coordinator):
    with pytest.raises(WordingToCheck) as caught:
        first_plan(referral, coordinator, staff_note="Known addict; had a dirty urine.")
    assert [(f.field, f.text) for f in caught.value.findings] == [
        ("staff_note", "addict"),
        ("staff_note", "dirty urine"),
    ]
    assert not RecoveryPlan.objects.exists()
    plan = first_plan(referral, coordinator, staff_note="Known addict.", keep_wording=True)
    version = plan.versions.get()
    assert version.staff_note == "Known addict." and version.wording_kept
    entry = AuditEntry.objects.get(action="create", object_type="recoveryplan")
    assert entry.detail["wording_kept"] == [["staff_note", "addict"]]


def test_the_participants_own_words_are_never_checked(referral, coordinator):
    plan = first_plan(
        referral,
        coordinator,
        summary="Stay clean for my kids",
        goals=[GoalIn("substance_use", "Stay clean, no more being a junkie")],
    )
    version = plan.versions.get()
    assert version.goals.get().in_their_words == "Stay clean, no more being a junkie"
    assert not version.wording_kept


def test_only_plan_writers_make_plans(referral, users):
    for username in ("judge", "probation", "safeguarding"):
        with pytest.raises(PolicyDenied):
            first_plan(referral, users[username])
    assert first_plan(referral, users["clinician"]).created_by == users["clinician"]


# Reads -------------------------------------------------------------------------------------------


def test_plan_read_gives_the_current_version_and_every_version(referral, coordinator):
    plan = first_plan(referral, coordinator)
    plan_revise(
        plan,
        acting_user=coordinator,
        expected_version=1,
        **described(plan.versions.get(), staff_note="Reviewed."),
    )
    found = plan_read(coordinator, referral.participant)
    assert found.plan == plan and [v.number for v in found.versions] == [1, 2]
    assert found.current.number == 2 and found.current.staff_note == "Reviewed."
    pair = plan_versions_read(coordinator, referral.participant, [2, 1])
    assert [v.number for v in pair.versions] == [1, 2]
    with pytest.raises(Http404):
        plan_versions_read(coordinator, referral.participant, [1, 3])


def test_no_plan_yet_reads_as_empty(referral, coordinator):
    found = plan_read(coordinator, referral.participant)
    assert found.plan is None and found.current is None and found.versions == []


def _judge_consent(coordinator, judge, participant, categories=(Category.PLAN,)):
    return share_consent_create(
        acting_user=coordinator,
        participant=participant,
        disclosing_agency=coordinator.agency,
        recipient_role=Role.JUDGE,
        recipient_agency=judge.agency,
        categories=list(categories),
        purposes=[Purpose.COURT_REVIEW],
        starts_at=timezone.now() - timedelta(minutes=1),
        expires_at=timezone.now() + timedelta(days=90),
        revocation_statement="You can withdraw this consent at any time.",
        revocation_method="Tell your key worker.",
        signature_method="written",
        signed_by="Robin Example",
        signed_on=TODAY,
    )


def test_the_judge_sees_the_plan_only_with_consent_and_the_read_is_audited(referral, users):
    coordinator, judge = users["coordinator"], users["judge"]
    first_plan(referral, coordinator)
    person = referral.participant
    with pytest.raises(PolicyDenied):
        plan_read(judge, person)
    with pytest.raises(PolicyDenied):
        plan_versions_read(judge, person, [1])
    assert not AuditEntry.objects.filter(user=judge, participant_ids=[person.pk]).exists()
    consent = _judge_consent(coordinator, judge, person)
    found = plan_read(judge, person)
    assert found.basis == f"consent:{consent.pk}" and [v.number for v in found.versions] == [1]
    entry = AuditEntry.objects.filter(user=judge, action="read").latest("id")
    assert (entry.participant_ids, entry.categories) == ([person.pk], [Category.PLAN])
    assert entry.detail["versions"] == [1]
    # The plan crossed from the programme team to the court: a disclosure on the consent.
    act = Disclosure.objects.filter(participant=person, recipient_user=judge).get()
    assert (act.legal_basis, act.categories) == ("consent", [Category.PLAN])


def test_a_court_order_opens_only_versions_agreed_within_its_range(referral, users):
    coordinator, judge = users["coordinator"], users["judge"]
    plan = first_plan(
        referral,
        coordinator,
        agreed_on=TODAY - timedelta(days=40),
        review_on=TODAY + timedelta(days=30),
    )
    plan_revise(
        plan,
        acting_user=coordinator,
        expected_version=1,
        **described(
            plan.versions.get(), agreed_on=TODAY - timedelta(days=2), staff_note="Reviewed."
        ),
    )
    order = court_order_record(
        acting_user=coordinator,
        participant=referral.participant,
        kind="order",
        court="Ghent court of first instance",
        reference="ORD-9",
        made_on=TODAY,
        categories=[Category.PLAN],
        covers_from=TODAY - timedelta(days=60),
        covers_to=TODAY - timedelta(days=30),
        recipient_role=Role.JUDGE,
        purposes=[Purpose.COURT_REVIEW],
        expires_at=timezone.now() + timedelta(days=30),
    )
    found = plan_read(judge, referral.participant)
    assert found.basis == f"court_order:{order.pk}"
    assert [v.number for v in found.versions] == [1]
    with pytest.raises(Http404):
        plan_versions_read(judge, referral.participant, [1, 2])


def test_sec_19_a_plan_read_whose_record_cannot_be_written_returns_nothing(
    referral, users, monkeypatch
):
    """The judge's read crosses to the court on a consent: when its disclosure act cannot be
    written, the read fails, its audit entry rolls back with it, and no plan is returned."""
    from django.db import DatabaseError

    from turnpoint.sharing.models import DisclosureBacklog

    coordinator, judge = users["coordinator"], users["judge"]
    first_plan(referral, coordinator)
    _judge_consent(coordinator, judge, referral.participant)
    before = AuditEntry.objects.count()

    def refuse(*args, **kwargs):
        raise DatabaseError("disk full while writing the disclosure backlog")

    monkeypatch.setattr(DisclosureBacklog.objects, "bulk_create", refuse)
    found = None
    with pytest.raises(DatabaseError):
        found = plan_read(judge, referral.participant)
    assert found is None and AuditEntry.objects.count() == before
