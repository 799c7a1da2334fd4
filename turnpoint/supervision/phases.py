"""The daily evaluation of phases and the team's decision on its proposals (docs/supervision.md,
"Phases").

`phases_evaluate(today=)` gathers the facts of every running episode in a fixed number of
queries, whatever the number of participants (episodes with the day their phase began;
attendance and treatment sessions per window; forensic tests per week and those not negative;
goals achieved), evaluates each episode's phase with `advancement.advancement_due`, and stores a
`PhaseProposal` for each episode whose criteria are all met. It is safe to repeat: one proposal a
day per episode at most (a unique constraint), none while one for the same phase is open, and none
for 14 days after the team declined one for that phase.

`phase_proposal_decide(...)` records the team's decision. Accepting moves the episode to the
next phase through the journey service (`journeys.services.referral_transition`, which applies
the programme's rules) in the same transaction, with the reason code the timeline shows as a
milestone.
"""

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.journeys.models import Episode, State, Transition
from turnpoint.journeys.services import referral_transition
from turnpoint.plans.models import Goal, GoalStatus
from turnpoint.programmes.models import Programme
from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import not_found, referrals_visible_to
from turnpoint.sharing.rules import require
from turnpoint.text import text_problems

from .advancement import ADVANCEMENT_REASON, EpisodeFacts, advancement_due
from .models import (
    Appointment,
    AppointmentKind,
    DrugTest,
    DrugTestResult,
    Outcome,
    PhaseProposal,
    ProposalStatus,
    Result,
    TestPurpose,
)

DECLINED_PAUSE_DAYS = 14
REASON_MAX = 2000


class ProgrammeRules:
    """Each programme's phases: name, minimum length in days and advancement criteria."""

    def __init__(self, programmes):
        self.by_programme: dict[int, list[tuple[str, int, dict]]] = {}
        for programme in programmes:
            phases = programme.definition.get("phases", [])
            self.by_programme[programme.pk] = [
                (p["name"], p["min_weeks"] * 7, p.get("advancement") or {}) for p in phases
            ]

    def windows(self):
        """The windows in use: attendance and engagement days, test weeks."""
        days, weeks = set(), set()
        for phases in self.by_programme.values():
            for _, _, rules in phases:
                for key in ("attendance", "engagement"):
                    if key in rules:
                        days.add(rules[key]["days"])
                if "negative_tests" in rules:
                    weeks.add(rules["negative_tests"]["weeks"])
        return sorted(days), sorted(weeks)


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def episode_facts_bulk(
    today: date, rules: ProgrammeRules, *, episodes=None
) -> list[tuple[int, int, EpisodeFacts]]:
    """(episode id, referral id, facts) of every running episode (or of `episodes`, a
    queryset), in five queries whatever their number."""
    days_windows, week_windows = rules.windows()
    running = Episode.objects.filter(ended_on__isnull=True, referral__state=State.EPISODE)
    if episodes is not None:
        running = running.filter(pk__in=episodes.values("pk"))
    rows = list(
        running.annotate(
            phase_began=Max(
                "referral__transitions__occurred_on",
                filter=Q(
                    referral__transitions__to_state=State.EPISODE,
                    referral__transitions__kind__in=[
                        Transition.Kind.ADVANCE,
                        Transition.Kind.PHASE,
                    ],
                ),
            )
        ).values_list(
            "pk", "referral_id", "programme_id", "phase_number", "started_on", "phase_began"
        )
    )
    referral_ids = running.values("referral_id")
    # The windowed queries below are bounded by their dates, not by `referral_ids`: a semi-join
    # with the running episodes cost more than the few rows of ended episodes in the window,
    # which are simply not looked up (measured on 100,000 participants, docs/benchmarks.md).
    now = timezone.now()
    tomorrow = _start(today + timedelta(days=1))

    attendance: dict[int, dict] = {}
    if days_windows:
        aggregates = {}
        for n in days_windows:
            since = _start(today - timedelta(days=n - 1))
            window = Q(starts_at__gte=since, starts_at__lt=tomorrow)
            aggregates[f"a{n}"] = Count("id", filter=window & Q(outcome=Outcome.ATTENDED))
            aggregates[f"d{n}"] = Count(
                "id", filter=window & Q(outcome__in=[Outcome.ATTENDED, Outcome.MISSED])
            )
            aggregates[f"s{n}"] = Count(
                "id",
                filter=window & Q(outcome=Outcome.ATTENDED, kind=AppointmentKind.TREATMENT_SESSION),
            )
        earliest = _start(today - timedelta(days=max(days_windows) - 1))
        for row in (
            Appointment.objects.filter(
                starts_at__gte=earliest,
                starts_at__lt=min(tomorrow, now),
            )
            .values("referral_id")
            .annotate(**aggregates)
        ):
            attendance[row["referral_id"]] = row

    tests: dict[int, dict] = {}
    other: dict[int, dict] = {}
    if week_windows:
        longest = max(week_windows)
        weekly = {}
        for k in range(longest):
            upper = _start(today - timedelta(days=7 * k - 1))
            lower = _start(today - timedelta(days=7 * (k + 1) - 1))
            weekly[f"w{k}"] = Count("id", filter=Q(collected_at__gte=lower, collected_at__lt=upper))
        earliest = _start(today - timedelta(days=7 * longest - 1))
        forensic = Q(
            purpose=TestPurpose.FORENSIC, collected_at__gte=earliest, collected_at__lt=tomorrow
        )
        for row in DrugTest.objects.filter(forensic).values("referral_id").annotate(**weekly):
            tests[row["referral_id"]] = row
        not_negative = {
            f"o{n}": Count(
                "test_id",
                distinct=True,
                filter=Q(test__collected_at__gte=_start(today - timedelta(days=7 * n - 1))),
            )
            for n in week_windows
        }
        for row in (
            DrugTestResult.objects.filter(
                test__purpose=TestPurpose.FORENSIC,
                test__collected_at__gte=earliest,
                test__collected_at__lt=tomorrow,
            )
            .exclude(result=Result.NEGATIVE)
            .values("test__referral_id")
            .annotate(**not_negative)
        ):
            other[row["test__referral_id"]] = row

    goals = dict(
        Goal.objects.filter(
            status=GoalStatus.ACHIEVED,
            plan_version__number=F("plan_version__plan__current_version"),
            plan_version__plan__referral_id__in=referral_ids,
        )
        .values("plan_version__plan__referral_id")
        .annotate(n=Count("id"))
        .values_list("plan_version__plan__referral_id", "n")
    )

    facts = []
    for pk, referral_id, programme_id, number, started_on, began in rows:
        phases = rules.by_programme.get(programme_id, [])
        if not 1 <= number <= len(phases):
            continue
        name, min_days, phase_rules = phases[number - 1]
        a = attendance.get(referral_id, {})
        t = tests.get(referral_id, {})
        o = other.get(referral_id, {})
        facts.append(
            (
                pk,
                referral_id,
                EpisodeFacts(
                    phase_number=number,
                    phase_count=len(phases),
                    phase_name=name,
                    min_days=min_days,
                    rules=phase_rules,
                    days_in_phase=(today - (began or started_on)).days,
                    attendance={n: (a.get(f"a{n}", 0), a.get(f"d{n}", 0)) for n in days_windows},
                    sessions={n: a.get(f"s{n}", 0) for n in days_windows},
                    tests={
                        n: (sum(1 for k in range(n) if t.get(f"w{k}", 0)), o.get(f"o{n}", 0))
                        for n in week_windows
                    },
                    goals_achieved=goals.get(referral_id, 0),
                ),
            )
        )
    return facts


def phases_evaluate(*, today: date | None = None) -> dict:
    """Evaluate every running episode's phase and store a proposal for each that is due. The
    daily task (turnpoint/tasks/jobs.py); returns what it did, as JSON can carry it."""
    today = today or timezone.localdate()
    rules = ProgrammeRules(Programme.objects.all())
    facts = episode_facts_bulk(today, rules)
    since = today - timedelta(days=DECLINED_PAUSE_DAYS)
    held = set(
        PhaseProposal.objects.filter(
            Q(status=ProposalStatus.OPEN) | Q(proposed_on__gte=since)
        ).values_list("episode_id", "phase_number")
    )
    today_done = set(
        PhaseProposal.objects.filter(proposed_on=today).values_list("episode_id", flat=True)
    )
    new = []
    due = 0
    for pk, referral_id, f in facts:
        proposal = advancement_due(f)
        if not proposal.due:
            continue
        due += 1
        if (pk, f.phase_number) in held or pk in today_done:
            continue
        new.append(
            PhaseProposal(
                episode_id=pk,
                referral_id=referral_id,
                phase_number=f.phase_number,
                to_phase_number=proposal.to_phase_number,
                proposed_on=today,
                criteria=[c.as_dict() for c in proposal.met + proposal.unmet],
            )
        )
    if new:
        participants = dict(
            Episode.objects.filter(pk__in=[p.episode_id for p in new]).values_list(
                "pk", "participant_id"
            )
        )
        for p in new:
            p.participant_id = participants[p.episode_id]
        with transaction.atomic():
            PhaseProposal.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    return {"day": today.isoformat(), "episodes": len(facts), "due": due, "proposed": len(new)}


def _reached_proposal(user, proposal) -> PhaseProposal:
    pk = getattr(proposal, "pk", proposal)
    found = (
        PhaseProposal.objects.filter(pk=pk, referral__in=referrals_visible_to(user))
        .select_related("referral__programme", "episode")
        .first()
    )
    if found is None:
        raise not_found(PhaseProposal, pk, "phase proposal")
    return found


def phase_proposal_decide(
    proposal, *, acting_user, accept: bool, reason: str = "", expected_version: int | None = None
) -> PhaseProposal:
    """Accept (the episode moves to the next phase, a milestone on the timeline) or decline (a
    reason is required) an open proposal, in one transaction with its audit entry. The same
    decision again returns the proposal unchanged; a stale version raises Conflict."""
    found = _reached_proposal(acting_user, proposal)
    reason = (reason or "").strip()
    problems = text_problems("reason", reason, max_length=REASON_MAX, multiline=True)
    if not accept and not reason:
        problems.append(Problem("reason", "is required: say why the phase does not change now"))
    if problems:
        raise InvalidInput(problems)
    status = ProposalStatus.ACCEPTED if accept else ProposalStatus.DECLINED
    with transaction.atomic():
        locked = PhaseProposal.objects.select_for_update().get(pk=found.pk)
        if locked.status == status and (accept or locked.reason == reason):
            return locked
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(
                f"this proposal changed since you opened it (version {expected_version}, "
                f"now {locked.version}); reload and try again"
            )
        if locked.status != ProposalStatus.OPEN:
            raise InvalidInput(
                [
                    Problem(
                        "status", f"the proposal was already {locked.get_status_display().lower()}"
                    )
                ]
            )
        episode = Episode.objects.get(pk=locked.episode_id)
        if episode.ended_on is not None or episode.phase_number != locked.phase_number:
            raise InvalidInput(
                [
                    Problem(
                        "status",
                        f"the episode is no longer in phase "
                        f"{locked.phase_number}; nothing was changed",
                    )
                ]
            )
        if accept:
            referral_transition(
                found.referral,
                acting_user=acting_user,
                to_state=State.EPISODE,
                phase_number=locked.to_phase_number,
                reason_code=ADVANCEMENT_REASON,
                reason=reason
                or f"Advancement criteria met (proposed on {locked.proposed_on:%-d %B %Y})",
            )
        else:
            # Declining still needs the right to write the pathway in the programme.
            require(
                acting_user, Category.PATHWAY, programme=found.referral.programme, action="write"
            )
        locked.status = status
        locked.reason = reason
        locked.decided_by = acting_user
        locked.decided_at = timezone.now()
        locked.version += 1
        locked.save()
        audit_write(
            acting_user=acting_user,
            action="update",
            categories=[Category.PATHWAY],
            participant_ids=[locked.participant_id],
            obj=locked,
            detail={"decision": status, "to_phase": locked.to_phase_number},
        )
    return locked
