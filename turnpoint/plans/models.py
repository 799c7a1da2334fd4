"""Recovery plans, their versions, goals and agreed services; matching proposals (docs/plans.md)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from turnpoint.programmes.matching_rules import KIND_LABELS
from turnpoint.sharing.categories import Category


class MatchKind(models.TextChoices):
    INTENSITY = "intensity", KIND_LABELS["intensity"]
    MODALITY = "modality", KIND_LABELS["modality"]
    SERVICE = "service", KIND_LABELS["service"]


class MatchOutcome(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    CHANGED = "changed", "Changed"
    REJECTED = "rejected", "Rejected"


class MatchDecision(models.Model):
    """A member of staff's decision on one matching proposal for one referral (docs/matching.md):
    the proposal as it was shown (rule, kind, value, hours, why, requirement, the facts it used
    and the categories they came from), and what was decided: accepted, changed (to
    `changed_value`, with a reason) or rejected (with a reason). One per referral and rule; a
    later decision on the same proposal replaces it, with the version raised and audited. The
    acceptance rate over these is data for evaluating the rules (`matching_decisions`)."""

    data_category = Category.PLAN

    referral = models.ForeignKey(
        "journeys.Referral", on_delete=models.PROTECT, related_name="match_decisions"
    )
    programme_revision = models.PositiveIntegerField()  # the rules' revision when decided
    rule_id = models.CharField(max_length=80)
    kind = models.CharField(max_length=20, choices=MatchKind.choices)
    proposed_value = models.CharField(max_length=60)
    proposed_hours = models.JSONField(null=True, blank=True)  # [from, to] for an intensity
    why = models.TextField()
    requirement = models.CharField(max_length=10)
    # The facts the proposal used, with where each came from, as shown when deciding.
    facts = models.JSONField(default=list)
    # The data categories of those facts: a reader who may not read one does not see the row.
    categories = models.JSONField(default=list)
    outcome = models.CharField(max_length=20, choices=MatchOutcome.choices)
    changed_value = models.CharField(max_length=60, blank=True)
    changed_hours = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")  # fmt: skip
    decided_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["referral", "rule_id"], name="match_decision_per_rule")
        ]
        indexes = [models.Index(fields=["decided_at"])]

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.outcome}"
