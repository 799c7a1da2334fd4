"""Referrals, their transitions and episodes: the pathway from referral to follow-up.

Transitions are rows; the timeline, the funnel and the timeliness figures are computed from them,
never from hand-kept counters (R3, R4, STYLE.md rule 4). `Referral.state` is the state the last
transition left the referral in, kept so caseload queries need no window function.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from turnpoint.sharing.categories import Category


class Source(models.TextChoices):
    POLICE = "police", "Police"
    PROSECUTOR = "prosecutor", "Prosecutor"
    COURT = "court", "Court"
    PRISON = "prison", "Prison"
    PROBATION = "probation", "Probation / justice social work"
    SELF = "self", "Self-referral"


class OffenceCategory(models.TextChoices):
    ACQUISITIVE = "acquisitive", "Acquisitive (theft, shoplifting, burglary)"
    DRUG_POSSESSION = "drug_possession", "Drug possession"
    DRUG_SUPPLY = "drug_supply", "Drug supply"
    VIOLENCE = "violence", "Violence against the person"
    PUBLIC_ORDER = "public_order", "Public order"
    FRAUD = "fraud", "Fraud and forgery"
    MOTORING = "motoring", "Motoring"
    OTHER = "other", "Other"


class DrugRelatedType(models.TextChoices):
    # Goldstein's tripartite framework plus drug-law offences (seed 000).
    PSYCHOPHARMACOLOGICAL = "psychopharmacological", "Psychopharmacological"
    ECONOMIC_COMPULSIVE = "economic_compulsive", "Economic-compulsive"
    SYSTEMIC = "systemic", "Systemic"
    DRUG_LAW = "drug_law", "Drug-law offence"
    UNKNOWN = "unknown", "Not yet known"


class Disposal(models.TextChoices):
    PROGRAMME = "programme", "This programme"
    OTHER_COMMUNITY = "other_community", "Another community order or diversion"
    CUSTODY = "custody", "Custody"
    FINE_OR_DISCHARGE = "fine_or_discharge", "Fine or discharge"
    NO_FURTHER_ACTION = "no_further_action", "No further action"
    OTHER = "other", "Other"


class State(models.TextChoices):
    REFERRAL = "referral", "Referred"
    SCREENING = "screening", "Screening"
    ELIGIBILITY = "eligibility", "Eligibility"
    ASSESSMENT = "assessment", "Assessment"
    RECOMMENDATION = "recommendation", "Recommendation"
    DECISION = "decision", "Decision"
    EPISODE = "episode", "On programme"
    EXIT = "exit", "Exited"
    FOLLOW_UP = "follow_up", "Follow-up"
    CLOSED = "closed", "Closed"
    LEFT = "left", "Left the pathway"


class Referral(models.Model):
    data_category = Category.LEGAL

    # Indexed below with the date, id and programme, not alone: (participant, referral_date, id,
    # programme) serves every lookup by participant, is the whole of the reach check
    # (`reach.participants_visible_to` asks, for each participant, whether one of their
    # referrals is to a programme of the user's team) and hands a participant's latest referral
    # among some programmes over without a sort.
    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="referrals", db_index=False
    )
    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="referrals"
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    offence_category = models.CharField(max_length=20, choices=OffenceCategory.choices)
    drug_related_type = models.CharField(max_length=30, choices=DrugRelatedType.choices)
    offence_date = models.DateField()
    referral_date = models.DateField()
    offence_summary = models.TextField(blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.REFERRAL)
    recommended_disposal = models.CharField(max_length=30, choices=Disposal.choices, blank=True)
    imposed_disposal = models.CharField(max_length=30, choices=Disposal.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    synthetic = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-referral_date", "-id"]
        indexes = [
            models.Index(fields=["programme", "state"]),
            models.Index(
                fields=["participant", "referral_date", "id", "programme"],
                name="journeys_referral_latest",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk} ({self.get_state_display()})"


class Transition(models.Model):
    """One recorded step on the pathway: who, when, why (R3). Never changed: a step recorded in
    error is corrected or withdrawn by a row of its own that `corrects` it (effective.py)."""

    data_category = Category.PATHWAY

    class Kind(models.TextChoices):
        CREATED = "created", "Referral received"
        ADVANCE = "advance", "Moved on"
        LEFT = "left", "Left the pathway"
        PHASE = "phase", "Changed phase"
        # Corrections leave a trace (docs/journeys.md, "Correcting a step"): the step stays, a
        # row of one of these kinds points at it through `corrects`.
        CORRECTION = "correction", "Corrected a step"
        WITHDRAWAL = "withdrawal", "Withdrew a step"

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="transitions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_state = models.CharField(max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=State.choices)
    occurred_on = models.DateField(help_text="When it happened (may be earlier than recorded).")
    recorded_at = models.DateTimeField(default=timezone.now)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    reason_code = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    # Step-specific facts: disposal, phase number, exit type, eligibility results.
    data = models.JSONField(default=dict, blank=True)
    # A correction or withdrawal names the step it corrects; a correction's own date, reason
    # code, reason and data are the corrected step's, and `correction_reason` says why.
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    correction_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["referral", "occurred_on", "id"]
        indexes = [models.Index(fields=["referral", "occurred_on"])]

    def __str__(self) -> str:
        return f"{self.from_state or '-'} → {self.to_state} on {self.occurred_on}"


class Episode(models.Model):
    """A participant's time in one programme: phases, key worker and case manager, exit."""

    data_category = Category.PATHWAY

    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, related_name="episode")
    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="episodes"
    )
    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="episodes"
    )
    started_on = models.DateField()
    phase_number = models.PositiveSmallIntegerField(default=1)
    # Assigned by a coordinator of the programme's team (journeys/assignment.py).
    key_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_on = models.DateField(null=True, blank=True)
    exit_type = models.CharField(max_length=40, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-started_on", "-id"]

    def __str__(self) -> str:
        return f"Episode {self.pk} in {self.programme_id}"

    @property
    def is_active(self) -> bool:
        return self.ended_on is None


class ReferralFieldChange(models.Model):
    """An earlier value of a referral's offence facts: kept when the facts are edited after
    entry, read only through `sharing.reads.field_history_read` (legal facts)."""

    data_category = Category.LEGAL

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="field_changes")
    field = models.CharField(max_length=40)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["referral", "-changed_at", "-id"]

    LABELS = {
        "offence_date": "Offence date",
        "offence_category": "Offence category",
        "drug_related_type": "How the offence relates to drug use",
        "offence_summary": "Summary",
    }

    def __str__(self) -> str:
        return f"{self.field} of referral {self.referral_id} changed {self.changed_at:%Y-%m-%d}"

    @property
    def label(self) -> str:
        return self.LABELS.get(self.field, self.field)

    def _shown(self, value: str) -> str:
        choices = {"offence_category": OffenceCategory, "drug_related_type": DrugRelatedType}
        kind = choices.get(self.field)
        return kind(value).label if kind is not None and value in kind.values else value

    @property
    def old_shown(self) -> str:
        return self._shown(self.old_value)

    @property
    def new_shown(self) -> str:
        return self._shown(self.new_value)
