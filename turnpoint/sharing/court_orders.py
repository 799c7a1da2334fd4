"""Court orders and subpoenas: scoped records of what a court has authorised (42 CFR 2.61, 2.64;
security.md §5.1, §5.4 and SEC-16).

An order authorising disclosure opens, to the recipients it names (a role and/or an agency), the
categories it lists, for the purposes it lists, until it expires or is ended, and only for
information dated within its range (`covers_from` to `covers_to`). A subpoena is recorded because
it is a fact of the case, but it authorises nothing on its own (42 CFR 2.61: a subpoena compels
disclosure only with an order under 2.64), so the policy never treats one as a basis:
`active_court_orders` does not even load them.

Records are immutable once made; an order that is discharged, varied or recorded in error is
ended (`court_order_end`) and, if varied, recorded again. Nothing is edited in place, so there
is no version to lock.
"""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from turnpoint import dates
from turnpoint.accounts.models import STAFF_ROLE_VALUES
from turnpoint.errors import InvalidInput, Problem
from turnpoint.journeys.models import Referral
from turnpoint.text import text_problems, texts_problems

from .audit import audit_write
from .categories import Category, Purpose
from .models.court_orders import CourtOrder, CourtOrderKind, _start_of

REQUIRED_TEXT = {
    "court": "is required: name the court that made it",
    "reference": "is required: the court's case or order number",
}
# Free text and its longest length (the page's fields say the same).
TEXT_LIMITS = {"court": 200, "reference": 100}
REASON_MAX = 2000


def _latest_expiry(participant, made_on) -> tuple[date, str] | None:
    """The latest an order made on `made_on` may stay in force: the longest duration of the
    participant's programmes (of the referrals still open; of all when none is)."""
    referrals = list(Referral.objects.select_related("programme").filter(participant=participant))
    open_ = [r for r in referrals if r.state not in ("closed", "left")] or referrals
    if not open_:
        return None
    programme = max((r.programme for r in open_), key=lambda p: p.max_duration_weeks)
    weeks = programme.max_duration_weeks
    return made_on + timedelta(weeks=weeks), (
        f"an order lasts no longer than the longest a participant stays in {programme.name}, "
        f"{weeks} weeks from the day it was made"
    )


def _validate(values: dict) -> list[Problem]:
    problems = texts_problems(values, TEXT_LIMITS)
    kind = values.get("kind")
    if not values.get("participant"):
        problems.append(Problem("participant", "is required"))
    if kind not in CourtOrderKind.values:
        problems.append(Problem("kind", "must be a court order or a subpoena"))
    for name, reason in REQUIRED_TEXT.items():
        if not str(values.get(name) or "").strip():
            problems.append(Problem(name, reason))
    made_on = values.get("made_on")
    if not made_on:
        problems.append(Problem("made_on", "is required"))
    else:
        participant = values.get("participant")
        born = participant.date_of_birth if participant else None
        problems += dates.entered_date("made_on", made_on, today=timezone.localdate(), born=born)
    # An order must state its whole scope; a subpoena's scope is recorded when known.
    order = kind == CourtOrderKind.ORDER
    categories = values.get("categories") or []
    if order and not categories:
        problems.append(
            Problem("categories", "is required: list each category of information, never 'all'")
        )
    for c in categories:
        if c not in Category.values:
            problems.append(Problem("categories", f"must list data categories; '{c}' is not one"))
    covers_from, covers_to = values.get("covers_from"), values.get("covers_to")
    if order and not covers_from:
        problems.append(
            Problem("covers_from", "is required: an order covers information of a date range")
        )
    if order and not covers_to:
        problems.append(
            Problem("covers_to", "is required: an order covers information of a date range")
        )
    problems += dates.not_before_floor("covers_from", covers_from)
    problems += dates.not_before_floor("covers_to", covers_to)
    if covers_from and covers_to and covers_from > covers_to:
        problems.append(Problem("covers_to", "must be on or after the start of the range"))
    if order and not (values.get("recipient_role") or values.get("recipient_agency")):
        problems.append(Problem("recipients", "are required: name a role, an agency or both"))
    role = values.get("recipient_role")
    if role and role not in STAFF_ROLE_VALUES:
        problems.append(Problem("recipient_role", f"must be a role; '{role}' is not one"))
    purposes = values.get("purposes") or []
    if order and not purposes:
        problems.append(
            Problem("purposes", "is required: say what the information may be used for")
        )
    for p in purposes:
        if p not in Purpose.values:
            problems.append(Problem("purposes", f"must list purposes; '{p}' is not one"))
    expires_at = values.get("expires_at")
    if order and not expires_at:
        problems.append(Problem("expires_at", "is required: an order's authority must end"))
    elif expires_at and made_on and expires_at <= _start_of(made_on):
        problems.append(Problem("expires_at", "must be after the date the order was made"))
    elif expires_at and made_on and values.get("participant"):
        latest = _latest_expiry(values["participant"], made_on)
        if latest is not None:
            problems += dates.not_after("expires_at", expires_at, *latest)
    return problems


def court_order_record(*, acting_user, **values) -> CourtOrder:
    """Record a court order or a subpoena; refused with every missing element named (SEC-16).

    Recording a subpoena is allowed, but it opens nothing (42 CFR 2.61)."""
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    problems = _validate(values)
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        order = CourtOrder.objects.create(created_by=acting_user, **values)
        audit_write(
            acting_user=acting_user, action="create", obj=order,
            participant_ids=[order.participant_id], categories=[Category.LEGAL],
            detail={"kind": order.kind, "court": order.court, "reference": order.reference,
                    "covers": list(order.categories)},
        )  # fmt: skip
    return order


def court_order_end(order: CourtOrder, *, acting_user, reason: str) -> CourtOrder:
    """End an order or subpoena at once (discharged, varied, recorded in error): the next
    decision no longer sees it."""
    if not reason.strip():
        raise InvalidInput(
            Problem("reason", "is required: say why it ends, for example 'discharged on appeal'")
        )
    if problems := text_problems("reason", reason, max_length=REASON_MAX, multiline=True):
        raise InvalidInput(problems)
    with transaction.atomic():
        updated = CourtOrder.objects.filter(pk=order.pk, ended_at__isnull=True).update(
            ended_at=timezone.now(), ended_by=acting_user, end_reason=reason.strip()
        )
        if not updated:
            raise InvalidInput(Problem("court_order", "has already ended"))
        audit_write(
            acting_user=acting_user, action="update", obj=order,
            participant_ids=[order.participant_id], categories=[Category.LEGAL],
            detail={"ended": True, "reason": reason.strip()},
        )  # fmt: skip
    order.refresh_from_db()
    return order
