"""Custody episodes, release plans and the 14 days after release (docs/supervision.md,
"Custody and release"; evidence.md R20).

The weeks after leaving prison carry a high risk of death by overdose: about 1 in 200 people who
inject heroin may die within 2 weeks of leaving prison (UK Drug Policy Commission, 2008). So a
release plan is started weeks before the expected release date, and the participant's first 14
days in the community are flagged with the tasks of the plan still open.

Every write here checks the policy (`require(user, category, action="write")`), validates first
and changes nothing when refused, and writes its audit entry in the transaction of the change.
Records that several people edit (the episode, the plan) carry a version: a write given a stale
`expected_version` is refused with `Conflict` and changes nothing.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from turnpoint import dates
from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import team_programme_ids
from turnpoint.sharing.rules import decide, require
from turnpoint.text import text_problems, texts_problems

from .models import (
    RELEASE_WINDOW_DAYS,
    CustodyEpisode,
    CustodyKind,
    ItemStatus,
    ReleaseItem,
    ReleasePlan,
    ReleasePlanItem,
)

C = Category
R = ReleaseItem

# A release plan is started this many weeks before the expected release date (a local setting:
# the sources ask for aftercare planned before release, and give no number of weeks).
PLAN_WEEKS_BEFORE_RELEASE = 12
# The first community appointment is booked for no later than this many days after release (a
# local setting: the sources ask for continuity of care from custody into the community).
FIRST_APPOINTMENT_WITHIN_DAYS = 2
# The release list shows releases expected this many weeks ahead.
UPCOMING_WEEKS = 4

TEXT_LIMITS = {"establishment": 200}
NOTE_MAX = 2000


@dataclass(frozen=True)
class Item:
    code: str
    label: str
    category: str
    # Whether "done" needs an appointment date (`appointment_on`), and what it is called.
    appointment: str = ""


# The checklist, in the order it is shown. The two treatment items are clinical facts, kept by
# the treatment provider and seen only by the roles that read the clinical record; the others
# are steps of the participant's pathway back into the community.
ITEMS = (
    Item(R.OST_CONTINUED, R.OST_CONTINUED.label, C.CLINICAL,
         "the community prescriber's appointment"),
    Item(R.NALOXONE_SUPPLIED, R.NALOXONE_SUPPLIED.label, C.CLINICAL),
    Item(R.FIRST_APPOINTMENT, R.FIRST_APPOINTMENT.label, C.PATHWAY,
         "the first community appointment"),
    Item(R.HOUSING, R.HOUSING.label, C.PATHWAY),
    Item(R.BENEFITS_ID, R.BENEFITS_ID.label, C.PATHWAY),
    Item(R.GP_REGISTRATION, R.GP_REGISTRATION.label, C.PATHWAY),
)  # fmt: skip
ITEM_BY_CODE = {i.code: i for i in ITEMS}
ITEM_CATEGORIES = frozenset(i.category for i in ITEMS)


# The 14 days after release: pure functions ------------------------------------------------------


@dataclass(frozen=True)
class ReleaseWindow:
    day: int  # days since release: 0 on the day of release
    ends_on: date  # the last day of the window

    @property
    def days_left(self) -> int:
        return RELEASE_WINDOW_DAYS - self.day


def release_window(released_on: date | None, today: date) -> ReleaseWindow | None:
    """The participant's place in the high overdose-risk window, or None outside it: from the
    day of release (day 0) to day 14 inclusive; from day 15, or before release, None."""
    if released_on is None:
        return None
    day = (today - released_on).days
    if 0 <= day <= RELEASE_WINDOW_DAYS:
        return ReleaseWindow(day, released_on + timedelta(days=RELEASE_WINDOW_DAYS))
    return None


def open_release_tasks(plan, categories=None) -> list:
    """The plan's items still open, in checklist order; with `categories`, only those of the
    categories given (what the reader may see). `plan` is a ReleasePlan (its items are read) or
    an iterable of items; None (no plan) gives none."""
    if plan is None:
        return []
    items = plan.items.all() if isinstance(plan, ReleasePlan) else plan
    order = {code: n for n, code in enumerate(ITEM_BY_CODE)}
    return sorted(
        (
            i for i in items
            if i.status == ItemStatus.OPEN and (categories is None or i.category in categories)
        ),
        key=lambda i: order.get(i.item, len(order)),
    )  # fmt: skip


def plan_start_due_on(expected_release_on: date | None) -> date | None:
    """The day a release plan is due to be started for this expected release date."""
    if expected_release_on is None:
        return None
    return expected_release_on - timedelta(weeks=PLAN_WEEKS_BEFORE_RELEASE)


# Services ----------------------------------------------------------------------------------------


def _programme_of(episode_or_referral):
    referral = getattr(episode_or_referral, "referral", episode_or_referral)
    return referral.programme if referral is not None else None


def _stale(kind: str, expected: int | None, now: int) -> None:
    if expected is not None and expected != now:
        raise Conflict(
            f"this {kind} changed since you opened it (version {expected}, now {now}); "
            "reload and try again"
        )


def custody_problems(values: dict, *, acting_user, today: date) -> list[Problem]:
    """Every problem with a custody episode's facts (`values` as `custody_record` takes them)."""
    problems = texts_problems(values, TEXT_LIMITS)
    participant = values.get("participant")
    born = participant.date_of_birth if participant else None
    if participant is None:
        problems.append(Problem("participant", "is required"))
    if values.get("kind") not in CustodyKind.values:
        problems.append(Problem("kind", "must be remand, a custody sanction or a sentence"))
    if not str(values.get("establishment") or "").strip():
        problems.append(Problem("establishment", "is required: name the prison or other place"))
    started = values.get("started_on")
    expected = values.get("expected_release_on")
    released = values.get("released_on")
    if started is None:
        problems.append(Problem("started_on", "is required"))
    problems += dates.entered_date("started_on", started, today=today, born=born)
    problems += dates.not_before_floor("expected_release_on", expected)
    problems += dates.in_order("expected_release_on", expected, started, "the start of custody",
                               strictly=True)  # fmt: skip
    problems += dates.entered_date("released_on", released, today=today, born=born)
    problems += dates.in_order("released_on", released, started, "the start of custody")
    referral = values.get("referral")
    if (referral is not None and participant is not None) and (
        referral.participant_id != participant.pk
        or referral.programme_id not in team_programme_ids(acting_user)
    ):
        problems.append(Problem("referral", "must be one of this participant's referrals "
                                    "to your team"))  # fmt: skip
    if participant is not None and started is not None and released is None:
        open_ = CustodyEpisode.objects.filter(participant=participant, released_on__isnull=True)
        current = open_.order_by("-started_on").first()
        if current is not None:
            problems.append(Problem(
                "started_on",
                f"the participant is already in custody since {dates.spoken(current.started_on)}"
                ": record that release first",
            ))  # fmt: skip
    return problems


def custody_record(*, acting_user, participant, kind: str, establishment: str, started_on: date,
                   expected_release_on: date | None = None, released_on: date | None = None,
                   referral=None) -> CustodyEpisode:  # fmt: skip
    """Record a custody episode (a legal fact). Refused with every problem named; nothing is
    written then."""
    require(acting_user, C.LEGAL, programme=_programme_of(referral), action="write")
    values = dict(participant=participant, kind=kind, establishment=(establishment or "").strip(),
                  started_on=started_on, expected_release_on=expected_release_on,
                  released_on=released_on, referral=referral)  # fmt: skip
    with transaction.atomic():
        problems = custody_problems(values, acting_user=acting_user, today=timezone.localdate())
        if problems:
            raise InvalidInput(problems)
        episode = CustodyEpisode.objects.create(recorded_by=acting_user, **values)
        audit_write(
            acting_user=acting_user, action="create", obj=episode,
            participant_ids=[participant.pk], categories=[C.LEGAL],
            detail={"kind": kind, "started_on": started_on.isoformat()},
        )  # fmt: skip
    return episode


def release_record(episode: CustodyEpisode, *, acting_user, released_on: date,
                   expected_version: int | None = None) -> CustodyEpisode:  # fmt: skip
    """Record the day the participant left custody. Refused when it is already recorded, when
    the day is before the start of custody or in the future, and when `expected_version` is
    stale (Conflict); nothing changes then."""
    require(acting_user, C.LEGAL, programme=_programme_of(episode), action="write")
    with transaction.atomic():
        locked = CustodyEpisode.objects.select_for_update().get(pk=episode.pk)
        if locked.released_on is not None:
            raise InvalidInput(Problem(
                "released_on", f"is already recorded ({dates.spoken(locked.released_on)})"
            ))  # fmt: skip
        _stale("custody episode", expected_version, locked.version)
        problems = [] if released_on else [Problem("released_on", "is required")]
        problems += dates.entered_date("released_on", released_on, today=timezone.localdate())
        problems += dates.in_order("released_on", released_on, locked.started_on,
                                   "the start of custody")  # fmt: skip
        if problems:
            raise InvalidInput(problems)
        locked.released_on = released_on
        locked.version += 1
        locked.save(update_fields=["released_on", "version"])
        audit_write(
            acting_user=acting_user, action="update", obj=locked,
            participant_ids=[locked.participant_id], categories=[C.LEGAL],
            detail={"released_on": released_on.isoformat()},
        )  # fmt: skip
    episode.refresh_from_db()
    return episode


def _plan_create(episode: CustodyEpisode, *, acting_user, today: date) -> ReleasePlan:
    plan = ReleasePlan.objects.create(custody_episode=episode, started_on=today,
                                      started_by=acting_user)  # fmt: skip
    ReleasePlanItem.objects.bulk_create(
        ReleasePlanItem(plan=plan, item=i.code, category=i.category) for i in ITEMS
    )
    return plan


def release_plan_start(episode: CustodyEpisode, *, acting_user) -> ReleasePlan:
    """Start the release plan of a custody episode (the programme team, who write the pathway).
    Starting one already started returns it unchanged."""
    require(acting_user, C.PATHWAY, programme=_programme_of(episode), action="write")
    with transaction.atomic():
        locked = CustodyEpisode.objects.select_for_update().get(pk=episode.pk)
        existing = ReleasePlan.objects.filter(custody_episode=locked).first()
        if existing is not None:
            return existing
        if locked.released_on is not None:
            when = dates.spoken(locked.released_on)
            raise InvalidInput(
                Problem("custody_episode", f"has ended: the participant was released on {when}")
            )
        plan = _plan_create(locked, acting_user=acting_user, today=timezone.localdate())
        audit_write(acting_user=acting_user, action="create", obj=plan,
                    participant_ids=[locked.participant_id], categories=[C.PATHWAY],
                    detail={"custody_episode": locked.pk})  # fmt: skip
    return plan


def release_plans_start_due(*, today: date | None = None) -> list[ReleasePlan]:
    """Start the release plan of every custody episode not yet ended whose expected release is
    `PLAN_WEEKS_BEFORE_RELEASE` weeks away or nearer and that has none: the daily task."""
    today = today or timezone.localdate()
    horizon = today + timedelta(weeks=PLAN_WEEKS_BEFORE_RELEASE)
    started = []
    with transaction.atomic():
        due = CustodyEpisode.objects.select_for_update(of=("self",)).filter(
            released_on__isnull=True, expected_release_on__lte=horizon,
            release_plan__isnull=True,
        ).order_by("pk")  # fmt: skip
        for episode in due:
            plan = _plan_create(episode, acting_user=None, today=today)
            audit_write(acting_user=None, action="create", obj=plan,
                        participant_ids=[episode.participant_id], categories=[C.PATHWAY],
                        detail={"custody_episode": episode.pk, "automatic": True})  # fmt: skip
            started.append(plan)
    return started


def _item_problems(spec: Item, status: str, appointment_on, note: str, episode) -> list:
    problems = []
    if status not in ItemStatus.values:
        problems.append(Problem("status", "must be open, done or not needed"))
    problems += text_problems("note", note, max_length=NOTE_MAX, multiline=True)
    if status == ItemStatus.NOT_NEEDED and not note.strip():
        problems.append(Problem("note", "is required: say why this is not needed"))
    if spec.appointment and status == ItemStatus.DONE:
        if appointment_on is None:
            problems.append(Problem("appointment_on", f"is required: the date of "
                                    f"{spec.appointment}"))  # fmt: skip
        problems += dates.not_before_floor("appointment_on", appointment_on)
    if appointment_on is not None and not spec.appointment:
        problems.append(Problem("appointment_on", f"{spec.label.lower()} has no appointment"))
    release = episode.released_on or episode.expected_release_on
    first = spec.code == "first_appointment" and status == ItemStatus.DONE
    if first and appointment_on and release:
        what = "the release" if episode.released_on else "the expected release"
        problems += dates.in_order("appointment_on", appointment_on, release, what)
        latest = release + timedelta(days=FIRST_APPOINTMENT_WITHIN_DAYS)
        problems += dates.not_after(
            "appointment_on",
            appointment_on,
            latest,
            f"the first appointment is within {FIRST_APPOINTMENT_WITHIN_DAYS} days of {what}",
        )
    return problems


def release_task_set(plan: ReleasePlan, item: str, *, acting_user, status: str,
                     appointment_on: date | None = None, note: str = "",
                     expected_version: int | None = None) -> ReleasePlanItem:  # fmt: skip
    """Set one task of a release plan to open, done or not needed, with who and when. Refused
    (nothing changed) for a task the user may not write (a clinical one for the programme team,
    a pathway one for the treatment provider), bad values, and a stale `expected_version`.
    Setting a task to what it already is changes nothing (no new version, no audit entry)."""
    spec = ITEM_BY_CODE.get(item)
    if spec is None:
        raise InvalidInput(Problem("item", f"must be one of {', '.join(ITEM_BY_CODE)}"))
    episode = plan.custody_episode
    require(acting_user, spec.category, programme=_programme_of(episode), action="write")
    note = (note or "").strip()
    if status != ItemStatus.DONE:
        appointment_on = None  # only a task done has an appointment booked
    with transaction.atomic():
        locked = ReleasePlan.objects.select_for_update().get(pk=plan.pk)
        row = locked.items.get(item=item)
        if (row.status, row.appointment_on, row.note) == (status, appointment_on, note):
            return row  # already so: idempotent
        _stale("release plan", expected_version, locked.version)
        problems = _item_problems(spec, status, appointment_on, note, episode)
        if problems:
            raise InvalidInput(problems)
        row.status, row.appointment_on, row.note = status, appointment_on, note
        row.changed_by, row.changed_at = acting_user, timezone.now()
        row.save(update_fields=["status", "appointment_on", "note", "changed_by", "changed_at"])
        locked.version += 1
        locked.save(update_fields=["version"])
        audit_write(
            acting_user=acting_user, action="update", obj=locked,
            participant_ids=[episode.participant_id], categories=[spec.category],
            detail={"item": item, "status": status},
        )  # fmt: skip
    plan.refresh_from_db()
    return row


def may_write_items(user, programme=None) -> frozenset[str]:
    """The codes of the checklist items this user may set."""
    return frozenset(
        i.code for i in ITEMS if decide(user, i.category, programme=programme, action="write")
    )


def release_window_alerts(*, today: date | None = None) -> dict:
    """The daily task (turnpoint/tasks/jobs.py): start the release plans now due, and say how
    many, as JSON can carry it."""
    started = release_plans_start_due(today=today)
    return {"started": len(started)}
