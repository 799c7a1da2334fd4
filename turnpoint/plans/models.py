"""Recovery plans, their versions, goals and agreed services; matching proposals (docs/plans.md).

A recovery plan is made with the participant for one referral. It is never edited in place:
every change is a new `PlanVersion` holding the whole plan as agreed that day (its goals and
agreed services copied forward with the change applied), so every version is kept and can be
shown beside any other. The plan row carries `version` for optimistic locking and the number
of its current version.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from turnpoint.assessments.domains import LifeDomain
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


class RecoveryPlan(models.Model):
    data_category = Category.PLAN

    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="recovery_plans"
    )
    # The referral (and so the programme and its team) the plan is made for: one plan each.
    referral = models.OneToOneField(
        "journeys.Referral", on_delete=models.PROTECT, related_name="recovery_plan"
    )
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)  # optimistic locking
    current_version = models.PositiveIntegerField(default=1)  # the number of the current one

    def __str__(self) -> str:
        return f"Recovery plan {self.pk}"


class PlanVersion(models.Model):
    """The whole plan as agreed on one day. Written once, never changed."""

    data_category = Category.PLAN

    plan = models.ForeignKey(RecoveryPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    agreed_on = models.DateField()
    agreed_with_participant = models.BooleanField(default=False)
    review_on = models.DateField()  # the next review
    # The plan in the participant's own words: never checked for wording, never changed.
    summary = models.TextField(blank=True)
    staff_note = models.TextField(blank=True)
    # The author saw the language check's findings on the staff note and kept their wording.
    wording_kept = models.BooleanField(default=False)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number_unique")
        ]

    def __str__(self) -> str:
        return f"Version {self.number} of recovery plan {self.plan_id}"


class GoalStatus(models.TextChoices):
    OPEN = "open", "Working on it"
    ACHIEVED = "achieved", "Achieved"
    CHANGED = "changed", "Changed"
    DROPPED = "dropped", "Dropped"


class Goal(models.Model):
    data_category = Category.PLAN

    plan_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="goals")
    position = models.PositiveIntegerField(default=0)
    # The same goal across versions carries the same key (numbered within the plan), so
    # versions can be compared goal by goal: kept, changed, added, removed.
    key = models.PositiveIntegerField()
    domain = models.CharField(max_length=30, choices=LifeDomain.choices)
    # The goal as the participant says it: never checked for wording, never changed.
    in_their_words = models.TextField()
    # Reducing harm is a legitimate goal of its own (fewer days of use, safer use), not a
    # lesser one.
    harm_reduction = models.BooleanField(default=False)
    who_helps = models.CharField(max_length=200, blank=True)
    by_when = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=GoalStatus.choices, default=GoalStatus.OPEN)

    class Meta:
        ordering = ["plan_version", "position", "id"]

    def __str__(self) -> str:
        return f"Goal {self.pk} ({self.domain})"


class Modality(models.TextChoices):
    MEDICATION_ASSISTED_TREATMENT = (
        "medication_assisted_treatment",
        "Medication-assisted treatment (opioid substitution)",
    )
    PSYCHOSOCIAL_COUNSELLING = "psychosocial_counselling", "Psychosocial counselling"
    CONTINGENCY_MANAGEMENT = "contingency_management", "Contingency management"
    COMMUNITY_REINFORCEMENT = "community_reinforcement", "Community reinforcement"
    RESIDENTIAL_REHABILITATION = "residential_rehabilitation", "Residential rehabilitation"
    DETOXIFICATION = "detoxification", "Detoxification"
    INTEGRATED_MENTAL_HEALTH = "integrated_mental_health", "Integrated mental health care"
    MUTUAL_AID = "mutual_aid", "Mutual aid"
    PEER_MENTORING = "peer_mentoring", "Peer mentoring"
    HOUSING_SUPPORT = "housing_support", "Housing support"
    EMPLOYMENT_SUPPORT = "employment_support", "Employment support"
    EDUCATION = "education", "Education"
    FAMILY_SUPPORT = "family_support", "Family support"
    OTHER = "other", "Other"


class AgreedService(models.Model):
    data_category = Category.PLAN

    plan_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="services")
    position = models.PositiveIntegerField(default=0)
    key = models.PositiveIntegerField()  # the same service across versions, as for goals
    modality = models.CharField(max_length=40, choices=Modality.choices)
    provider = models.CharField(max_length=200)
    intensity_hours_per_week = models.DecimalField(max_digits=4, decimal_places=1)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["plan_version", "position", "id"]

    def __str__(self) -> str:
        return f"Agreed service {self.pk} ({self.modality})"
