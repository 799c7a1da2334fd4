"""Deciding matching proposals, and the acceptance rate for evaluation (docs/matching.md).

Staff accept, change or reject each proposal; a change or a rejection needs a reason. A decision
is one row per referral and rule (`MatchDecision`): deciding it again the same way changes
nothing and writes nothing (idempotent); deciding it differently needs the version that was read
(optimistic locking) and raises it. Every change is audited in its own transaction.
"""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.programmes.matching_rules import INTENSITIES, MODALITIES, SERVICES, value_label
from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.categories import Category
from turnpoint.sharing.rules import PolicyDenied, decide
from turnpoint.text import text_problems

from .matching import MatchingFacts, Proposal
from .models import MatchDecision, MatchKind, MatchOutcome

REASON_MAX = 2000
_VALUES = {"intensity": INTENSITIES, "modality": tuple(MODALITIES), "service": tuple(SERVICES)}


def may_decide(user, referral) -> bool:
    return bool(decide(user, Category.PLAN, programme=referral.programme, action="write"))


def facts_snapshot(proposal: Proposal, facts: MatchingFacts) -> list[dict]:
    """The facts a proposal used, each with the records it came from, as stored with a decision."""
    source_of = {"risk_level": "risk_level", "need": "needs", "substance": "substances",
                 "mental_health_need": "mental_health"}  # fmt: skip
    return [
        {
            "fact": fact,
            "value": value,
            "sources": [
                {"instrument": s.instrument, "on": s.on.isoformat(), "category": s.category}
                for s in facts.sources.get(source_of[fact], ())
            ],
        }
        for fact, value in proposal.facts_used
    ]


def _hours(value) -> tuple[list | None, list[Problem]]:
    if value in (None, "", [], ()):
        return None, []
    ok = (
        isinstance(value, list | tuple) and len(value) == 2
        and all(isinstance(h, int | float) and not isinstance(h, bool) for h in value)
        and 0 <= value[0] <= value[1] <= 40
    )  # fmt: skip
    if not ok:
        return None, [Problem("changed_hours", "must be two numbers of hours per week, from a "
                              "lower to a higher, between 0 and 40")]  # fmt: skip
    # Whole hours stay whole numbers (4, not 4.0), as the programme files write them.
    return [int(h) if float(h).is_integer() else h for h in value], []


def _checked(proposal: Proposal, outcome: str, changed_value: str, changed_hours, reason: str):
    problems: list[Problem] = []
    if outcome not in MatchOutcome.values:
        problems.append(Problem("decision", "must be accepted, changed or rejected"))
    reason = (reason or "").strip()
    changed_value = (changed_value or "").strip()
    problems += text_problems("reason", reason, max_length=REASON_MAX, multiline=True)
    if outcome in (MatchOutcome.CHANGED, MatchOutcome.REJECTED) and not reason:
        verb = "changing" if outcome == MatchOutcome.CHANGED else "rejecting"
        problems.append(Problem("reason", f"is required when {verb} a proposal: say why"))
    hours, hour_problems = _hours(changed_hours)
    problems += hour_problems
    if outcome == MatchOutcome.CHANGED:
        known = _VALUES[proposal.kind]
        if not changed_value:
            problems.append(Problem("changed_value", "is required when changing a proposal: "
                                    "choose what to do instead"))  # fmt: skip
        elif changed_value not in known:
            choices = ", ".join(value_label(proposal.kind, v).lower() for v in known)
            problems.append(Problem("changed_value", f"is not one of the choices ({choices})"))
        elif changed_value == proposal.value and (
            hours is None or tuple(hours) == tuple(proposal.hours or ())
        ):
            problems.append(Problem("changed_value", "is what was proposed: accept the "
                                    "proposal instead, or choose something else"))  # fmt: skip
        if hours is not None and proposal.kind != MatchKind.INTENSITY:
            problems.append(Problem("changed_hours", "applies only to an intensity"))
    elif changed_value or hours is not None:
        problems.append(Problem("changed_value", "is only for changing a proposal"))
        changed_value, hours = "", None
    if problems:
        raise InvalidInput(problems)
    return changed_value, hours, reason


def match_decide(*, acting_user, referral, proposal: Proposal, facts: MatchingFacts,
                 outcome: str, changed_value: str = "", changed_hours=None, reason: str = "",
                 expected_version: int | None = None) -> tuple[MatchDecision, bool]:  # fmt: skip
    """Record a decision on `proposal` (one the engine proposes now for `facts`, read by the
    acting user through `matching_reads`). Returns (decision, changed): `changed` False when it
    was already decided exactly so. `expected_version` is the version read (None or 0 when
    none was shown); a stale one raises Conflict and changes nothing."""
    if not may_decide(acting_user, referral):
        raise PolicyDenied(
            decide(acting_user, Category.PLAN, programme=referral.programme, action="write").reason
        )
    changed_value, hours, reason = _checked(proposal, outcome, changed_value, changed_hours,
                                            reason)  # fmt: skip
    values = {
        "programme_revision": referral.programme.revision,
        "kind": proposal.kind,
        "proposed_value": proposal.value,
        "proposed_hours": list(proposal.hours) if proposal.hours else None,
        "why": proposal.why,
        "requirement": proposal.requirement,
        "facts": facts_snapshot(proposal, facts),
        "categories": sorted(proposal.categories),
        "outcome": outcome,
        "changed_value": changed_value,
        "changed_hours": hours,
        "reason": reason,
    }
    try:
        with transaction.atomic():
            row = (
                MatchDecision.objects.select_for_update()
                .filter(referral=referral, rule_id=proposal.rule_id)
                .first()
            )
            if row is not None and _same(row, values):
                return row, False
            if row is None:
                if expected_version not in (None, 0):
                    raise Conflict("This proposal has no decision any more. Nothing was saved.")
                row = MatchDecision(referral=referral, rule_id=proposal.rule_id,
                                    decided_by=acting_user, **values)  # fmt: skip
                row.save()
            else:
                if expected_version != row.version:
                    who = row.decided_by.get_full_name() or row.decided_by.username
                    raise Conflict(
                        f"{who} decided this proposal ({row.get_outcome_display().lower()}) "
                        f"at {timezone.localtime(row.decided_at):%H:%M on %-d %B %Y} since you "
                        "read it. Nothing was saved: look at their decision and decide again."
                    )
                for key, value in values.items():
                    setattr(row, key, value)
                row.decided_by = acting_user
                row.decided_at = timezone.now()
                row.version += 1
                row.save()
            audit_write(
                acting_user=acting_user, action="match_decision",
                categories=[Category.PLAN, *proposal.categories],
                participant_ids=[referral.participant_id], obj=row,
                detail={"referral": referral.pk, "rule": proposal.rule_id, "kind": proposal.kind,
                        "outcome": outcome, "version": row.version},
            )  # fmt: skip
    except IntegrityError as exc:  # someone decided it first, at the same moment
        raise Conflict("Someone else decided this proposal at the same moment. Nothing was "
                       "saved: look at their decision and decide again.") from exc  # fmt: skip
    return row, True


def _same(row: MatchDecision, values: dict) -> bool:
    """Already decided exactly so, on the same proposal."""
    keys = ("outcome", "changed_value", "changed_hours", "reason", "proposed_value",
            "proposed_hours")  # fmt: skip
    return all(getattr(row, k) == values[k] for k in keys)


def acceptance_rate(programme, start: date, end: date) -> dict:
    """For evaluation: of the proposals of `programme` decided from `start` to `end` (inclusive),
    how many were accepted, changed and rejected, by kind and in all, with the acceptance rate
    (accepted / decided; None when nothing was decided). Counts only: no participant data."""
    rows = MatchDecision.objects.filter(
        referral__programme=programme,
        decided_at__date__gte=start,
        decided_at__date__lte=end,
    ).values_list("kind", "outcome")
    empty = {"accepted": 0, "changed": 0, "rejected": 0, "decided": 0}
    out = {kind: dict(empty) for kind in [*MatchKind.values, "all"]}
    for kind, outcome in rows:
        for key in (kind, "all"):
            out[key][outcome] += 1
            out[key]["decided"] += 1
    for counts in out.values():
        counts["rate"] = counts["accepted"] / counts["decided"] if counts["decided"] else None
    return out
