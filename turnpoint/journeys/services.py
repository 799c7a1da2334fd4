"""Everything that can happen to a referral or an episode. Pages, API and CLI call these and never
set fields themselves; each write checks the policy and writes its audit row in the same
transaction (STYLE.md rules 1 to 3)."""

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone

from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.outcomes.services import follow_ups_schedule
from turnpoint.programmes.eligibility import eligibility_check
from turnpoint.sharing.audit import audit_entry
from turnpoint.sharing.categories import Category
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.participation import participation_consent_current
from turnpoint.sharing.rules import PolicyDenied, require
from turnpoint.text import text_problems

from . import machine
from .effective import effective_steps, last_occurred_on
from .models import DrugRelatedType, Episode, OffenceCategory, Referral, Source, State, Transition

# The longest free text a referral and a step take (the pages' text areas say the same).
SUMMARY_MAX = 4000
REASON_MAX = 2000


def _require_member(acting_user, programme) -> None:
    if not acting_user.programmes.filter(pk=programme.pk).exists():
        raise PolicyDenied(f"you are not a member of the {programme.name} team")


def referral_create(
    *,
    acting_user,
    participant,
    programme,
    source: str,
    offence_category: str,
    drug_related_type: str,
    offence_date: date,
    referral_date: date | None = None,
    offence_summary: str = "",
    synthetic: bool = False,
) -> Referral:
    require(acting_user, Category.LEGAL, programme=programme, action="write")
    require(acting_user, Category.PATHWAY, programme=programme, action="write")
    _require_member(acting_user, programme)
    today = timezone.localdate()
    referral_date = referral_date or today
    problems = referral_problems(
        participant=participant,
        source=source,
        offence_category=offence_category,
        drug_related_type=drug_related_type,
        offence_date=offence_date,
        referral_date=referral_date,
        today=today,
    )
    problems += text_problems(
        "offence_summary", offence_summary, max_length=SUMMARY_MAX, multiline=True
    )
    if problems:
        raise InvalidInput(problems)
    referral, created = referral_build(
        acting_user=acting_user,
        participant=participant,
        programme=programme,
        source=source,
        offence_category=offence_category,
        drug_related_type=drug_related_type,
        offence_date=offence_date,
        referral_date=referral_date,
        offence_summary=offence_summary,
        synthetic=synthetic,
    )
    with transaction.atomic():
        referral.save()
        created.save()
        referral_audit_create(referral, acting_user=acting_user).save()
    return referral


# Built once: `Choices.values` makes a new list per call and synth checks 100,000s of referrals.
_REFERRAL_CHOICES = {
    "source": tuple(Source.values),
    "offence_category": tuple(OffenceCategory.values),
    "drug_related_type": tuple(DrugRelatedType.values),
}


def referral_problems(
    *,
    participant,
    source: str,
    offence_category: str,
    drug_related_type: str,
    offence_date: date,
    referral_date: date,
    today: date,
) -> list[Problem]:
    """Every problem with a new referral's facts (pure: no database)."""
    problems = []
    for name, value in (
        ("source", source),
        ("offence_category", offence_category),
        ("drug_related_type", drug_related_type),
    ):
        if value not in _REFERRAL_CHOICES[name]:
            problems.append(Problem(name, f"must be one of: {', '.join(_REFERRAL_CHOICES[name])}"))
    if offence_date > today:
        problems.append(Problem("offence_date", "is in the future"))
    if referral_date > today:
        problems.append(Problem("referral_date", "is in the future"))
    if offence_date > referral_date:
        problems.append(Problem("offence_date", "is after the referral date"))
    if offence_date < participant.date_of_birth:
        problems.append(Problem("offence_date", "is before the participant's date of birth"))
    return problems


# The row builders below are the single answer to "what rows does this write produce". The
# service functions save what they return one by one; the synthetic-data generator
# (journeys/synth.py) collects them and bulk_creates them, so both write the same rows.


def referral_build(
    *,
    acting_user,
    participant,
    programme,
    source: str,
    offence_category: str,
    drug_related_type: str,
    offence_date: date,
    referral_date: date,
    offence_summary: str = "",
    synthetic: bool = False,
) -> tuple[Referral, Transition]:
    """The unsaved referral and its 'created' transition (validate with referral_problems)."""
    referral = Referral(
        participant=participant,
        programme=programme,
        source=source,
        offence_category=offence_category,
        drug_related_type=drug_related_type,
        offence_date=offence_date,
        referral_date=referral_date,
        offence_summary=offence_summary.strip(),
        created_by=acting_user,
        synthetic=synthetic,
    )
    created = Transition(
        referral=referral,
        kind=Transition.Kind.CREATED,
        to_state=State.REFERRAL,
        occurred_on=referral_date,
        acting_user=acting_user,
        data={"source": source},
    )
    return referral, created


def referral_audit_create(referral: Referral, *, acting_user) -> AuditEntry:
    """The unsaved audit row for a saved, newly created referral."""
    return audit_entry(
        acting_user=acting_user,
        action="create",
        categories=[Category.LEGAL, Category.PATHWAY],
        participant_ids=[referral.participant_id],
        obj=referral,
    )


def referral_last_occurred_on(referral: Referral) -> date:
    """The date of the latest step in effect (corrected, not withdrawn: journeys/effective.py)."""
    return last_occurred_on(referral.transitions.all(), referral.referral_date)


def referral_transition(
    referral: Referral,
    *,
    acting_user,
    to_state: str,
    occurred_on: date | None = None,
    reason_code: str = "",
    reason: str = "",
    recommended_disposal: str = "",
    imposed_disposal: str = "",
    exit_type: str = "",
    phase_number: int | None = None,
    expected_version: int | None = None,
    override_reason: str = "",
) -> Transition:
    """Move a referral one step along the pathway, or change its episode's phase.

    Refused with InvalidInput naming the current state and the allowed next steps when the step
    is not allowed; with RulesNotMet (an InvalidInput) naming each programme rule the step breaks
    unless `override_reason` is given by a role the programme lets override; with Conflict when
    `expected_version` is stale (nothing is changed).
    """
    programme = referral.programme
    require(acting_user, Category.PATHWAY, programme=programme, action="write")
    _require_member(acting_user, programme)
    text = text_problems("reason", reason, max_length=REASON_MAX, multiline=True)
    text += text_problems("override_reason", override_reason, max_length=REASON_MAX,
                          multiline=True)  # fmt: skip
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(
                f"this referral changed since you opened it (version {expected_version}, "
                f"now {locked.version}); reload and try again"
            )
        episode = Episode.objects.filter(referral=locked).first()
        consent = participation_consent_current(locked) if to_state == State.EPISODE else None
        step, problems = machine.plan_step(
            **programme_rule_facts(locked, episode, to_state=to_state),
            override_reason=override_reason,
            override_role=acting_user.role,
            state=locked.state,
            to_state=to_state,
            occurred_on=occurred_on or timezone.localdate(),
            last_occurred_on=referral_last_occurred_on(locked),
            today=timezone.localdate(),
            reason_code=reason_code,
            reason=reason,
            recommended_disposal=recommended_disposal,
            imposed_disposal=imposed_disposal,
            exit_type=exit_type,
            exit_types=tuple(e["code"] for e in programme.exit_types),
            phase_number=phase_number,
            current_phase=episode.phase_number if episode else None,
            phase_count=programme.phases.count(),
            has_participation_consent=consent is not None,
            participation_consent_signed_on=consent.signed_on if consent else None,
        )
        if problems or text or step is None:  # the machine gives a step when no problems
            if not text and all(p.field == "override_reason" for p in problems):
                raise machine.RulesNotMet(problems)
            raise InvalidInput(problems + text)
        rows = referral_step_rows(locked, episode, step, acting_user=acting_user)
        rows.transition.save()
        locked.save(update_fields=rows.referral_fields)
        if rows.episode is not None:
            rows.episode.save(update_fields=rows.episode_fields or None)
            if step.to_state == State.EXIT:
                # The 3-, 6- and 12-month follow-ups, in the transaction of the exit (R13).
                follow_ups_schedule(rows.episode)
        transition = rows.transition
        transition_audit(transition, acting_user=acting_user).save()
    referral.refresh_from_db()
    return transition


def programme_rule_facts(referral: Referral, episode: Episode | None, *, to_state: str) -> dict:
    """What `machine.plan_step` needs to apply the programme's rules to a step from the
    referral's current state: eligibility results, the episode's dates, phase minimum lengths,
    the maximum duration, exit outcomes and who may override."""
    programme = referral.programme
    facts: dict = {"override_roles": programme.override_roles}
    if referral.state == State.ELIGIBILITY and to_state == State.ASSESSMENT:
        facts["eligibility"] = eligibility_check(programme, referral)
    if episode is not None and referral.state == State.EPISODE:
        # The current phase began with the latest step in effect that entered the episode or
        # changed its phase (corrected dates count; withdrawn steps do not).
        entered = [t for t in effective_steps(referral.transitions.all())
                   if t.to_state == State.EPISODE]  # fmt: skip
        facts.update(
            started_on=episode.started_on,
            phase_started_on=entered[-1].occurred_on if entered else episode.started_on,
            phase_min_weeks=list(
                programme.phases.order_by("number").values_list("min_weeks", flat=True)
            ),
            max_duration_weeks=programme.max_duration_weeks,
            exit_outcomes={e["code"]: e["outcome"] for e in programme.exit_types},
        )
    return facts


@dataclass
class StepRows:
    """What one planned step writes: a new transition, the referral's changed fields and the
    episode it starts (unsaved, `episode_fields` empty) or changes (`episode_fields` set)."""

    transition: Transition
    referral_fields: list[str]
    episode: Episode | None = None
    episode_fields: list[str] = field(default_factory=list)


def referral_step_rows(
    referral: Referral, episode: Episode | None, step: machine.Step, *, acting_user
) -> StepRows:
    """Apply a planned step to the in-memory referral and episode; return the rows to write.

    Saves nothing: the service saves the rows at once, the synthetic-data generator in bulk."""
    transition = Transition(
        referral=referral,
        kind=step.kind,
        from_state=step.from_state,
        to_state=step.to_state,
        occurred_on=step.occurred_on,
        acting_user=acting_user,
        reason_code=step.reason_code,
        reason=step.reason,
        data=step.data,
    )
    fields = ["state", "version"]
    if "recommended_disposal" in step.data:
        referral.recommended_disposal = step.data["recommended_disposal"]
        fields.append("recommended_disposal")
    if "imposed_disposal" in step.data:
        referral.imposed_disposal = step.data["imposed_disposal"]
        fields.append("imposed_disposal")
    referral.state = step.to_state
    referral.version += 1
    rows = StepRows(transition=transition, referral_fields=fields)
    if step.to_state == State.EPISODE and step.kind == "advance":
        rows.episode = Episode(
            referral=referral,
            programme_id=referral.programme_id,
            participant_id=referral.participant_id,
            started_on=step.occurred_on,
            phase_number=1,
        )
    elif step.kind == "phase":
        assert episode is not None, "the machine changes phase only on programme"
        episode.phase_number = step.data["phase_number"]
        episode.version += 1
        rows.episode, rows.episode_fields = episode, ["phase_number", "version"]
    elif step.to_state == State.EXIT:
        assert episode is not None, "the machine exits only from programme"
        episode.ended_on = step.occurred_on
        episode.exit_type = step.data["exit_type"]
        episode.version += 1
        rows.episode, rows.episode_fields = episode, ["ended_on", "exit_type", "version"]
    return rows


def transition_audit(transition: Transition, *, acting_user) -> AuditEntry:
    """The unsaved audit row for a saved transition."""
    return audit_entry(
        acting_user=acting_user,
        action="transition",
        categories=[Category.PATHWAY],
        participant_ids=[transition.referral.participant_id],
        obj=transition,
        detail={"from": transition.from_state, "to": transition.to_state, "kind": transition.kind},
    )
