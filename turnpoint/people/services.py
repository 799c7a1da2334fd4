"""Creating and changing participants."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from turnpoint import dates
from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.categories import Category
from turnpoint.sharing.rules import require
from turnpoint.text import text_problems

from .history import TRACKED, ParticipantFieldChange, participant_changes
from .models import Ethnicity, HouseholdChild, Participant, Sex

EDITABLE_FIELDS = (
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "sex",
    "ethnicity",
    "demographics_consent",
)


NAME_MAX = 100
REASON_MAX = 2000


def _validate(values: dict) -> list[Problem]:
    problems = []
    for name in ("given_name", "family_name"):
        if name in values and not str(values[name]).strip():
            problems.append(Problem(name, "is required"))
    for name in ("given_name", "family_name", "preferred_name"):
        if name in values:
            problems += text_problems(name, values[name], max_length=NAME_MAX)
    dob = values.get("date_of_birth")
    if dob is not None:
        today = timezone.localdate()
        if not isinstance(dob, date):
            problems.append(Problem("date_of_birth", "is not a date (use YYYY-MM-DD)"))
        elif date_problems := dates.entered_date("date_of_birth", dob, today=today):
            problems += date_problems
        elif today.year - dob.year < 10 or today.year - dob.year > 110:
            problems.append(Problem("date_of_birth", "gives an age outside 10 to 110 years"))
    if "sex" in values and values["sex"] not in Sex.values:
        problems.append(Problem("sex", f"must be one of: {', '.join(Sex.values)}"))
    if "ethnicity" in values and values["ethnicity"] not in Ethnicity.values:
        problems.append(Problem("ethnicity", f"must be one of: {', '.join(Ethnicity.values)}"))
    return problems


def participant_create(*, acting_user, synthetic: bool = False, **values) -> Participant:
    require(acting_user, Category.IDENTITY, action="write")
    unknown = set(values) - set(EDITABLE_FIELDS)
    problems = [Problem(name, "is not a field you can set") for name in sorted(unknown)]
    problems += [Problem(n, "is required") for n in ("given_name", "family_name", "date_of_birth")
                 if n not in values]  # fmt: skip
    problems += _validate(values)
    if problems:
        raise InvalidInput(problems)
    values = _clean(values)
    with transaction.atomic():
        participant = Participant.objects.create(synthetic=synthetic, **values)
        audit_write(
            acting_user=acting_user,
            action="create",
            categories=[Category.IDENTITY],
            participant_ids=[participant.pk],
            obj=participant,
        )
    return participant


def participant_update(
    participant: Participant, *, acting_user, expected_version: int, reason: str = "", **values
) -> Participant:
    """Change a participant's details; refused with Conflict if someone saved in between. A
    changed name or date of birth keeps its earlier value (`history.ParticipantFieldChange`),
    with `reason` when given."""
    require(acting_user, Category.IDENTITY, action="write")
    unknown = set(values) - set(EDITABLE_FIELDS)
    problems = [Problem(name, "is not a field you can set") for name in sorted(unknown)]
    problems += _validate(values)
    problems += _birth_after_offence(participant, values.get("date_of_birth"))
    problems += text_problems("reason", reason, max_length=REASON_MAX, multiline=True)
    if problems:
        raise InvalidInput(problems)
    values = _clean(values)
    with transaction.atomic():
        before = (
            Participant.objects.select_for_update().filter(pk=participant.pk).values(*TRACKED).get()
        )
        changed = Participant.objects.filter(pk=participant.pk, version=expected_version).update(
            **values, version=expected_version + 1, updated_at=timezone.now()
        )
        if not changed:
            current = Participant.objects.get(pk=participant.pk).version
            raise Conflict(
                f"this participant changed since you opened it (version {expected_version}, "
                f"now {current}); reload and try again"
            )
        ParticipantFieldChange.objects.bulk_create(
            participant_changes(participant, before, values, acting_user=acting_user, reason=reason)
        )
        audit_write(
            acting_user=acting_user,
            action="update",
            categories=[Category.IDENTITY],
            participant_ids=[participant.pk],
            obj=participant,
            detail={"fields": sorted(values)},
        )
    participant.refresh_from_db()
    return participant


def _birth_after_offence(participant: Participant, dob) -> list[Problem]:
    """A new date of birth may not come after an offence already recorded for the person."""
    if not isinstance(dob, date):
        return []
    first = participant.referrals.order_by("offence_date").values_list("offence_date", flat=True)
    earliest = first.first()
    if earliest is not None and dob > earliest:
        reason = f"is after the date of an offence recorded for them ({dates.spoken(earliest)})"
        return [Problem("date_of_birth", reason)]
    return []


def _clean(values: dict) -> dict:
    return {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}


CHILD_MAX_AGE = 18


def household_child_add(
    *,
    acting_user,
    participant: Participant,
    first_name: str,
    year_of_birth: int,
    lives_with_participant: bool = True,
    relationship: str = "",
) -> HouseholdChild:
    """Record a child in the participant's household, so that safeguarding can act (R19)."""
    require(acting_user, Category.HOUSEHOLD, action="write")
    first_name = str(first_name or "").strip()
    relationship = str(relationship or "").strip()
    problems = []
    if not first_name:
        problems.append(Problem("first_name", "is required"))
    problems += text_problems("first_name", first_name, max_length=NAME_MAX)
    problems += text_problems("relationship", relationship, max_length=100)
    this_year = timezone.localdate().year
    if not isinstance(year_of_birth, int):
        problems.append(Problem("year_of_birth", "must be a year, like 2015"))
    elif year_of_birth > this_year:
        problems.append(Problem("year_of_birth", "is in the future"))
    elif year_of_birth < this_year - CHILD_MAX_AGE:
        reason = f"is more than {CHILD_MAX_AGE} years ago: record children under {CHILD_MAX_AGE}"
        problems.append(Problem("year_of_birth", reason))
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        child = HouseholdChild.objects.create(
            participant=participant,
            first_name=first_name,
            year_of_birth=year_of_birth,
            lives_with_participant=bool(lives_with_participant),
            relationship=relationship,
        )
        audit_write(
            acting_user=acting_user,
            action="create",
            categories=[Category.HOUSEHOLD],
            participant_ids=[participant.pk],
            obj=child,
        )
    return child
