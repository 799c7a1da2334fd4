"""A participant's external identifiers and contact details: checked, normalised and recorded.

Each identifier kind has its data category (`models.IDENTIFIER_CATEGORY`): the justice numbers
are legal facts, a health number is clinical. Contact details are identity. Recording one needs
the right to write its category; the duplicate check compares `normalised` values
(docs/sharing.md, "External identifiers and contact details").

Check digits are checked where the numbering scheme publishes its algorithm: the NHS number
(modulus 11, NHS Data Dictionary, "NHS Number") and Scotland's CHI number (the same modulus 11
over its first nine digits, whose first six are the date of birth as DDMMYY). Other kinds are
checked for length and characters only.
"""

import re
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from turnpoint.errors import InvalidInput, Problem
from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.categories import Category
from turnpoint.sharing.rules import require
from turnpoint.text import text_problems

from .models import (
    IDENTIFIER_CATEGORY,
    ContactDetail,
    ContactKind,
    ExternalIdentifier,
    IdentifierKind,
    Participant,
)

MAX_IDENTIFIER = 30
_SEPARATORS = re.compile(r"[\s\-/.]+")
_PLAIN = re.compile(r"^[A-Z0-9]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()\-]{6,25}$")


def normalise(kind: str, value: str) -> str:
    """The value as compared: upper case, without spaces, hyphens, slashes or dots. A police
    number's year and serial keep their meaning without the slash (e.g. 2019/0012345A)."""
    return _SEPARATORS.sub("", str(value or "")).upper()


def modulus_11_ok(digits: str) -> bool:
    """The check digit of a ten-digit NHS or CHI number: weights 10 down to 2 on the first nine
    digits, remainder of the sum by 11 taken from 11; 11 means 0 and 10 means no valid number
    has these nine digits (NHS Data Dictionary, "NHS Number")."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _chi_date_ok(digits: str) -> bool:
    """The first six digits are a date as DDMMYY (2000 + YY is a leap year when 19YY is, but
    for 1900, which Turnpoint's participants were not born in)."""
    try:
        date(2000 + int(digits[4:6]), int(digits[2:4]), int(digits[0:2]))
    except ValueError:
        return False
    return True


def identifier_problems(kind: str, value: str) -> list[Problem]:
    """What is wrong with this value for this kind of identifier, in plain words."""
    if kind not in IdentifierKind.values:
        return [Problem("kind", f"must be one of: {', '.join(IdentifierKind.values)}")]
    label = IdentifierKind(kind).label
    text = str(value or "").strip()
    plain = normalise(kind, text)
    if not plain:
        return [Problem("value", f"is required: enter the {label}")]
    if len(plain) > MAX_IDENTIFIER:
        return [Problem("value", f"is longer than {MAX_IDENTIFIER} characters")]
    if not _PLAIN.match(plain):
        return [Problem("value", "may contain only letters, digits, spaces, hyphens and slashes")]
    if kind in (IdentifierKind.NHS, IdentifierKind.CHI):
        if len(plain) != 10 or not plain.isdigit():
            return [Problem("value", f"must be 10 digits: this is not a valid {label}")]
        if kind == IdentifierKind.CHI and not _chi_date_ok(plain):
            return [Problem("value", "must begin with a date of birth as DDMMYY")]
        if not modulus_11_ok(plain):
            return [Problem("value", f"has a wrong check digit: check the {label} and try again")]
    return []


def contact_problems(kind: str, value: str) -> list[Problem]:
    if kind not in ContactKind.values:
        return [Problem("kind", f"must be one of: {', '.join(ContactKind.values)}")]
    text = str(value or "").strip()
    if not text:
        return [Problem("value", f"is required: enter the {ContactKind(kind).label.lower()}")]
    # Free text like any other: no invisible or control characters, an address on several lines.
    problems = text_problems("value", text, max_length=400, multiline=kind == ContactKind.ADDRESS)
    if problems:
        return problems
    if kind == ContactKind.EMAIL and not _EMAIL.match(text):
        return [Problem("value", "must be an email address, like name@example.com")]
    if kind == ContactKind.PHONE and not _PHONE.match(text):
        return [Problem("value", "must be a phone number: digits, spaces and an optional +")]
    return []


def identifier_add(
    *, acting_user, participant: Participant, kind: str, value: str
) -> ExternalIdentifier:
    """Record an identifier of the participant. The same identifier twice on one record is
    refused; the same on another record is what the duplicate check looks for, not an error
    here (a refusal would tell the user that someone out of their reach holds that number)."""
    problems = identifier_problems(kind, value)
    if problems:
        raise InvalidInput(problems)
    category = IDENTIFIER_CATEGORY[IdentifierKind(kind)]
    require(acting_user, category, action="write")
    plain = normalise(kind, value)
    current = participant.identifiers.filter(withdrawn_at__isnull=True)
    if current.filter(kind=kind, normalised=plain).exists():
        raise InvalidInput(Problem("value", "is already recorded for this participant"))
    try:
        with transaction.atomic():
            row = ExternalIdentifier.objects.create(
                participant=participant, kind=kind, value=str(value).strip(), normalised=plain,
                recorded_by=acting_user,
            )  # fmt: skip
            audit_write(
                acting_user=acting_user, action="create", categories=[category],
                participant_ids=[participant.pk], obj=row, detail={"kind": kind},
            )  # fmt: skip
    except IntegrityError as exc:  # recorded by someone else at the same moment
        raise InvalidInput(Problem("value", "is already recorded for this participant")) from exc
    return row


def contact_add(*, acting_user, participant: Participant, kind: str, value: str) -> ContactDetail:
    """Record a way to reach the participant (identity)."""
    problems = contact_problems(kind, value)
    if problems:
        raise InvalidInput(problems)
    require(acting_user, Category.IDENTITY, action="write")
    with transaction.atomic():
        row = ContactDetail.objects.create(
            participant=participant, kind=kind, value=str(value).strip(), recorded_by=acting_user
        )
        audit_write(acting_user=acting_user, action="create", categories=[Category.IDENTITY],
                    participant_ids=[participant.pk], obj=row, detail={"kind": kind})  # fmt: skip
    return row


MAX_REASON = 2000


def _withdraw(*, acting_user, row, category: str, reason: str):
    """Mark `row` withdrawn (kept, no longer current), with who, when and why, audited."""
    require(acting_user, category, action="write")
    reason = str(reason or "").strip()
    if not reason:
        raise InvalidInput(Problem("reason", "is required: say why it was recorded in error"))
    problems = text_problems("reason", reason, max_length=MAX_REASON, multiline=True)
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        locked = type(row).objects.select_for_update().get(pk=row.pk)
        if locked.withdrawn_at is not None:
            raise InvalidInput(Problem("reason", "cannot be given: this was withdrawn already"))
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = acting_user
        locked.withdrawn_reason = reason
        locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
        audit_write(
            acting_user=acting_user, action="update", categories=[category],
            participant_ids=[locked.participant_id], obj=locked,
            detail={"kind": locked.kind, "withdrawn": True, "reason": reason},
        )  # fmt: skip
    return locked


def identifier_withdraw(*, acting_user, identifier: ExternalIdentifier, reason: str):
    """Withdraw an identifier recorded in error: the row is kept, marked withdrawn, and no longer
    counts as the participant's (nor in the duplicate check). Correcting one is withdrawing it
    and recording the right one. Needs the right to write its category, as recording it did."""
    return _withdraw(acting_user=acting_user, row=identifier, category=identifier.category,
                     reason=reason)  # fmt: skip


def contact_withdraw(*, acting_user, contact: ContactDetail, reason: str):
    """Withdraw a contact detail recorded in error or no longer right (identity), kept."""
    return _withdraw(acting_user=acting_user, row=contact, category=Category.IDENTITY,
                     reason=reason)  # fmt: skip
