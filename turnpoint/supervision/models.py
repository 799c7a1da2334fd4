"""What supervision records in the database: custody episodes and the release plan that
prepares each participant's return to the community (docs/supervision.md, "Custody and
release"). The rules about them live in `supervision/custody.py`."""

from django.db import models
from django.utils import timezone

from turnpoint.sharing.categories import Category

# The high overdose-risk window after release: the day of release (day 0) and the 14 days after
# it (evidence.md R20). Here so that the caseload's order (journeys/caseload.py) and the
# release plan's rules (supervision/custody.py) use the one number.
RELEASE_WINDOW_DAYS = 14


class CustodyKind(models.TextChoices):
    REMAND = "remand", "Remand"
    SANCTION = "sanction", "Custody sanction"
    SENTENCE = "sentence", "Custodial sentence"


class CustodyEpisode(models.Model):
    """A time the participant spent, or spends, in custody: a legal fact."""

    data_category = Category.LEGAL

    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="custody_episodes"
    )
    # The referral (in the recording user's team) the custody belongs to, when there is one.
    referral = models.ForeignKey(
        "journeys.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=CustodyKind.choices)
    establishment = models.CharField(max_length=200)
    started_on = models.DateField()
    expected_release_on = models.DateField(null=True, blank=True)
    released_on = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["participant", "started_on"]),
            models.Index(fields=["released_on"]),
            models.Index(fields=["expected_release_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.establishment} from {self.started_on}"


class ReleasePlan(models.Model):
    """The checklist that prepares a release from one custody episode. Its items are rows of
    `ReleasePlanItem`, each of its own data category (clinical or pathway)."""

    data_category = Category.PATHWAY

    custody_episode = models.OneToOneField(
        CustodyEpisode, on_delete=models.PROTECT, related_name="release_plan"
    )
    started_on = models.DateField()
    # None when started automatically, weeks before the expected release date.
    started_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"Release plan for {self.custody_episode}"


class ReleaseItem(models.TextChoices):
    """The tasks of every release plan, in the order shown (their categories:
    `supervision.custody.ITEMS`)."""

    OST_CONTINUED = "ost_continued", "Opioid substitution treatment continued"
    NALOXONE_SUPPLIED = "naloxone_supplied", "Naloxone supplied"
    FIRST_APPOINTMENT = "first_appointment", "First community appointment booked"
    HOUSING = "housing", "Housing on release"
    BENEFITS_ID = "benefits_id", "Benefits and identification"
    GP_REGISTRATION = "gp_registration", "Registered with a GP"


class ItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    NOT_NEEDED = "not_needed", "Not needed"


class ReleasePlanItem(models.Model):
    """One task of a release plan: its status and who set it, when, and why."""

    plan = models.ForeignKey(ReleasePlan, on_delete=models.PROTECT, related_name="items")
    item = models.CharField(max_length=30, choices=ReleaseItem.choices)
    # The item's category, copied from supervision.custody.ITEMS so that counts in the
    # database can keep to what the reader may see.
    category = models.CharField(max_length=30, choices=Category.choices)
    status = models.CharField(max_length=12, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    # The appointment booked: the first community appointment, or the community prescriber's.
    appointment_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "item"], name="release_plan_item_once")
        ]
        indexes = [models.Index(fields=["plan", "status"])]

    def __str__(self) -> str:
        return f"{self.item}: {self.status}"
