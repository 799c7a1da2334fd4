"""Outcomes for the synthetic caseload (docs/synth.md): the follow-ups every ended episode gets,
answered or not once past, and reoffending after exit for some. Built in memory for a batch
and written by `journeys.synth` with bulk_create in the batch's transaction, from a random
generator of its own, so the pathways a seed makes stay the same with or without them.

The rates are plausible, not calibrated: about a third of those who completed and half of the
others are arrested again within three years of exit, and most arrests lead to a conviction
some months later. Each event and each answered follow-up gets the audit entry the service
writes.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from turnpoint.sharing.audit import audit_entry
from turnpoint.sharing.categories import Category

from .models import EventSource, FollowUpStatus, JusticeOutcome, OutcomeEvent
from .services import follow_ups_unsaved

# Chance of a new arrest within three years of exit, by how the episode ended; of a conviction
# after an arrest; of a follow-up past its due date having been answered.
REARREST = {"completed": 0.3, "other": 0.5}
CONVICTED = 0.7
ANSWERED = 0.6
MISSED_REASON = "Could not be contacted"
# A follow-up is left due (not yet answered or missed) for this long after its due date.
GRACE = timedelta(days=30)


@dataclass
class ExitOutcomes:
    follow_ups: list = field(default_factory=list)
    events: list = field(default_factory=list)


def exit_outcomes(rng, episode, *, completed: bool, offence_category: str, today: date,
                  acting_user, out: ExitOutcomes) -> None:  # fmt: skip
    """Add the follow-ups of an ended `episode` (saved: its id is known) and any reoffending
    after it to `out`."""
    for follow_up in follow_ups_unsaved(episode):
        if follow_up.due_on + GRACE < today:
            if rng.random() < ANSWERED:
                follow_up.status = FollowUpStatus.DONE
                follow_up.done_on = follow_up.due_on + timedelta(days=int(rng.integers(0, 21)))
            else:
                follow_up.status, follow_up.reason = FollowUpStatus.MISSED, MISSED_REASON
            follow_up.updated_by, follow_up.version = acting_user, 2
        out.follow_ups.append(follow_up)
    if rng.random() >= REARREST["completed" if completed else "other"]:
        return
    # Time to the new offence: spread over three years, sooner more often.
    offence = episode.ended_on + timedelta(days=1 + int(rng.exponential(365)) % 1095)
    arrested = offence + timedelta(days=int(rng.integers(0, 15)))
    if arrested > today:
        return
    common = {"participant_id": episode.participant_id, "referral_id": episode.referral_id,
              "category": Category.LEGAL, "offence_date": offence,
              "offence_category": offence_category, "source": EventSource.STAFF,
              "recorded_by": acting_user}  # fmt: skip
    convicted_on = arrested + timedelta(days=int(rng.integers(60, 300)))
    convicted = rng.random() < CONVICTED and convicted_on <= today
    out.events.append(OutcomeEvent(
        kind="arrest", outcome_date=arrested,
        outcome=JusticeOutcome.CONVICTED if convicted else JusticeOutcome.PENDING, **common,
    ))  # fmt: skip
    if convicted:
        out.events.append(OutcomeEvent(kind="conviction", outcome_date=convicted_on,
                                       outcome=JusticeOutcome.CONVICTED, **common))  # fmt: skip


def exit_outcomes_audit(out: ExitOutcomes, *, acting_user) -> list:
    """The audit entries the services write for these rows (saved: their ids are known)."""
    entries = [
        audit_entry(acting_user=acting_user, action="create", obj=e, categories=[e.category],
                    participant_ids=[e.participant_id],
                    detail={"kind": e.kind, "source": e.source})
        for e in out.events
    ]  # fmt: skip
    entries += [
        audit_entry(acting_user=acting_user, action="update", obj=f,
                    categories=[Category.OUTCOMES], participant_ids=[f.participant_id],
                    detail={"status": f.status, "administration": None})
        for f in out.follow_ups if f.status != FollowUpStatus.DUE
    ]  # fmt: skip
    return entries
