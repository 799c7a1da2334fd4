"""Making and changing a recovery plan (docs/plans.md). Writes only: reads go through
`turnpoint.sharing.reads.plan_read` and `plan_versions_read`.

A plan is described whole: the date it was agreed, whether the participant agreed it, the next
review, a summary in the participant's words, a staff note, the goals and the agreed services.
`plan_create` records its first version; `plan_revise` records the next from a full description
(what the form or the API sends: the goals and services as they now stand, each one carried on
from the current version naming its `key`). Versions are never edited.

Every value is checked before anything is written, and each problem names its field
(`goals[1].by_when`); then the plan, its version, goals and services and the audit entry are
written in one transaction, so nothing is ever half-written. Staff-written text (the staff note,
who helps, the provider, a service's note) goes through the language check
(`turnpoint.language`): findings refuse the save until the author ticks "keep my wording", which
the version records. The participant's own words (the summary, each goal) are never checked.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from turnpoint import dates, language
from turnpoint.assessments.domains import LifeDomain
from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.categories import Category
from turnpoint.sharing.rules import require
from turnpoint.text import text_problems

from .models import AgreedService, Goal, GoalStatus, Modality, PlanVersion, RecoveryPlan

# Free text and its longest length (the page's fields say the same).
SUMMARY_MAX = 2000
STAFF_NOTE_MAX = 4000
GOAL_MAX = 1000
WHO_HELPS_MAX = 200
PROVIDER_MAX = 200
SERVICE_NOTE_MAX = 1000
MAX_HOURS = Decimal("60")
# A plan is looked at again within a year of being agreed.
REVIEW_WITHIN_DAYS = 366
GOALS_MAX = 30
SERVICES_MAX = 30


class PlanUnchanged(InvalidInput):
    """The revision describes exactly the current version: there is nothing to save, and nothing
    was saved (so sending the same revision twice makes one version)."""

    def __init__(self, version: PlanVersion):
        self.version = version
        super().__init__(
            Problem(
                "",
                f"nothing has changed since version {version.number}, agreed on "
                f"{dates.spoken(version.agreed_on)}: nothing was saved",
            )
        )


@dataclass(frozen=True)
class GoalIn:
    domain: str
    in_their_words: str
    harm_reduction: bool = False
    who_helps: str = ""
    by_when: date | None = None
    status: str = GoalStatus.OPEN
    key: int | None = None  # the goal of the current version this one carries on


@dataclass(frozen=True)
class ServiceIn:
    modality: str
    provider: str
    intensity_hours_per_week: Decimal | str | float | int | None
    starts_on: date | None
    ends_on: date | None = None
    note: str = ""
    key: int | None = None


def _clean(value) -> str:
    return str(value or "").strip()


def _hours(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        hours = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return hours if hours.is_finite() else None


def _validate(
    *,
    participant,
    agreed_on,
    review_on,
    summary,
    staff_note,
    goals,
    services,
    known_goal_keys=frozenset(),
    known_service_keys=frozenset(),
) -> list[Problem]:
    problems: list[Problem] = []
    today = timezone.localdate()
    if not agreed_on:
        problems.append(Problem("agreed_on", "is required: the day the plan was agreed"))
    else:
        problems += dates.entered_date(
            "agreed_on", agreed_on, today=today, born=participant.date_of_birth
        )
    if not review_on:
        problems.append(Problem("review_on", "is required: when the plan is next reviewed"))
    else:
        problems += dates.not_before_floor("review_on", review_on)
        problems += dates.in_order(
            "review_on", review_on, agreed_on, "the date it was agreed", strictly=True
        )
        if agreed_on:
            latest = agreed_on + timedelta(days=REVIEW_WITHIN_DAYS)
            problems += dates.not_after(
                "review_on", review_on, latest, "a plan is reviewed within a year of being agreed"
            )
    problems += text_problems("summary", summary, max_length=SUMMARY_MAX, multiline=True)
    problems += text_problems("staff_note", staff_note, max_length=STAFF_NOTE_MAX, multiline=True)
    if not goals:
        problems.append(Problem("goals", "add at least one goal, in the participant's words"))
    if len(goals) > GOALS_MAX:
        problems.append(Problem("goals", f"must be {GOALS_MAX} or fewer"))
    if len(services) > SERVICES_MAX:
        problems.append(Problem("services", f"must be {SERVICES_MAX} or fewer"))
    seen: set[int] = set()
    for i, g in enumerate(goals):
        at = f"goals[{i}]"
        if g.domain not in LifeDomain.values:
            problems.append(Problem(f"{at}.domain", "must be one of the life domains"))
        if not _clean(g.in_their_words):
            problems.append(
                Problem(f"{at}.in_their_words", "is required: the goal as the participant says it")
            )
        problems += text_problems(
            f"{at}.in_their_words", g.in_their_words, max_length=GOAL_MAX, multiline=True
        )
        problems += text_problems(f"{at}.who_helps", g.who_helps, max_length=WHO_HELPS_MAX)
        if g.status not in GoalStatus.values:
            problems.append(Problem(f"{at}.status", "must be open, achieved, changed or dropped"))
        problems += dates.not_before_floor(f"{at}.by_when", g.by_when)
        problems += dates.in_order(
            f"{at}.by_when", g.by_when, agreed_on, "the date the plan was agreed"
        )
        if g.key is not None:
            if g.key not in known_goal_keys:
                problems.append(Problem(f"{at}.key", "is not a goal of this plan"))
            elif g.key in seen:
                problems.append(Problem(f"{at}.key", "names a goal already listed"))
            seen.add(g.key)
    seen = set()
    for i, s in enumerate(services):
        at = f"services[{i}]"
        if s.modality not in Modality.values:
            problems.append(Problem(f"{at}.modality", "must be one of the kinds of service"))
        if not _clean(s.provider):
            problems.append(Problem(f"{at}.provider", "is required: who provides it"))
        problems += text_problems(f"{at}.provider", s.provider, max_length=PROVIDER_MAX)
        problems += text_problems(f"{at}.note", s.note, max_length=SERVICE_NOTE_MAX, multiline=True)
        hours = _hours(s.intensity_hours_per_week)
        if s.intensity_hours_per_week in (None, ""):
            problems.append(Problem(f"{at}.intensity_hours_per_week", "is required"))
        elif hours is None:
            problems.append(Problem(f"{at}.intensity_hours_per_week", "must be a number"))
        elif not Decimal(0) < hours <= MAX_HOURS:
            problems.append(
                Problem(
                    f"{at}.intensity_hours_per_week",
                    "must be more than 0 and no more than 60 hours a week",
                )
            )
        elif hours != hours.quantize(Decimal("0.1")):
            problems.append(
                Problem(f"{at}.intensity_hours_per_week", "must have at most one decimal place")
            )
        if not s.starts_on:
            problems.append(Problem(f"{at}.starts_on", "is required"))
        problems += dates.not_before_floor(f"{at}.starts_on", s.starts_on)
        problems += dates.in_order(
            f"{at}.ends_on", s.ends_on, s.starts_on, "its start", strictly=True
        )
        if s.key is not None:
            if s.key not in known_service_keys:
                problems.append(Problem(f"{at}.key", "is not a service of this plan"))
            elif s.key in seen:
                problems.append(Problem(f"{at}.key", "names a service already listed"))
            seen.add(s.key)
    return problems


def staff_wording(*, staff_note, goals, services) -> list[language.Finding]:
    """The language check's findings on what staff wrote in a plan (never the participant's
    words: the summary and the goals are left alone)."""
    found = language.findings(staff_note, field="staff_note")
    for i, g in enumerate(goals):
        found += language.findings(g.who_helps, field=f"goals[{i}].who_helps")
    for i, s in enumerate(services):
        found += language.findings(s.provider, field=f"services[{i}].provider")
        found += language.findings(s.note, field=f"services[{i}].note")
    return found


def _permitted(acting_user, referral) -> None:
    require(acting_user, Category.PLAN, programme=referral.programme, action="write")
    if not acting_user.programmes.filter(pk=referral.programme_id).exists():
        raise InvalidInput(Problem("referral", "is not to a programme of your team"))


def _describe(
    *, agreed_on, review_on, agreed_with_participant, summary, staff_note, goals, services
) -> tuple:
    """What a version says, to compare a revision with the current version."""
    return (
        agreed_on,
        review_on,
        bool(agreed_with_participant),
        _clean(summary),
        _clean(staff_note),
        tuple(
            (
                g.key,
                g.domain,
                _clean(g.in_their_words),
                bool(g.harm_reduction),
                _clean(g.who_helps),
                g.by_when,
                g.status,
            )
            for g in goals
        ),
        tuple(
            (
                s.key,
                s.modality,
                _clean(s.provider),
                _hours(s.intensity_hours_per_week),
                s.starts_on,
                s.ends_on,
                _clean(s.note),
            )
            for s in services
        ),
    )


def version_described(version: PlanVersion) -> dict:
    """Everything `version` says, as the keyword arguments of `plan_revise` (goals and services
    carried on by their keys): a revision starts from it and changes what it changes."""
    return dict(
        agreed_on=version.agreed_on,
        review_on=version.review_on,
        agreed_with_participant=version.agreed_with_participant,
        summary=version.summary,
        staff_note=version.staff_note,
        goals=[
            GoalIn(
                g.domain,
                g.in_their_words,
                g.harm_reduction,
                g.who_helps,
                g.by_when,
                g.status,
                g.key,
            )
            for g in version.goals.all()
        ],
        services=[
            ServiceIn(
                s.modality,
                s.provider,
                s.intensity_hours_per_week,
                s.starts_on,
                s.ends_on,
                s.note,
                s.key,
            )
            for s in version.services.all()
        ],
    )


def _described(version: PlanVersion) -> tuple:
    return _describe(**version_described(version))


def _write_version(
    plan,
    number,
    *,
    acting_user,
    agreed_on,
    review_on,
    agreed_with_participant,
    summary,
    staff_note,
    wording_kept,
    goals,
    services,
    next_goal_key,
    next_service_key,
) -> PlanVersion:
    version = PlanVersion.objects.create(
        plan=plan,
        number=number,
        agreed_on=agreed_on,
        review_on=review_on,
        agreed_with_participant=bool(agreed_with_participant),
        summary=_clean(summary),
        staff_note=_clean(staff_note),
        wording_kept=wording_kept,
        created_by=acting_user,
    )
    rows = []
    for i, g in enumerate(goals):
        key = g.key
        if key is None:
            key, next_goal_key = next_goal_key, next_goal_key + 1
        rows.append(
            Goal(
                plan_version=version,
                position=i,
                key=key,
                domain=g.domain,
                in_their_words=_clean(g.in_their_words),
                harm_reduction=bool(g.harm_reduction),
                who_helps=_clean(g.who_helps),
                by_when=g.by_when,
                status=g.status,
            )
        )
    Goal.objects.bulk_create(rows)
    rows = []
    for i, s in enumerate(services):
        key = s.key
        if key is None:
            key, next_service_key = next_service_key, next_service_key + 1
        rows.append(
            AgreedService(
                plan_version=version,
                position=i,
                key=key,
                modality=s.modality,
                provider=_clean(s.provider),
                intensity_hours_per_week=_hours(s.intensity_hours_per_week),
                starts_on=s.starts_on,
                ends_on=s.ends_on,
                note=_clean(s.note),
            )
        )
    AgreedService.objects.bulk_create(rows)
    return version


def plan_create(
    *,
    acting_user,
    referral,
    agreed_on,
    review_on,
    agreed_with_participant=False,
    goals=(),
    services=(),
    summary="",
    staff_note="",
    keep_wording=False,
) -> RecoveryPlan:
    """Record a participant's recovery plan for `referral` (reached by the caller) as its first
    version. Refused with every problem named; one plan per referral."""
    _permitted(acting_user, referral)
    goals, services = list(goals), list(services)
    problems = _validate(
        participant=referral.participant,
        agreed_on=agreed_on,
        review_on=review_on,
        summary=summary,
        staff_note=staff_note,
        goals=goals,
        services=services,
    )
    if any(g.key is not None for g in goals) or any(s.key is not None for s in services):
        problems.append(Problem("goals", "a new plan carries on no earlier goal or service"))
    if problems:
        raise InvalidInput(problems)
    found = staff_wording(staff_note=staff_note, goals=goals, services=services)
    language.wording_check(found, keep_wording=keep_wording)
    with transaction.atomic():
        if RecoveryPlan.objects.select_for_update().filter(referral=referral).exists():
            raise Conflict("this referral already has a recovery plan: change that plan")
        plan = RecoveryPlan.objects.create(
            participant=referral.participant, referral=referral, created_by=acting_user
        )
        version = _write_version(
            plan,
            1,
            acting_user=acting_user,
            agreed_on=agreed_on,
            review_on=review_on,
            agreed_with_participant=agreed_with_participant,
            summary=summary,
            staff_note=staff_note,
            wording_kept=bool(found),
            goals=goals,
            services=services,
            next_goal_key=1,
            next_service_key=1,
        )
        _audit(acting_user, plan, version, action="create", kept=found)
    return plan


def plan_revise(
    plan: RecoveryPlan,
    *,
    acting_user,
    expected_version,
    agreed_on,
    review_on,
    agreed_with_participant=False,
    goals=(),
    services=(),
    summary="",
    staff_note="",
    keep_wording=False,
) -> PlanVersion:
    """Record the next version of `plan` (reached by the caller) from a full description. A
    revision identical to the current version is refused as nothing to save (`PlanUnchanged`);
    a stale `expected_version` raises `Conflict`."""
    _permitted(acting_user, plan.referral)
    goals, services = list(goals), list(services)
    with transaction.atomic():
        locked = RecoveryPlan.objects.select_for_update().get(pk=plan.pk)
        current = locked.versions.prefetch_related("goals", "services").get(
            number=locked.current_version
        )
        goal_keys = set(
            Goal.objects.filter(plan_version__plan=locked).values_list("key", flat=True)
        )
        service_keys = set(
            AgreedService.objects.filter(plan_version__plan=locked).values_list("key", flat=True)
        )
        problems = _validate(
            participant=locked.participant,
            agreed_on=agreed_on,
            review_on=review_on,
            summary=summary,
            staff_note=staff_note,
            goals=goals,
            services=services,
            known_goal_keys={g.key for g in current.goals.all()},
            known_service_keys={s.key for s in current.services.all()},
        )
        problems += dates.in_order(
            "agreed_on",
            agreed_on,
            current.agreed_on,
            f"the date version {current.number} was agreed",
        )
        if problems:
            raise InvalidInput(problems)
        description = _describe(
            agreed_on=agreed_on,
            review_on=review_on,
            agreed_with_participant=agreed_with_participant,
            summary=summary,
            staff_note=staff_note,
            goals=goals,
            services=services,
        )
        if description == _described(current):
            raise PlanUnchanged(current)
        if expected_version != locked.version:
            raise Conflict(
                f"the plan changed since you opened it (it is now at version "
                f"{locked.current_version}); reload it and make your change again"
            )
        found = staff_wording(staff_note=staff_note, goals=goals, services=services)
        language.wording_check(found, keep_wording=keep_wording)
        version = _write_version(
            locked,
            locked.current_version + 1,
            acting_user=acting_user,
            agreed_on=agreed_on,
            review_on=review_on,
            agreed_with_participant=agreed_with_participant,
            summary=summary,
            staff_note=staff_note,
            wording_kept=bool(found),
            goals=goals,
            services=services,
            next_goal_key=max(goal_keys, default=0) + 1,
            next_service_key=max(service_keys, default=0) + 1,
        )
        RecoveryPlan.objects.filter(pk=locked.pk).update(
            version=locked.version + 1, current_version=version.number
        )
        _audit(acting_user, locked, version, action="update", kept=found)
    plan.refresh_from_db()
    return version


def _audit(acting_user, plan, version, *, action: str, kept) -> None:
    audit_write(
        acting_user=acting_user,
        action=action,
        obj=plan,
        participant_ids=[plan.participant_id],
        categories=[Category.PLAN],
        detail={
            "plan_version": version.number,
            "goals": version.goals.count(),
            "services": version.services.count(),
            # the language check's findings the author chose to keep, by field and words
            "wording_kept": [[f.field, f.text] for f in kept],
        },
    )
