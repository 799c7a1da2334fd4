"""Corrections leave a trace: a step recorded in error is corrected or withdrawn by a row of its
own, never by changing the step, and a referral's offence facts edited after entry keep their
earlier values (docs/journeys.md, "Correcting a step"). Each service checks the policy, locks the
referral, checks its version and writes the row, the recomputed referral and episode, and the
audit entry in one transaction: all of it or nothing.
"""

import copy
from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from turnpoint.accounts.models import Role
from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.outcomes.services import follow_ups_follow_exit
from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.categories import Category
from turnpoint.sharing.rules import PolicyDenied, require
from turnpoint.text import text_problems

from . import machine
from .effective import Derived, derive, journey_of
from .models import Disposal, Episode, Referral, ReferralFieldChange, State, Transition
from .services import REASON_MAX, SUMMARY_MAX, _require_member, referral_problems

K = Transition.Kind
OFFENCE_FIELDS = ("offence_date", "offence_category", "drug_related_type", "offence_summary")


def may_correct(user, transition: Transition, programme) -> bool:
    """May this user correct or withdraw this step? Its author, or a coordinator of the team,
    who may both change the pathway in this programme (what the pages offer)."""
    try:
        _require_may_correct(user, transition, programme)
    except PolicyDenied:
        return False
    return True


def may_correct_steps(user, programme, *, in_team: bool = False
                      ) -> Callable[[Transition], bool]:  # fmt: skip
    """`may_correct` for each step of one programme's referral, with the policy and the team
    membership decided once (a timeline asks for every step); `in_team` when the caller already
    knows the user is in the programme's team."""
    try:
        require(user, Category.PATHWAY, programme=programme, action="write")
        if not in_team:
            _require_member(user, programme)
    except PolicyDenied:
        return lambda step: False
    if user.role == Role.COORDINATOR:
        return lambda step: True
    return lambda step: step.acting_user_id == user.pk


def _require_may_correct(user, original: Transition, programme) -> None:
    require(user, Category.PATHWAY, programme=programme, action="write")
    _require_member(user, programme)
    if original.acting_user_id != user.pk and user.role != Role.COORDINATOR:
        raise PolicyDenied(
            "only the person who recorded this step or a coordinator of the "
            f"{programme.name} team can correct or withdraw it"
        )


def transition_correct(
    transition: Transition,
    *,
    acting_user,
    reason: str,
    expected_version: int | None = None,
    occurred_on: date | None = None,
    reason_code: str | None = None,
    step_reason: str | None = None,
    recommended_disposal: str | None = None,
    imposed_disposal: str | None = None,
    exit_type: str | None = None,
    override_reason: str = "",
) -> Transition:
    """Correct a recorded step: its date, reason code, reason (`step_reason`), disposal or exit
    type, where the step has them. `reason` says why it is corrected. Returns the correction
    row; the step keeps its recorded values and the timeline shows both.

    A correction that makes the steps in effect break one of the programme's rules (a phase
    change or a completion moved before a minimum, a step moved past the maximum duration) is
    refused with RulesNotMet, like a new step, unless `override_reason` is given by a role the
    programme lets override; the correction then records the override (docs/journeys.md)."""
    referral = transition.referral
    programme = referral.programme
    _require_may_correct(acting_user, transition, programme)
    with transaction.atomic():
        locked, episode = _lock(referral, expected_version)
        journey = journey_of(locked.transitions.all())
        current = _in_effect(journey, transition)
        wanted = {
            "occurred_on": occurred_on,
            "reason_code": reason_code,
            "reason": step_reason,
            "recommended_disposal": recommended_disposal,
            "imposed_disposal": imposed_disposal,
            "exit_type": exit_type,
        }
        problems, values = _corrected_values(journey.steps, current, wanted, programme)
        if not (reason or "").strip():
            problems.append(Problem("reason", "is required: say why the step is corrected"))
        problems += text_problems("reason", reason, max_length=REASON_MAX, multiline=True)
        changes = {
            k: [_text(_value_of(current, k)), _text(v)]
            for k, v in values.items()
            if v != _value_of(current, k)
        }
        if not problems and not changes:
            problems.append(Problem("", "nothing to correct: the values are those recorded"))
        if problems:
            raise InvalidInput(problems)
        data = dict(current.data or {})
        for key in DATA_FIELDS:
            if key in values:
                data[key] = values[key]
        _check_programme_rules(journey.steps, current, values, data, programme, acting_user,
                               override_reason)  # fmt: skip
        row = Transition.objects.create(
            referral=locked,
            kind=K.CORRECTION,
            corrects_id=transition.pk,
            from_state=current.from_state,
            to_state=current.to_state,
            occurred_on=values.get("occurred_on", current.occurred_on),
            acting_user=acting_user,
            reason_code=values.get("reason_code", current.reason_code),
            reason=values.get("reason", current.reason),
            data=data,
            correction_reason=reason.strip(),
        )
        _apply(locked, episode, derive(journey_of(locked.transitions.all()).steps))
        audit_write(
            acting_user=acting_user,
            action="correct",
            categories=[Category.PATHWAY],
            participant_ids=[locked.participant_id],
            obj=row,
            detail={"corrects": transition.pk, "changes": changes},
        )
    referral.refresh_from_db()
    return row


def transition_withdraw(
    transition: Transition, *, acting_user, reason: str, expected_version: int | None = None
) -> Transition:
    """Withdraw the latest step in effect, recorded in error: the referral goes back to the state
    before it (an episode start withdrawn removes the episode, an exit withdrawn reopens it, a
    phase change withdrawn restores the phase). Returns the withdrawal row."""
    referral = transition.referral
    programme = referral.programme
    _require_may_correct(acting_user, transition, programme)
    with transaction.atomic():
        locked, episode = _lock(referral, expected_version)
        journey = journey_of(locked.transitions.all())
        current = _in_effect(journey, transition)
        problems = []
        if journey.steps[-1].pk != current.pk:
            problems.append(
                Problem(
                    "transition",
                    "is not the latest step: only the latest step "
                    "can be withdrawn, so withdraw the steps after it first",
                )
            )
        if not (reason or "").strip():
            problems.append(Problem("reason", "is required: say why the step is withdrawn"))
        problems += text_problems("reason", reason, max_length=REASON_MAX, multiline=True)
        if problems:
            raise InvalidInput(problems)
        row = Transition.objects.create(
            referral=locked,
            kind=K.WITHDRAWAL,
            corrects_id=transition.pk,
            from_state=current.to_state,
            to_state=current.from_state or State.REFERRAL,
            occurred_on=current.occurred_on,
            acting_user=acting_user,
            correction_reason=reason.strip(),
        )
        _apply(locked, episode, derive(journey_of(locked.transitions.all()).steps))
        audit_write(
            acting_user=acting_user,
            action="withdraw",
            categories=[Category.PATHWAY],
            participant_ids=[locked.participant_id],
            obj=row,
            detail={"withdraws": transition.pk, "from": current.to_state, "to": row.to_state},
        )
    referral.refresh_from_db()
    return row


# What a correction may change, per step -----------------------------------------------------------

STEP_FIELDS = ("occurred_on", "reason_code", "reason")
DATA_FIELDS = ("recommended_disposal", "imposed_disposal", "exit_type")


def _value_of(step: Transition, key: str):
    return getattr(step, key) if key in STEP_FIELDS else (step.data or {}).get(key)


def _text(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value or "")


def correctable_fields(step: Transition) -> tuple[str, ...]:
    """The values of this step a correction may change (its date always)."""
    fields = ["occurred_on"]
    if step.kind == K.LEFT:
        fields.append("reason_code")
        if step.from_state == State.DECISION:
            fields.append("imposed_disposal")
    elif step.to_state == State.DECISION:
        fields.append("recommended_disposal")
    elif step.to_state == State.EXIT and step.kind == K.ADVANCE:
        fields.append("exit_type")
    fields.append("reason")
    return tuple(fields)


def _corrected_values(steps: list, current: Transition, wanted: dict, programme
                      ) -> tuple[list[Problem], dict]:  # fmt: skip
    """(problems, the values asked for) of a correction of `current`, one of `steps`."""
    problems: list[Problem] = []
    allowed = correctable_fields(current)
    values: dict[str, Any] = {}
    for key, value in wanted.items():
        if value is None:
            continue
        if key not in allowed:
            name = "step_reason" if key == "reason" else key
            problems.append(Problem(name, "is not something this step records"))
            continue
        values[key] = value.strip() if isinstance(value, str) else value
    at = steps.index(current)
    if "occurred_on" in values and not isinstance(values["occurred_on"], date):
        problems.append(Problem("occurred_on", "is not a date (use YYYY-MM-DD)"))
    elif "occurred_on" in values:
        day: date = values["occurred_on"]
        before, after = (
            steps[at - 1] if at else None,
            steps[at + 1] if at + 1 < len(steps) else None,
        )
        if day > timezone.localdate():
            problems.append(Problem("occurred_on", "is in the future"))
        if before is not None and day < before.occurred_on:
            problems.append(Problem("occurred_on", "is before the step before it "
                                    f"({before.occurred_on:%d %B %Y})"))  # fmt: skip
        if after is not None and day > after.occurred_on:
            problems.append(Problem("occurred_on", "is after the step after it "
                                    f"({after.occurred_on:%d %B %Y})"))  # fmt: skip
    code = values.get("reason_code", current.reason_code)
    text = values.get("reason", current.reason)
    if "reason_code" in values and code not in machine.LEAVE_REASONS:
        problems.append(
            Problem("reason_code", f"must be one of: {', '.join(machine.LEAVE_REASONS)}")
        )
    needs_text = (
        (current.kind == K.LEFT and code == "other")
        or current.kind == K.PHASE
        or (current.to_state == State.EXIT and current.kind == K.ADVANCE)
        or (current.to_state == State.CLOSED and current.from_state == State.EXIT)
    )
    problems += text_problems("step_reason", values.get("reason"), max_length=REASON_MAX,
                              multiline=True)  # fmt: skip
    if needs_text and "reason" in values and not text:
        problems.append(Problem("step_reason", "is required for this step"))
    if "recommended_disposal" in values and values["recommended_disposal"] not in Disposal.values:
        problems.append(
            Problem("recommended_disposal", f"must be one of: {', '.join(Disposal.values)}")
        )
    if "imposed_disposal" in values and (
        values["imposed_disposal"] not in Disposal.values
        or values["imposed_disposal"] == Disposal.PROGRAMME
    ):
        problems.append(Problem("imposed_disposal", "must name the disposal imposed instead"))
    if "exit_type" in values:
        codes = tuple(e["code"] for e in programme.exit_types)
        if values["exit_type"] not in codes:
            problems.append(Problem("exit_type", f"must be one of: {', '.join(codes)}"))
    return problems, values


# Shared steps -------------------------------------------------------------------------------------


def _lock(referral: Referral, expected_version: int | None) -> tuple[Referral, Episode | None]:
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            f"this referral changed since you opened it (version {expected_version}, "
            f"now {locked.version}); reload and try again"
        )
    return locked, Episode.objects.filter(referral=locked).first()


def _check_programme_rules(steps, current, values, data, programme, user, override_reason):
    """Refuse a correction that breaks a programme rule the steps in effect kept, unless it
    carries an override the user's role may give; record that override in `data`."""
    corrected = copy.copy(current)
    corrected.occurred_on = values.get("occurred_on", current.occurred_on)
    corrected.data = data
    facts = dict(
        phase_min_weeks=list(programme.phases.order_by("number").values_list("min_weeks",
                                                                             flat=True)),
        max_duration_weeks=programme.max_duration_weeks,
        exit_outcomes={e["code"]: e["outcome"] for e in programme.exit_types},
    )  # fmt: skip
    before = set(machine.journey_rules_broken(steps, **facts))
    after = [t if t.pk != current.pk else corrected for t in steps]
    new = [rule for key, rule in machine.journey_rules_broken(after, **facts)
           if (key, rule) not in before]  # fmt: skip
    if not new:
        return
    override, problems = machine.override_problems(new, override_reason, user.role,
                                                   programme.override_roles)  # fmt: skip
    if problems:
        raise machine.RulesNotMet(problems)
    data["override"] = override


def _in_effect(journey, transition: Transition) -> Transition:
    """The step as in effect now; refused when it is not a step that can be corrected."""
    if transition.kind in (K.CORRECTION, K.WITHDRAWAL):
        raise InvalidInput(Problem("transition", "is itself a correction: correct the step it "
                                   "corrects instead"))  # fmt: skip
    if transition.kind == K.CREATED:
        raise InvalidInput(
            Problem(
                "transition",
                "is the referral's receipt, which cannot be "
                "corrected or withdrawn: its date is the referral date",
            )
        )
    if transition.pk in journey.withdrawals:
        raise InvalidInput(Problem("transition", "was withdrawn and is no longer in effect"))
    return next(t for t in journey.steps if t.pk == transition.pk)


def _apply(referral: Referral, episode: Episode | None, derived: Derived) -> None:
    """Write what the effective steps now say onto the referral and its episode."""
    referral.state = derived.state
    referral.recommended_disposal = derived.recommended_disposal
    referral.imposed_disposal = derived.imposed_disposal
    referral.version += 1
    referral.save(update_fields=["state", "recommended_disposal", "imposed_disposal", "version"])
    if derived.episode_started_on is None:
        if episode is not None:
            try:
                episode.delete()
            except ProtectedError as exc:
                raise InvalidInput(
                    Problem(
                        "transition",
                        "started an episode that already has "
                        "records of its own; it cannot be withdrawn",
                    )
                ) from exc
        return
    if episode is None:
        episode = Episode(
            referral=referral,
            programme_id=referral.programme_id,
            participant_id=referral.participant_id,
            started_on=derived.episode_started_on,
        )
    facts = {
        "started_on": derived.episode_started_on,
        "phase_number": derived.phase_number,
        "ended_on": derived.ended_on,
        "exit_type": derived.exit_type,
    }
    if episode.pk is None or any(getattr(episode, k) != v for k, v in facts.items()):
        for key, value in facts.items():
            setattr(episode, key, value)
        if episode.pk is not None:
            episode.version += 1
        episode.save()
        # The follow-ups the exit scheduled move, go or come with it (docs/outcomes.md).
        follow_ups_follow_exit(episode)


# Offence facts ---------------------------------------------------------------------------------


def referral_update(
    referral: Referral, *, acting_user, expected_version: int, reason: str = "", **values
) -> Referral:
    """Change a referral's offence facts after entry; each changed field keeps its earlier value
    (`ReferralFieldChange`). Refused with Conflict if someone saved in between."""
    programme = referral.programme
    require(acting_user, Category.LEGAL, programme=programme, action="write")
    _require_member(acting_user, programme)
    problems = [
        Problem(n, "is not a field you can change")
        for n in sorted(set(values) - set(OFFENCE_FIELDS))
    ]
    values = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
    if "offence_date" in values and not isinstance(values["offence_date"], date):
        problems.append(Problem("offence_date", "is not a date (use YYYY-MM-DD)"))
    problems += text_problems("offence_summary", values.get("offence_summary"),
                              max_length=SUMMARY_MAX, multiline=True)  # fmt: skip
    problems += text_problems("reason", reason, max_length=REASON_MAX, multiline=True)
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        locked = (
            Referral.objects.select_for_update().select_related("participant").get(pk=referral.pk)
        )
        if locked.version != expected_version:
            raise Conflict(
                f"this referral changed since you opened it (version {expected_version}, "
                f"now {locked.version}); reload and try again"
            )
        merged = {name: values.get(name, getattr(locked, name)) for name in OFFENCE_FIELDS}
        found = referral_problems(
            participant=locked.participant,
            source=locked.source,
            offence_category=merged["offence_category"],
            drug_related_type=merged["drug_related_type"],
            offence_date=merged["offence_date"],
            referral_date=locked.referral_date,
            today=timezone.localdate(),
        )
        if found:
            raise InvalidInput(found)
        changed = [n for n in OFFENCE_FIELDS if _text(merged[n]) != _text(getattr(locked, n))]
        if not changed:
            return locked
        history = [
            ReferralFieldChange(referral=locked, field=n, old_value=_text(getattr(locked, n)),
                                new_value=_text(merged[n]), changed_by=acting_user,
                                reason=(reason or "").strip())
            for n in changed
        ]  # fmt: skip
        for name in changed:
            setattr(locked, name, merged[name])
        locked.version += 1
        locked.save(update_fields=[*changed, "version"])
        ReferralFieldChange.objects.bulk_create(history)
        audit_write(
            acting_user=acting_user,
            action="update",
            categories=[Category.LEGAL],
            participant_ids=[locked.participant_id],
            obj=locked,
            detail={"fields": changed},
        )
    referral.refresh_from_db()
    return referral
