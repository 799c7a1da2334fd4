"""Outcome events and follow-ups (docs/outcomes.md).

An outcome event is one thing that happened to a participant that says how they are doing: an
arrest, a charge, a conviction or a spell in custody (legal facts), a non-fatal overdose, a death,
or a change of housing or employment status (outcomes). Each row carries its own data category,
from its kind (`KIND_CATEGORY`), so a court role reads a participant's reconvictions but never
their housing. Events are recorded by staff, reported by the participant or imported from a
justice-records file (`turnpoint import justice-records`); an imported row keeps the file, the
row and the source's own reference, and its `import_key` makes a second import of the same row
change nothing.

A follow-up is a client-reported outcome review due 3, 6 and 12 months after an episode ends,
scheduled when the exit is recorded (R13).
"""

from django.db import models
from django.utils import timezone

from turnpoint.journeys.models import OffenceCategory
from turnpoint.sharing.categories import Category


class EventKind(models.TextChoices):
    ARREST = "arrest", "Arrest"
    CHARGE = "charge", "Charge"
    CONVICTION = "conviction", "Conviction"
    CUSTODY = "custody", "Custody"
    OVERDOSE = "overdose", "Non-fatal overdose"
    DEATH = "death", "Death"
    HOUSING = "housing", "Housing status"
    EMPLOYMENT = "employment", "Employment status"


# Justice events carry an offence and an outcome; the others one date (and a status).
JUSTICE_KINDS = frozenset(
    {EventKind.ARREST, EventKind.CHARGE, EventKind.CONVICTION, EventKind.CUSTODY}
)
STATUS_KINDS = frozenset({EventKind.HOUSING, EventKind.EMPLOYMENT})
KIND_CATEGORY = {k: Category.LEGAL if k in JUSTICE_KINDS else Category.OUTCOMES for k in EventKind}


class JusticeOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    CONVICTED = "convicted", "Convicted"
    ACQUITTED = "acquitted", "Acquitted"
    NO_FURTHER_ACTION = "no_further_action", "No further action"
    CAUTIONED = "cautioned", "Cautioned"


class HousingStatus(models.TextChoices):
    SETTLED = "settled", "Settled housing"
    TEMPORARY = "temporary", "Temporary housing"
    HOMELESS = "homeless", "Homeless"


class EmploymentStatus(models.TextChoices):
    EMPLOYED = "employed", "Employed"
    EDUCATION_TRAINING = "education_training", "In education or training"
    UNEMPLOYED = "unemployed", "Unemployed"
    UNABLE_TO_WORK = "unable_to_work", "Unable to work"


STATUS_CHOICES = {EventKind.HOUSING: HousingStatus, EventKind.EMPLOYMENT: EmploymentStatus}


class EventSource(models.TextChoices):
    STAFF = "staff", "Recorded by staff"
    IMPORTED = "imported", "Imported from justice records"
    PARTICIPANT = "participant", "Reported by the participant"


class OutcomeEvent(models.Model):
    category_field = "category"  # legal for justice events, outcomes for the others

    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="outcome_events"
    )
    # The referral it is recorded against, when it is (none for an imported record).
    referral = models.ForeignKey(
        "journeys.Referral",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outcome_events",
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    category = models.CharField(max_length=30, choices=Category.choices)
    # Justice events: the offence, and the day of the event's outcome (the arrest, the charge,
    # the court's decision, the start of custody) with what it was.
    offence_date = models.DateField(null=True, blank=True)
    outcome_date = models.DateField(null=True, blank=True)
    offence_category = models.CharField(max_length=30, choices=OffenceCategory.choices, blank=True)
    outcome = models.CharField(max_length=30, choices=JusticeOutcome.choices, blank=True)
    # Other events: the day it happened or the status took effect, and the status.
    effective_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=30, blank=True)
    note = models.TextField(blank=True)
    source = models.CharField(max_length=20, choices=EventSource.choices)
    source_file = models.CharField(max_length=255, blank=True)
    source_row = models.PositiveIntegerField(null=True, blank=True)
    source_reference = models.CharField(max_length=100, blank=True)
    # Imported rows only: a hash of the source and the row's identifying fields (idempotency).
    import_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["participant", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.event_date}"

    @property
    def event_date(self):
        return self.outcome_date or self.effective_on

    @property
    def status_label(self) -> str:
        choices = STATUS_CHOICES.get(self.kind)
        return choices(self.status).label if choices and self.status in choices.values else ""


FOLLOW_UP_MONTHS = (3, 6, 12)


class FollowUpStatus(models.TextChoices):
    DUE = "due", "Due"
    DONE = "done", "Done"
    MISSED = "missed", "Missed"
    DECLINED = "declined", "Declined"


class FollowUp(models.Model):
    """A client-reported outcome review due `months` after an episode ended."""

    data_category = Category.OUTCOMES

    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="follow_ups"
    )
    referral = models.ForeignKey(
        "journeys.Referral", on_delete=models.PROTECT, related_name="follow_ups"
    )
    episode = models.ForeignKey(
        "journeys.Episode", on_delete=models.PROTECT, related_name="follow_ups"
    )
    months = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    status = models.CharField(
        max_length=20, choices=FollowUpStatus.choices, default=FollowUpStatus.DUE
    )
    # The administration that answered it, when one did.
    administration = models.ForeignKey(
        "assessments.Administration",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    done_on = models.DateField(null=True, blank=True)
    reason = models.TextField(blank=True)
    updated_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "months"], name="one_follow_up_per_month")
        ]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.months}-month follow-up due {self.due_on}"
