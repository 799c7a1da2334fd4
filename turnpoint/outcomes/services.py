"""Recording outcome events and answering follow-ups (docs/outcomes.md).

Pages, API and the import call these; each checks the policy, the dates and the text, and
writes its audit entry in the same transaction as the change."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from turnpoint import dates
from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.journeys.models import Episode, OffenceCategory
from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.categories import Category
from turnpoint.sharing.rules import require
from turnpoint.text import text_problems

from .models import (
    FOLLOW_UP_MONTHS,
    JUSTICE_KINDS,
    KIND_CATEGORY,
    STATUS_CHOICES,
    EventKind,
    EventSource,
    FollowUp,
    FollowUpStatus,
    JusticeOutcome,
    OutcomeEvent,
)

NOTE_MAX = 2000
REASON_MAX = 2000
REFERENCE_MAX = 100


def _choice(field: str, value: str, values, missing: str) -> list[Problem]:
    """Required, and one of `values`: the codes are named only for a value that is not one
    (an import or an API call), never to someone who chose from a list."""
    if not value:
        return [Problem(field, f"is required: {missing}")]
    if value not in values:
        return [Problem(field, f"'{value}' is not one of: {', '.join(values)}")]
    return []


def outcome_event_problems(
    *, participant, kind: str, offence_date: date | None = None, outcome_date: date | None = None,
    offence_category: str = "", outcome: str = "", effective_on: date | None = None,
    status: str = "", today: date,
) -> list[Problem]:  # fmt: skip
    """What is wrong with an event's facts, every problem named by its field (pure but for the
    participant's date of birth)."""
    if kind not in EventKind.values:
        return [Problem("kind", f"must be one of: {', '.join(EventKind.values)}")]
    born = participant.date_of_birth if participant is not None else None
    problems: list[Problem] = []
    if kind in JUSTICE_KINDS:
        if offence_date is None and kind != EventKind.CUSTODY:
            problems.append(Problem("offence_date", "is required for an arrest, a charge or a "
                                                    "conviction"))  # fmt: skip
        if outcome_date is None:
            problems.append(Problem("outcome_date", "is required: the day of the arrest, the "
                                                    "charge, the court's decision or the start "
                                                    "of custody"))  # fmt: skip
        problems += dates.entered_date("offence_date", offence_date, today=today, born=born)
        outcome_problems = dates.entered_date("outcome_date", outcome_date, today=today, born=born)
        problems += outcome_problems or dates.in_order(
            "outcome_date", outcome_date, offence_date, "the offence date"
        )
        problems += _choice("offence_category", offence_category, OffenceCategory.values,
                            "select the offence")  # fmt: skip
        problems += _choice("outcome", outcome, JusticeOutcome.values, "select the outcome")
        if (
            outcome in JusticeOutcome.values
            and kind == EventKind.CONVICTION
            and (outcome != JusticeOutcome.CONVICTED)
        ):
            problems.append(Problem("outcome", "must be 'convicted' for a conviction"))
        for name, value in (("effective_on", effective_on), ("status", status)):
            if value:
                problems.append(Problem(name, "is for other events, not a justice event"))
        return problems
    if effective_on is None:
        problems.append(Problem("effective_on", "is required: the day it happened or took effect"))
    problems += dates.entered_date("effective_on", effective_on, today=today, born=born)
    choices = STATUS_CHOICES.get(kind)
    if choices is not None:
        problems += _choice("status", status, choices.values, "select the status")
    elif choices is None and status:
        problems.append(Problem("status", "is only for housing and employment status"))
    for name, value in (("offence_date", offence_date), ("outcome_date", outcome_date),
                        ("offence_category", offence_category), ("outcome", outcome)):  # fmt: skip
        if value:
            problems.append(Problem(name, "is only for justice events"))
    return problems


def outcome_event_record(
    *, acting_user, participant, kind: str, referral=None, offence_date: date | None = None,
    outcome_date: date | None = None, offence_category: str = "", outcome: str = "",
    effective_on: date | None = None, status: str = "", note: str = "",
    source: str = EventSource.STAFF, source_reference: str = "",
) -> OutcomeEvent:  # fmt: skip
    """Record one outcome event of a participant the caller reached. Refused with every problem
    named by its field (nothing is stored); `PolicyDenied` when the user may not write the
    event's category (legal facts for justice events, outcomes for the others)."""
    category = KIND_CATEGORY.get(EventKind(kind)) if kind in EventKind.values else None
    programme = referral.programme if referral is not None else None
    if category is not None:
        require(acting_user, category, programme=programme, action="write")
    problems = outcome_event_problems(
        participant=participant, kind=kind, offence_date=offence_date, outcome_date=outcome_date,
        offence_category=offence_category, outcome=outcome, effective_on=effective_on,
        status=status, today=timezone.localdate(),
    )  # fmt: skip
    if referral is not None and referral.participant_id != participant.pk:
        problems.append(Problem("referral", "is not a referral of this participant"))
    if source not in (EventSource.STAFF, EventSource.PARTICIPANT):
        problems.append(Problem("source", "must be recorded by staff or reported by the "
                                          "participant"))  # fmt: skip
    problems += text_problems("note", note, max_length=NOTE_MAX, multiline=True)
    problems += text_problems("source_reference", source_reference, max_length=REFERENCE_MAX)
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        event = OutcomeEvent.objects.create(
            participant=participant, referral=referral, kind=kind, category=category,
            offence_date=offence_date, outcome_date=outcome_date,
            offence_category=offence_category, outcome=outcome, effective_on=effective_on,
            status=status, note=note.strip(), source=source,
            source_reference=source_reference.strip(), recorded_by=acting_user,
        )  # fmt: skip
        audit_write(
            acting_user=acting_user, action="create", obj=event, categories=[category],
            participant_ids=[participant.pk], detail={"kind": kind, "source": source},
        )  # fmt: skip
    return event


# Follow-ups ---------------------------------------------------------------------------------------


def follow_ups_for_exit(episode: Episode) -> list[FollowUp]:
    """The unsaved follow-ups an ended episode still lacks (3, 6 and 12 months after its end):
    none when it has them, so scheduling twice adds nothing. The synthetic-data generator
    writes them in bulk."""
    if episode.ended_on is None:
        return []
    have = set(FollowUp.objects.filter(episode=episode).values_list("months", flat=True))
    return follow_ups_unsaved(episode, skip=have)


def follow_ups_unsaved(episode: Episode, *, skip=frozenset()) -> list[FollowUp]:
    """The three follow-ups of an ended episode, unsaved, without a query."""
    assert episode.ended_on is not None, "follow-ups are due only after an episode ends"
    return [
        FollowUp(participant_id=episode.participant_id, referral_id=episode.referral_id,
                 episode=episode, months=m, due_on=dates.add_months(episode.ended_on, m))
        for m in FOLLOW_UP_MONTHS if m not in skip
    ]  # fmt: skip


def follow_ups_schedule(episode: Episode) -> list[FollowUp]:
    """Create the follow-ups of an episode that has just ended, in the caller's transaction
    (the step that records the exit); idempotent."""
    rows = follow_ups_for_exit(episode)
    if rows:
        FollowUp.objects.bulk_create(rows)
    return rows


def follow_ups_follow_exit(episode: Episode) -> None:
    """After a correction or withdrawal of a step changed an episode (journeys/corrections.py),
    in its transaction: the follow-ups still due move with a corrected exit date, go when the
    exit is withdrawn, and come when an exit is in effect again. Those already answered stay
    as they are: they record what happened."""
    due = FollowUp.objects.filter(episode=episode, status=FollowUpStatus.DUE)
    if episode.ended_on is None:
        due.delete()
        return
    for follow_up in due:
        on = dates.add_months(episode.ended_on, follow_up.months)
        if follow_up.due_on != on:
            follow_up.due_on, follow_up.version = on, follow_up.version + 1
            follow_up.save(update_fields=["due_on", "version"])
    follow_ups_schedule(episode)


def follow_up_mark(
    follow_up: FollowUp, *, acting_user, status: str, done_on: date | None = None,
    administration=None, reason: str = "", expected_version: int | None = None,
) -> FollowUp:  # fmt: skip
    """Mark a follow-up done (on `done_on`, with the administration that answered it if any),
    missed or declined (with a reason). Refused naming the field; `Conflict` when
    `expected_version` is stale; nothing changes on refusal."""
    programme = follow_up.referral.programme
    require(acting_user, Category.OUTCOMES, programme=programme, action="write")
    problems: list[Problem] = []
    marks = (FollowUpStatus.DONE, FollowUpStatus.MISSED, FollowUpStatus.DECLINED)
    today = timezone.localdate()
    if status not in marks:
        problems.append(Problem("status", "must be done, missed or declined"))
    if status == FollowUpStatus.DONE:
        if done_on is None:
            problems.append(Problem("done_on", "is required: the day the follow-up took place"))
        problems += dates.not_future("done_on", done_on, today=today)
        problems += dates.in_order("done_on", done_on, follow_up.episode.ended_on,
                                   "the day the episode ended")  # fmt: skip
        if administration is not None and administration.participant_id != follow_up.participant_id:
            problems.append(Problem("administration", "is not an assessment of this participant"))
    else:
        for name, value in (("done_on", done_on), ("administration", administration)):
            if value is not None:
                problems.append(Problem(name, "is only for a follow-up that was done"))
        if status in marks and not reason.strip():
            problems.append(Problem("reason", "is required: say why it was missed or declined"))
    problems += text_problems("reason", reason, max_length=REASON_MAX, multiline=True)
    if problems:
        raise InvalidInput(problems)
    if administration is not None:
        require(acting_user, administration.category, programme=programme)
    with transaction.atomic():
        locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(
                f"this follow-up changed since you opened it (version {expected_version}, "
                f"now {locked.version}); reload and try again"
            )
        if locked.status != FollowUpStatus.DUE:
            already = locked.get_status_display().lower()
            raise InvalidInput(Problem("status", f"is already {already}"))
        locked.status, locked.done_on, locked.administration = status, done_on, administration
        locked.reason, locked.updated_by = reason.strip(), acting_user
        locked.updated_at, locked.version = timezone.now(), locked.version + 1
        locked.save()
        audit_write(
            acting_user=acting_user, action="update", obj=locked, categories=[Category.OUTCOMES],
            participant_ids=[locked.participant_id],
            detail={"status": status, "administration": getattr(administration, "pk", None)},
        )  # fmt: skip
    return locked
