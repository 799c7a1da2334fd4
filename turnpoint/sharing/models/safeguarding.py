"""Safeguarding break-glass as recorded (R19; security.md SEC-17, SEC-18), and the
notifications it sends. The rules about it live in `sharing/safeguarding.py`."""

from django.db import models
from django.utils import timezone

from ..categories import Category


class BreakGlass(models.Model):
    data_category = Category.SAFEGUARDING

    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="+"
    )
    opened_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reason_code = models.CharField(max_length=30)
    justification = models.TextField()
    opened_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"Break-glass {self.pk} by {self.opened_by_id} for participant {self.participant_id}"


class Notification(models.Model):
    recipient = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.message[:60]
