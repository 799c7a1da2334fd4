"""Administrations of instruments and external assessments (docs/assessments.md).

An administration is one sitting of one instrument with one participant: its answers (item id ->
numeric value), and, once complete, its scores as the instrument's scoring computed them. The
instrument itself is data (turnpoint.assessments.instruments); the administration keeps the
instrument's id and version so a later edition of the file never changes what was recorded.
"""

from django.db import models
from django.utils import timezone

from turnpoint.sharing.categories import Category

from .domains import RiskLevel


class Setting(models.TextChoices):
    INTAKE = "intake", "Intake"
    REVIEW = "review", "Review"
    EXIT = "exit", "Exit"
    FOLLOW_UP = "follow_up", "Follow-up"


class Mode(models.TextChoices):
    STAFF = "staff", "Asked by a member of staff"
    SELF = "self", "Completed by the participant"


class Status(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETE = "complete", "Complete"


class Administration(models.Model):
    category_field = "category"  # each row's data category, from its instrument file

    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="administrations"
    )
    # The programme it was given for, when it was (a review, an exit); none for a screening
    # before any referral to the user's team.
    referral = models.ForeignKey(
        "journeys.Referral",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="administrations",
    )
    instrument_id = models.CharField(max_length=64)
    instrument_version = models.CharField(max_length=200)
    # The data category of what it records, from the instrument file: strengths and readiness
    # are not risk information, a depression score is mental health.
    category = models.CharField(max_length=30, choices=Category.choices)
    setting = models.CharField(max_length=20, choices=Setting.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.STAFF)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_PROGRESS)
    language = models.CharField(max_length=10, default="en")
    administered_on = models.DateField()
    administered_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    answers = models.JSONField(default=dict, blank=True)  # item id -> value (None: not answered)
    # Set when complete: {"scales": [{"id", "name", "score", "band", ...}], "flags": [...]}
    scores = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["participant", "instrument_id", "administered_on"])]

    def __str__(self) -> str:
        return f"{self.instrument_id} administration {self.pk}"


class ExternalAssessment(models.Model):
    """The total and level of a tool Turnpoint may not ship (LS/CMI, LSI-R, ORAS, DAST-10, the
    full AUDIT, REC-CAP, OASys), recorded by staff who administered it elsewhere, so that a risk
    level can still drive matching."""

    category_field = "category"  # risk and need unless the tool measures something else

    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="external_assessments"
    )
    referral = models.ForeignKey(
        "journeys.Referral",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="external_assessments",
    )
    tool = models.CharField(max_length=100)
    tool_version = models.CharField(max_length=100, blank=True)
    category = models.CharField(max_length=30, choices=Category.choices, default=Category.RISK_NEED)
    total = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    level = models.CharField(max_length=20, choices=RiskLevel.choices, blank=True)
    assessed_on = models.DateField()
    assessed_by = models.CharField(max_length=200, blank=True)  # who gave the tool, if not staff
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["participant", "assessed_on"])]

    def __str__(self) -> str:
        return f"{self.tool} on {self.assessed_on}"
