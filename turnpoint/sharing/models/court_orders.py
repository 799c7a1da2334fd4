"""Court orders and subpoenas as recorded: what a court has authorised (42 CFR 2.61, 2.64;
security.md SEC-16). The rules about them live in `sharing/court_orders.py`."""

from datetime import date, datetime, time

from django.db import models
from django.utils import timezone

from ..categories import Category


class CourtOrderKind(models.TextChoices):
    ORDER = "order", "Court order authorising disclosure"
    SUBPOENA = "subpoena", "Subpoena"


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
        if self.covers_from is None or self.covers_to is None:
            return False  # an order names its range; a subpoena may not
        return self.covers_from <= day <= self.covers_to


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
