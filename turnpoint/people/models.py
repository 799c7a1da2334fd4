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
