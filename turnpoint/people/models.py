"""Participants: the people in the programmes. Reached only through turnpoint.sharing.reach."""

from datetime import date

from django.db import models
from django.utils import timezone

from turnpoint.sharing.categories import Category

from .history import ParticipantFieldChange  # noqa: F401  (a model of this app, in its module)

PREFER_NOT = ("prefer_not_to_say", "Prefer not to say")


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    PREFER_NOT_TO_SAY = PREFER_NOT


class Ethnicity(models.TextChoices):
    # Broad groups used for equity monitoring (R24); recorded only with consent.
    ASIAN = "asian", "Asian or Asian British"
    BLACK = "black", "Black, Black British, Caribbean or African"
    MIXED = "mixed", "Mixed or multiple ethnic groups"
    WHITE = "white", "White"
    OTHER = "other", "Other ethnic group"
    PREFER_NOT_TO_SAY = PREFER_NOT


class Participant(models.Model):
    data_category = Category.IDENTITY

    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=20, choices=Sex.choices, default=Sex.PREFER_NOT_TO_SAY)
    ethnicity = models.CharField(
        max_length=20, choices=Ethnicity.choices, default=Ethnicity.PREFER_NOT_TO_SAY
    )
    demographics_consent = models.BooleanField(
        default=False, help_text="The participant agreed to equity monitoring of sex and ethnicity."
    )
    synthetic = models.BooleanField(
        default=False, db_index=True, help_text="Made by `turnpoint synth`: not a real person."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    # Set when this record was merged into another record of the same person (people/merge.py):
    # it is then out of every reach and list until unmerged.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        indexes = [models.Index(fields=["family_name", "given_name"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name or self.given_name} {self.family_name}"

    @property
    def reference(self) -> str:
        return f"TP-{self.pk:06d}"

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class HouseholdChild(models.Model):
    """A child in the participant's household: recorded so that safeguarding can act (R19)."""

    data_category = Category.HOUSEHOLD

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="household_children"
    )
    first_name = models.CharField(max_length=100)
    year_of_birth = models.PositiveSmallIntegerField()
    lives_with_participant = models.BooleanField(default=True)
    relationship = models.CharField(max_length=100, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["year_of_birth", "id"]

    def __str__(self) -> str:
        return f"{self.first_name} ({self.year_of_birth})"


class IdentifierKind(models.TextChoices):
    """External identifiers: each in its data category (`IDENTIFIER_CATEGORY`, docs/sharing.md)."""

    POLICE = "police", "Police National Computer number or police reference"
    COURT_CASE = "court_case", "Court case number"
    PRISON = "prison", "Prison number"
    NHS = "nhs", "NHS number"
    CHI = "chi", "CHI number (Scotland)"
    HEALTH_OTHER = "health_other", "Other national health number"


# Justice identifiers are legal facts; a health number is the key to the treatment record, so it
# is clinical: court roles never read it (R18).
IDENTIFIER_CATEGORY = {
    IdentifierKind.POLICE: Category.LEGAL,
    IdentifierKind.COURT_CASE: Category.LEGAL,
    IdentifierKind.PRISON: Category.LEGAL,
    IdentifierKind.NHS: Category.CLINICAL,
    IdentifierKind.CHI: Category.CLINICAL,
    IdentifierKind.HEALTH_OTHER: Category.CLINICAL,
}


class ContactKind(models.TextChoices):
    PHONE = "phone", "Phone number"
    EMAIL = "email", "Email address"
    ADDRESS = "address", "Postal address"


class ExternalIdentifier(models.Model):
    """A number another service knows the participant by. `normalised` is the value as compared
    (no spaces, hyphens or case) by the duplicate check (people/duplicates.py)."""

    # The category of a row is that of its kind (`IDENTIFIER_CATEGORY`); LEGAL is the strictest
    # for the justice kinds, and each read decides per kind.
    data_category = Category.LEGAL

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="identifiers"
    )
    kind = models.CharField(max_length=20, choices=IdentifierKind.choices)
    value = models.CharField(max_length=40)
    normalised = models.CharField(max_length=40, db_index=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    # Withdrawn when recorded in error (people/identifiers.py): kept, no longer current.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            # Once among the current ones: a withdrawn number can be recorded again.
            models.UniqueConstraint(
                fields=["participant", "kind", "normalised"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="people_identifier_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"

    @property
    def category(self) -> str:
        return IDENTIFIER_CATEGORY[IdentifierKind(self.kind)]


class ContactDetail(models.Model):
    """How to reach the participant: identity, like their name (docs/sharing.md)."""

    data_category = Category.IDENTITY

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="contact_details"
    )
    kind = models.CharField(max_length=20, choices=ContactKind.choices)
    value = models.CharField(max_length=400)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    # Withdrawn when recorded in error (people/identifiers.py): kept, no longer current.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"


class ParticipantMerge(models.Model):
    """Two records of one person made one (people/merge.py): `merged` into `kept`. `moved` names
    every row that moved, {"app.Model": [ids]}, so that an unmerge moves back exactly those."""

    data_category = Category.IDENTITY

    kept = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="merges_kept")
    merged = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="merges_into")
    moved = models.JSONField(default=dict)
    merged_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    merged_at = models.DateTimeField(default=timezone.now)
    unmerged_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unmerged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"participant {self.merged_id} merged into {self.kept_id}"
