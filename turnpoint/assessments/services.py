"""Giving an instrument and recording an external assessment (docs/assessments.md,
"Administering" and "External assessments").

An administration is started for a participant the caller reached, saved as it goes (answers
checked item by item, with the instrument's own ranges), and completed once: the full scoring is
stored with it and it is never edited again; a correction is a new administration. Several
people may have one open at once (a worker and the participant on a tablet), so each save names
the version it was based on and a stale save is refused. Every write needs the right to write the
instrument's data category (`sharing.rules`) and writes its audit entry in the same transaction.
"""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from turnpoint import dates
from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.journeys.models import Referral
from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.categories import Category
from turnpoint.sharing.rules import PolicyDenied, require
from turnpoint.text import text_problems, texts_problems

from . import instruments
from .domains import RiskLevel
from .models import Administration, ExternalAssessment, Mode, Setting, Status

# Tools Turnpoint cannot ship (their licences forbid it), offered as suggestions when an
# external assessment is recorded; any other name may be typed.
EXTERNAL_TOOLS = ("LS/CMI", "LSI-R", "ORAS", "OASys", "DAST-10", "AUDIT", "REC-CAP")
EXTERNAL_TEXT_LIMITS = {"tool": 100, "tool_version": 100, "assessed_by": 200}
NOTE_MAX = 2000
# ExternalAssessment.total: eight digits, two after the point.
TOTAL_MAX = Decimal("999999.99")


def instrument_find(instrument_id: str, *, field: str = "instrument"):
    """The catalogue's instrument `instrument_id`; refused naming the field when there is none
    (unknown, or switched off in this deployment)."""
    found = instruments.catalogue().get(str(instrument_id or ""))
    if found is None:
        raise InvalidInput(
            Problem(field, "must be one of the instruments in the catalogue")
            if instrument_id
            else Problem(field, "is required: choose an instrument")
        )
    return found


def instrument_of(administration: Administration):
    """The instrument an administration was started with; refused when this deployment has
    switched it off or its file changed version since (its answers were asked in that edition)."""
    instrument = instrument_find(administration.instrument_id)
    if instrument.version != administration.instrument_version:
        raise InvalidInput(
            Problem(
                "instrument",
                f"has changed since this administration started (it was version "
                f"{administration.instrument_version}, it is now {instrument.version}): give it "
                "again as a new administration",
            )
        )
    return instrument


def _referral_problems(acting_user, participant, referral) -> list[Problem]:
    if referral is None:
        return []
    in_team = acting_user.programmes.filter(pk=referral.programme_id).exists()
    if referral.participant_id != participant.pk or not in_team:
        return [Problem("referral", "must be one of this participant's referrals in your team")]
    return []


def administration_start(*, acting_user, participant, instrument_id: str, setting: str,
                         administered_on, mode: str = Mode.STAFF, referral=None,
                         language: str = "en") -> Administration:  # fmt: skip
    """Start an administration of a catalogue instrument (nothing answered yet). The category is
    the instrument's; the user must be allowed to write it (in the referral's programme, when
    the administration is for a referral)."""
    instrument = instrument_find(instrument_id)
    if isinstance(referral, int | str):
        referral = Referral.objects.filter(pk=referral).first()
        if referral is None:
            raise InvalidInput(
                Problem("referral", "must be one of this participant's referrals in your team")
            )
    require(acting_user, instrument.category, action="write",
            programme=referral.programme if referral is not None else None)  # fmt: skip
    problems = _referral_problems(acting_user, participant, referral)
    if setting not in Setting.values:
        problems.append(Problem("setting", "must be intake, review, exit or follow-up"))
    if mode not in Mode.values:
        problems.append(Problem("mode", "must be asked by staff or completed by the participant"))
    if language not in tuple(instrument.languages or ("en",)):
        problems.append(Problem("language", f"is not one {instrument.title} is available in"))
    if administered_on is None:
        problems.append(Problem("administered_on", "is required"))
    else:
        problems += dates.entered_date(
            "administered_on", administered_on, today=timezone.localdate(),
            born=participant.date_of_birth,
        )  # fmt: skip
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        administration = Administration.objects.create(
            participant=participant, referral=referral, instrument_id=instrument.id,
            instrument_version=instrument.version, category=instrument.category,
            setting=setting, mode=mode, language=language, administered_on=administered_on,
            administered_by=acting_user,
        )  # fmt: skip
        audit_write(
            acting_user=acting_user, action="create", obj=administration,
            participant_ids=[participant.pk], categories=[administration.category],
            detail={"instrument": instrument.id, "version": instrument.version,
                    "setting": setting, "mode": mode},
        )  # fmt: skip
    return administration


def _numbers(answers: dict) -> tuple[dict, list[Problem]]:
    """Answers as item id -> number (None: not answered), from numbers or what a form typed."""
    found: dict = {}
    problems = []
    for item_id, value in (answers or {}).items():
        if value is None or (isinstance(value, str) and not value.strip()):
            found[str(item_id)] = None
            continue
        if isinstance(value, bool):
            problems.append(Problem(str(item_id), "must be a number"))
            continue
        if isinstance(value, int | float):
            whole = isinstance(value, float) and value.is_integer()
            found[str(item_id)] = int(value) if whole else value
            continue
        try:
            number = float(str(value).strip())
        except ValueError:
            problems.append(Problem(str(item_id), "must be a number"))
            continue
        found[str(item_id)] = int(number) if number.is_integer() else number
    return found, problems


def _refused(exc: instruments.AnswersRefused) -> InvalidInput:
    """The engine's refusal, one problem per item it names ("item_3: 5 is not one of ...")."""
    problems = []
    for text in exc.problems:
        item, sep, reason = str(text).partition(": ")
        problems.append(Problem(item, reason) if sep and " " not in item else Problem("", text))
    return InvalidInput(problems or [Problem("answers", str(exc))])


def _may_write(administration: Administration, acting_user) -> None:
    programme = administration.referral.programme if administration.referral_id else None
    require(acting_user, administration.category, action="write", programme=programme)


def _not_complete(administration: Administration) -> None:
    if administration.status == Status.COMPLETE:
        raise InvalidInput(
            Problem(
                "answers",
                "cannot change: this administration is complete. To correct it, give the "
                "instrument again as a new administration",
            )
        )


def _current(administration: Administration, expected_version) -> None:
    if expected_version is None or int(expected_version) != administration.version:
        raise Conflict(
            "Someone saved this administration since you opened it. Nothing was saved: open it "
            "again to see their answers, then make your changes."
        )


def _merged(administration, instrument, answers) -> dict:
    numbers, problems = _numbers(answers)
    if problems:
        raise InvalidInput(problems)
    merged = {**(administration.answers or {}), **numbers}
    try:
        instruments.score(instrument, merged, partial=True)
    except instruments.AnswersRefused as exc:
        raise _refused(exc) from exc
    return merged


def _answer(administration: Administration, *, acting_user, answers, expected_version,
            finish: bool, allowed) -> Administration:  # fmt: skip
    """Save (and, when `finish`, score) answers in one transaction, after `allowed` checked who
    may. The row is locked while it is checked and written."""
    with transaction.atomic():
        administration = Administration.objects.select_for_update().get(pk=administration.pk)
        allowed(administration)
        _not_complete(administration)
        if finish:
            _current(administration, expected_version)
        instrument = instrument_of(administration)
        merged = _merged(administration, instrument, answers or {})
        scores = None
        if finish:
            try:
                scores = instruments.score(instrument, merged).as_json()
            except instruments.AnswersRefused as exc:
                raise _refused(exc) from exc
        elif merged == (administration.answers or {}):
            return administration  # the same answers again (a retry): nothing to change
        else:
            _current(administration, expected_version)
        changed = sorted(k for k in merged if (administration.answers or {}).get(k) != merged[k])
        _saved(administration, acting_user, answers=merged, changed=changed, scores=scores)
    return administration


def administration_answers_save(administration: Administration, *, acting_user, answers: dict,
                                expected_version) -> Administration:  # fmt: skip
    """Save some or all answers of an administration in progress ("save and come back later").
    Each answer is checked against its item; a refusal names each item and saves nothing.
    Saving the answers already saved changes nothing (the version stays)."""
    return _answer(administration, acting_user=acting_user, answers=answers,
                   expected_version=expected_version, finish=False,
                   allowed=lambda a: _may_write(a, acting_user))  # fmt: skip


def _saved(administration, acting_user, *, answers, changed, scores=None) -> None:
    now = timezone.now()
    updates = {"answers": answers, "version": administration.version + 1, "updated_at": now}
    if scores is not None:
        updates.update(scores=scores, status=Status.COMPLETE, completed_at=now)
    updated = Administration.objects.filter(
        pk=administration.pk, version=administration.version, status=Status.IN_PROGRESS
    ).update(**updates)
    if not updated:
        raise Conflict("Someone saved this administration since you opened it. Nothing was saved.")
    for name, value in updates.items():
        setattr(administration, name, value)
    detail: dict = {"items_changed": changed}
    if scores is not None:
        detail["completed"] = True
    audit_write(
        acting_user=acting_user, action="update", obj=administration,
        participant_ids=[administration.participant_id], categories=[administration.category],
        detail=detail,
    )  # fmt: skip


def administration_complete(administration: Administration, *, acting_user, expected_version,
                            answers: dict | None = None) -> Administration:  # fmt: skip
    """Finish an administration: save `answers` (when given) and score every answer with the
    instrument's scoring. A refused answer is named and nothing is stored; once complete, the
    administration keeps its answers and scores for good."""
    return _answer(administration, acting_user=acting_user, answers=answers,
                   expected_version=expected_version, finish=True,
                   allowed=lambda a: _may_write(a, acting_user))  # fmt: skip


def own_administration_answer(administration: Administration, *, participant, acting_user,
                              answers: dict, expected_version,
                              finish: bool = False) -> Administration:  # fmt: skip
    """The participant answering, in the portal, an administration of their own record that a
    worker started for them to complete themselves (mode "self"): saved or finished as a
    worker's answers are, with the same checks, audited as the participant's own."""

    def allowed(a):
        if a.participant_id != participant.pk or a.mode != Mode.SELF:
            raise PolicyDenied("these questions are not yours to answer here")

    return _answer(administration, acting_user=acting_user, answers=answers,
                   expected_version=expected_version, finish=finish, allowed=allowed)  # fmt: skip


def _total(value) -> tuple[Decimal | None, list[Problem]]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, []
    try:
        total = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None, [Problem("total", "must be a number, for example 24")]
    if not total.is_finite() or total < 0 or total > TOTAL_MAX:
        return None, [Problem("total", f"must be a number from 0 to {TOTAL_MAX:,}")]
    if total != total.quantize(Decimal("0.01")):
        return None, [Problem("total", "must have at most two decimal places")]
    return total, []


def external_assessment_record(*, acting_user, participant, tool: str, assessed_on,
                               level: str = "", total=None, tool_version: str = "",
                               assessed_by: str = "", note: str = "",
                               referral=None) -> ExternalAssessment:  # fmt: skip
    """Record the result of a tool given elsewhere (LS/CMI, LSI-R, ORAS, OASys, ...): its name,
    total and level as the tool gave them. A risk and need assessment (category risk_need)."""
    require(acting_user, Category.RISK_NEED, action="write",
            programme=referral.programme if referral is not None else None)  # fmt: skip
    values = {"tool": (tool or "").strip(), "tool_version": (tool_version or "").strip(),
              "assessed_by": (assessed_by or "").strip()}  # fmt: skip
    note = (note or "").strip()
    problems = texts_problems(values, EXTERNAL_TEXT_LIMITS)
    problems += text_problems("note", note, max_length=NOTE_MAX, multiline=True)
    problems += _referral_problems(acting_user, participant, referral)
    if not values["tool"]:
        problems.append(Problem("tool", "is required: name the tool, for example LS/CMI"))
    level = level or ""
    if level and level not in RiskLevel.values:
        problems.append(Problem("level", "must be low, medium, high or very high"))
    amount, wrong = _total(total)
    problems += wrong
    if not level and amount is None and not wrong:
        problems.append(Problem("level", "is required, or the total: record what the tool gave"))
    if assessed_on is None:
        problems.append(Problem("assessed_on", "is required"))
    else:
        problems += dates.entered_date(
            "assessed_on", assessed_on, today=timezone.localdate(),
            born=participant.date_of_birth,
        )  # fmt: skip
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        assessment = ExternalAssessment.objects.create(
            participant=participant, referral=referral, total=amount, level=level,
            assessed_on=assessed_on, note=note, recorded_by=acting_user, **values,
        )  # fmt: skip
        audit_write(
            acting_user=acting_user, action="create", obj=assessment,
            participant_ids=[participant.pk], categories=[assessment.category],
            detail={"tool": assessment.tool, "level": level},
        )  # fmt: skip
    return assessment
