"""Review hearings and dockets (docs/supervision.md, "Reviews").

A docket is the set of review hearings before one judge on one date. Each programme says how its
reviews are scheduled (`Programme.review_mode`, R2, R16): by rule, from the phase's
`reviews_per_month`, or only when the court asks; a programme with no court reviews has none.

The pure part (`review_interval_days`, `review_due`, `mean_minutes_per_participant`) takes what it
is given and returns numbers and dates. The services schedule hearings, and record what happened
at one (held, adjourned or cancelled, the minutes the participant spent with the judge, the
court's decision), each checking reach and role, naming every problem by its field, writing the
change with its audit entry in one transaction, refusing a stale version (`Conflict`) and
writing nothing when the same thing is recorded again.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from turnpoint import dates
from turnpoint.accounts.models import Role
from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.journeys.models import Episode, Referral
from turnpoint.programmes.models import ReviewMode
from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import not_found, referrals_visible_to
from turnpoint.sharing.rules import PolicyDenied
from turnpoint.text import text_problems

from .models import DecisionOutcome, HearingStatus, HowScheduled, ReviewHearing

C = Category
PLACE_MAX = 200
DECISION_MAX = 4000
MAX_MINUTES = Decimal("240")
# The standard: on average at least about three minutes with the judge per participant (All Rise
# Adult Treatment Court Best Practice Standards, "Roles and Responsibilities of the Judge").
MINUTES_TARGET = Decimal("3")
DAYS_IN_MONTH = Decimal("30")
# Who schedules hearings and prepares the court's progress reports, and who records a hearing.
SCHEDULERS = frozenset({Role.COORDINATOR, Role.CASE_MANAGER})
RECORDERS = frozenset({Role.JUDGE, Role.COORDINATOR})


# Pure ---------------------------------------------------------------------------------------


def review_interval_days(reviews_per_month) -> int | None:
    """Days between reviews for a phase holding `reviews_per_month` (2 -> 15, 1 -> 30,
    0.5 -> 60); None when the phase has no reviews."""
    per_month = Decimal(str(reviews_per_month))
    if per_month <= 0:
        return None
    return int((DAYS_IN_MONTH / per_month).to_integral_value(rounding=ROUND_HALF_UP))


def review_due(*, reviews_per_month, started_on: date, last_review_on: date | None,
               day: date) -> bool:  # fmt: skip
    """Is a review due on `day` by rule? Due when the interval of the phase has passed since the
    last review (or since the episode started, for the first one): the first review comes one
    interval after the start, as the DTTO's one month after the order."""
    interval = review_interval_days(reviews_per_month)
    if interval is None:
        return False
    return (last_review_on or started_on) + timedelta(days=interval) <= day


def _minutes(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value))


def mean_minutes_per_participant(hearings) -> dict[date, Decimal | None]:
    """Mean minutes with the judge per participant present, for each hearing date: the minutes
    of the hearings held that day (the participant was present) divided by how many were held,
    to one decimal. `hearings` are anything with `held_on`, `status` and `minutes_with_judge`
    (or (held_on, status, minutes) tuples). A date where nobody was present maps to None."""
    totals: dict[date, Decimal] = defaultdict(Decimal)
    present: dict[date, int] = defaultdict(int)
    for h in hearings:
        if isinstance(h, tuple):
            day, status, minutes = h
        else:
            day, status, minutes = h.held_on, h.status, h.minutes_with_judge
        totals.setdefault(day, Decimal(0))
        present.setdefault(day, 0)
        if status == HearingStatus.HELD and minutes is not None:
            totals[day] += _minutes(minutes)
            present[day] += 1
    return {
        day: (totals[day] / present[day]).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if present[day]
        else None
        for day in sorted(totals)
    }


# Services -----------------------------------------------------------------------------------


def _role_may(user, roles, what: str) -> None:
    if user.role not in roles:
        who = " or ".join(Role(r).label.lower() for r in sorted(roles))
        role = (user.get_role_display() or "unassigned").lower()
        raise PolicyDenied(f"review hearings are {what} by the {who}, not by the {role} role")


def _episode(referral):
    try:
        return referral.episode
    except Episode.DoesNotExist:
        return None


def _judge_problems(judge, programme) -> list[Problem]:
    if judge is None:
        return [Problem("judge", "is required")]
    if judge.role != Role.JUDGE or not judge.is_active:
        return [Problem("judge", "must be a judge with an active account")]
    if not judge.programmes.filter(pk=programme.pk).exists():
        return [Problem("judge", f"is not a member of the {programme.name} team")]
    return []


def _day_problems(held_on, referral) -> list[Problem]:
    if held_on is None:
        return [Problem("held_on", "is required")]
    if not isinstance(held_on, date):
        return [Problem("held_on", "must be a date")]
    problems = dates.entered_date(
        "held_on", held_on, today=timezone.localdate(), born=referral.participant.date_of_birth,
        future_allowed=True,
    )  # fmt: skip
    return problems or dates.in_order("held_on", held_on, referral.referral_date,
                                      "the referral date")  # fmt: skip


def _reached(user, referral):
    pk = getattr(referral, "pk", referral)
    row = (
        referrals_visible_to(user)
        .select_related("programme", "participant", "episode")
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise not_found(Referral, pk, "referral")
    return row


def _create(acting_user, referral, judge, held_on, place, how) -> ReviewHearing:
    hearing = ReviewHearing.objects.create(
        participant=referral.participant, referral=referral, judge=judge, held_on=held_on,
        place=place, how_scheduled=how, created_by=acting_user,
    )  # fmt: skip
    audit_write(
        acting_user=acting_user, action="create", obj=hearing,
        participant_ids=[referral.participant_id], categories=[C.PATHWAY],
        detail={"review_hearing": held_on.isoformat(), "how_scheduled": how, "judge": judge.pk},
    )  # fmt: skip
    return hearing


def review_hearing_request(*, acting_user, referral, judge, held_on, place: str) -> ReviewHearing:
    """Schedule one participant's review on the court's request (any programme with court
    reviews: one reviewing on request has only these). The same referral, day and judge again
    returns the hearing already scheduled."""
    _role_may(acting_user, SCHEDULERS, "scheduled")
    referral = _reached(acting_user, referral)
    programme = referral.programme
    place = (place or "").strip()
    problems = []
    if programme.review_mode == ReviewMode.NONE:
        problems.append(Problem("referral", f"{programme.name} has no court reviews"))
    episode = _episode(referral)
    if programme.review_mode != ReviewMode.NONE and (episode is None or not episode.is_active):
        problems.append(Problem("referral", "has no running episode: reviews are for a "
                                "participant on the programme"))  # fmt: skip
    problems += _judge_problems(judge, programme)
    problems += _day_problems(held_on, referral)
    if not place:
        problems.append(Problem("place", "is required: the court or place of the hearing"))
    problems += text_problems("place", place, max_length=PLACE_MAX)
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        existing = ReviewHearing.objects.filter(referral=referral, held_on=held_on).first()
        if existing is not None:
            if existing.judge_id == judge.pk:
                return existing
            raise InvalidInput(Problem("held_on", f"this participant already has a review "
                                       f"hearing on {dates.spoken(held_on)} before another "
                                       "judge"))  # fmt: skip
        return _create(acting_user, referral, judge, held_on, place, HowScheduled.REQUEST)


@dataclass
class DocketScheduled:
    """What scheduling a docket by rule did: hearings created, hearings already there, and the
    participants on a rule-scheduled programme not yet due (with when they are)."""

    created: list = field(default_factory=list)
    already: list = field(default_factory=list)
    not_due: list = field(default_factory=list)  # (referral, next due date)


def review_docket_schedule(*, acting_user, judge, held_on, place: str) -> DocketScheduled:
    """Schedule by rule the docket of `judge` on `held_on`: every participant with a running
    episode in a programme of the judge's team (and the acting user's) whose reviews are
    scheduled by rule, and whose review is due by their phase's `reviews_per_month`. Running it
    again schedules nobody twice."""
    _role_may(acting_user, SCHEDULERS, "scheduled")
    place = (place or "").strip()
    problems = []
    if judge is None or judge.role != Role.JUDGE or not judge.is_active:
        problems.append(Problem("judge", "must be a judge with an active account"))
    if held_on is None:
        problems.append(Problem("held_on", "is required"))
    elif not isinstance(held_on, date):
        problems.append(Problem("held_on", "must be a date"))
    else:
        problems += dates.not_before_floor("held_on", held_on)
    if not place:
        problems.append(Problem("place", "is required: the court or place of the hearing"))
    problems += text_problems("place", place, max_length=PLACE_MAX)
    if problems:
        raise InvalidInput(problems)
    judge_programmes = set(judge.programmes.values_list("pk", flat=True))
    referrals = list(
        referrals_visible_to(acting_user)
        .filter(programme__in=judge_programmes, programme__review_mode=ReviewMode.SCHEDULED,
                episode__isnull=False, episode__ended_on__isnull=True,
                referral_date__lte=held_on)
        .select_related("programme", "participant", "episode")
        .order_by("participant__family_name", "participant__given_name", "pk")
    )  # fmt: skip
    phases = {
        (p.programme_id, p.number): p.reviews_per_month
        for r in {r.programme_id: r.programme for r in referrals}.values()
        for p in r.phases.all()
    }
    last: dict[int, date] = {}
    on_day: dict[int, ReviewHearing] = {}
    for h in ReviewHearing.objects.filter(referral__in=referrals).exclude(
        status=HearingStatus.CANCELLED
    ):
        if h.held_on == held_on:
            on_day[h.referral_id] = h
        elif h.held_on < held_on:
            last[h.referral_id] = max(last.get(h.referral_id, h.held_on), h.held_on)
    done = DocketScheduled()
    with transaction.atomic():
        for r in referrals:
            if r.pk in on_day:
                done.already.append(on_day[r.pk])
                continue
            episode = r.episode
            per_month = phases.get((r.programme_id, episode.phase_number), 0)
            start = max(episode.started_on, r.referral_date)
            if review_due(reviews_per_month=per_month, started_on=start,
                          last_review_on=last.get(r.pk), day=held_on):  # fmt: skip
                done.created.append(_create(acting_user, r, judge, held_on, place,
                                            HowScheduled.RULE))  # fmt: skip
            else:
                interval = review_interval_days(per_month)
                due = (last.get(r.pk) or start) + timedelta(days=interval) if interval else None
                done.not_due.append((r, due))
    return done


def review_hearing_reached(user, hearing) -> ReviewHearing:
    pk = getattr(hearing, "pk", hearing)
    rows = ReviewHearing.objects.select_related(
        "referral__programme", "participant", "judge"
    ).filter(pk=pk, referral__in=referrals_visible_to(user))
    if user.role == Role.JUDGE:
        rows = rows.filter(judge=user)  # a judge reaches their own docket only
    row = rows.first()
    if row is None:
        raise not_found(ReviewHearing, pk, "review hearing")
    return row


def _parse_minutes(value) -> tuple[Decimal | None, list[Problem]]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, []
    if isinstance(value, bool):
        return None, [Problem("minutes_with_judge", "must be a number of minutes, such as 3.5")]
    try:
        minutes = Decimal(str(value).strip())
    except InvalidOperation:
        return None, [Problem("minutes_with_judge", "must be a number of minutes, such as 3.5")]
    if not minutes.is_finite() or minutes <= 0:
        return None, [Problem("minutes_with_judge", "must be more than 0 minutes")]
    if minutes > MAX_MINUTES:
        reason = f"must be {MAX_MINUTES} minutes or fewer; this is {minutes}"
        return None, [Problem("minutes_with_judge", reason)]
    return minutes.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), []


def review_hearing_record(
    hearing, *, acting_user, status: str, minutes_with_judge=None, decision: str = "",
    outcome: str = "", expected_version: int | None,
) -> ReviewHearing:  # fmt: skip
    """Record what happened at a hearing: held (on or after its day, with the minutes the
    participant spent with the judge and the court's decision as a structured outcome and in
    words), adjourned (minutes and decision optional) or cancelled (neither). The judge records
    their own hearings; the coordinator any of the team's."""
    _role_may(acting_user, RECORDERS, "recorded")
    hearing = review_hearing_reached(acting_user, hearing)
    decision = (decision or "").strip()
    outcome = (outcome or "").strip()
    minutes, problems = _parse_minutes(minutes_with_judge)
    recordable = (HearingStatus.HELD, HearingStatus.ADJOURNED, HearingStatus.CANCELLED)
    if status not in recordable:
        problems.append(Problem("status", "must be held, adjourned or cancelled"))
    if outcome and outcome not in DecisionOutcome.values:
        problems.append(Problem("outcome", "must be one of: " + ", ".join(
            o.label.lower() for o in DecisionOutcome)))  # fmt: skip
    problems += text_problems("decision", decision, max_length=DECISION_MAX, multiline=True)
    early = hearing.held_on > timezone.localdate()
    if status in (HearingStatus.HELD, HearingStatus.ADJOURNED) and early:
        problems.append(Problem("status", f"cannot be {status} before the hearing's day "
                                    f"({dates.spoken(hearing.held_on)})"))  # fmt: skip
    if status == HearingStatus.HELD:
        if minutes is None and not any(p.field == "minutes_with_judge" for p in problems):
            problems.append(Problem("minutes_with_judge", "is required for a hearing held"))
        if not outcome:
            problems.append(Problem("outcome", "is required for a hearing held: the court's "
                                    "decision"))  # fmt: skip
    if status == HearingStatus.CANCELLED:
        if minutes is not None:
            problems.append(Problem("minutes_with_judge", "must be empty for a cancelled hearing"))
        if outcome or decision:
            problems.append(Problem("outcome", "must be empty for a cancelled hearing"))
    if problems:
        raise InvalidInput(problems)
    same = (
        hearing.status == status
        and hearing.minutes_with_judge == minutes
        and hearing.decision == decision
        and hearing.outcome == outcome
    )
    if same:
        return hearing  # already recorded: a repeat writes nothing
    with transaction.atomic():
        row = ReviewHearing.objects.select_for_update().get(pk=hearing.pk)
        if expected_version is not None and row.version != expected_version:
            raise Conflict(
                f"this review hearing was changed by someone else since you read it (version "
                f"{expected_version}, now {row.version}); read it again and retry"
            )
        row.status, row.minutes_with_judge = status, minutes
        row.decision, row.outcome = decision, outcome
        if outcome or decision:
            row.decided_by, row.decided_at = acting_user, timezone.now()
        else:
            row.decided_by, row.decided_at = None, None
        row.version += 1
        row.save()
        audit_write(
            acting_user=acting_user, action="update", obj=row,
            participant_ids=[row.participant_id], categories=[C.PATHWAY],
            detail={"status": status, "outcome": outcome,
                    "minutes_with_judge": str(minutes) if minutes is not None else None},
        )  # fmt: skip
    return row
