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

from collections import defaultdict
from datetime import date, datetime, time

from django.db import models, transaction
from django.utils import timezone

from turnpoint.errors import InvalidInput, Problem

from .audit import audit_write
from .categories import Category, Purpose
from .selects import column, db_value, of_participant, one_of, select_rows


class CourtOrderKind(models.TextChoices):
    ORDER = "order", "Court order authorising disclosure"
    SUBPOENA = "subpoena", "Subpoena"


REQUIRED_TEXT = {
    "court": "is required: name the court that made it",
    "reference": "is required: the court's case or order number",
}


class CourtOrder(models.Model):
    data_category = Category.LEGAL

    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="court_orders"
    )
    kind = models.CharField(max_length=10, choices=CourtOrderKind.choices)
    court = models.CharField(max_length=200)
    reference = models.CharField(max_length=100)
    made_on = models.DateField()
    # What it covers; for a subpoena, what it asks for (recorded, never acted on).
    categories = models.JSONField(default=list, blank=True)
    covers_from = models.DateField(null=True, blank=True)
    covers_to = models.DateField(null=True, blank=True)
    recipient_role = models.CharField(max_length=30, blank=True)
    recipient_agency = models.ForeignKey(
        "accounts.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    purposes = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["participant", "kind", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} ({self.court}, {self.reference})"

    @property
    def label(self) -> str:
        """How messages and documents name it: 'court order 5 (Leeds Crown Court, T2026/14)'."""
        kind = "court order" if self.kind == CourtOrderKind.ORDER else "subpoena"
        return f"{kind} {self.pk} ({self.court}, {self.reference})"

    @property
    def range_text(self) -> str:
        if self.covers_from is None or self.covers_to is None:
            return ""
        return f"{self.covers_from:%d %B %Y} to {self.covers_to:%d %B %Y}"

    def is_in_force(self, at) -> bool:
        """An order (never a subpoena), not ended, made by now and not yet expired."""
        return (
            self.kind == CourtOrderKind.ORDER
            and self.ended_at is None
            and self.expires_at is not None
            and _start_of(self.made_on) <= at < self.expires_at
        )

    def names(self, user) -> bool:
        """Does this order name `user` as a recipient? Every part that is set must match."""
        if not (self.recipient_role or self.recipient_agency_id):
            return False
        if self.recipient_role and self.recipient_role != user.role:
            return False
        return not (self.recipient_agency_id and self.recipient_agency_id != user.agency_id)

    def covers(self, user, category: str, purpose: str, at) -> bool:
        return category in self.categories and self.applies(user, purpose, at)

    def applies(self, user, purpose: str, at) -> bool:
        """Does this order open reads by `user` for `purpose` at `at`, of its categories?
        `covers` with the category left out, so a page can test an order once for all."""
        return purpose in self.purposes and self.names(user) and self.is_in_force(at)

    def dated_within(self, day: date) -> bool:
        return self.covers_from <= day <= self.covers_to


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def active_court_orders(participant_ids) -> dict[int, list[CourtOrder]]:
    """Every order of these participants that may be in force, in one query, by participant.
    Subpoenas are never loaded: they open nothing."""
    by_participant: dict[int, list[CourtOrder]] = defaultdict(list)
    among, ids = one_of(column(CourtOrder, "participant"), participant_ids)
    may_be_in_force, params = _may_be_in_force()
    rows = select_rows(
        CourtOrder, f"{among} AND {may_be_in_force}", [ids, *params], order_by=["made_on", "id"]
    )
    for order in rows:
        by_participant[order.participant_id].append(order)
    return by_participant


def _may_be_in_force() -> tuple[str, list]:
    """The condition `active_court_orders` loads by (an order, not a subpoena; not ended; not
    expired), on the table's own name, with its values."""
    return (
        f"{column(CourtOrder, 'kind')} = %s AND {column(CourtOrder, 'ended_at')} IS NULL"
        f" AND {column(CourtOrder, 'expires_at')} > %s",
        [str(CourtOrderKind.ORDER), db_value(CourtOrder, "expires_at", timezone.now())],
    )


def order_in_force_exists(participant_id: int):
    """A boolean SQL expression: has the participant an order `active_court_orders` would load?
    A participant query annotated with it tells a page whether to ask for the orders at all:
    orders are exceptional, so on nearly every page the answer is no and the query is saved.
    Plain SQL, as `policy._reaches` is: compiling an ORM subquery costs more than running it."""
    from django.db.models import BooleanField
    from django.db.models.expressions import RawSQL

    may_be_in_force, params = _may_be_in_force()
    sql = f"EXISTS ({of_participant(CourtOrder, '1', may_be_in_force)})"
    return RawSQL(sql, [participant_id, *params], output_field=BooleanField())  # noqa: S611


def court_orders_of(pid, court_orders) -> list[CourtOrder]:
    """The participant's orders that may be in force: from `court_orders`
    (`active_court_orders`) when given, otherwise from the database."""
    found = court_orders.get(pid, []) if court_orders is not None else None
    return active_court_orders([pid])[pid] if found is None else found


def court_order_covering(found, user, category, purpose, now):
    """The Decision of the first of `found` covering this read at `now`, or None."""
    from .policy import Decision

    for order in found:
        if order.covers(user, category, purpose, now):
            return Decision(
                True,
                f"{order.label} covers {Category(category).label.lower()} dated "
                f"{order.range_text} for you until {order.expires_at:%d %B %Y}",
                f"court_order:{order.pk}",
            )
    return None


def _validate(values: dict) -> list[Problem]:
    problems = []
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
    elif made_on > timezone.localdate():
        problems.append(Problem("made_on", "is in the future"))
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
    if covers_from and covers_to and covers_from > covers_to:
        problems.append(Problem("covers_to", "must be on or after the start of the range"))
    if order and not (values.get("recipient_role") or values.get("recipient_agency")):
        problems.append(Problem("recipients", "are required: name a role, an agency or both"))
    role = values.get("recipient_role")
    if role:
        from turnpoint.accounts.models import STAFF_ROLE_VALUES

        if role not in STAFF_ROLE_VALUES:
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
