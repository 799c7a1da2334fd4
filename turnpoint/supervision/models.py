"""What supervision records: appointments with their attendance, drug and alcohol tests with
their results, and custody episodes with the release plan that prepares each participant's
return to the community (docs/supervision.md; the rules about custody live in
`supervision/custody.py`).

An `Appointment` is a treatment session, a supervision meeting, a review hearing or a drug test
the participant is asked to attend, with its outcome and the person they saw. It is attendance
information (`Category.ATTENDANCE`): when and where, with whom, and whether the participant came.
It carries no clinical note: what was said in a treatment session is the clinical record, kept
by the treatment provider, never in an attendance row.

A `DrugTest` is one specimen collected (or asked for) and its `DrugTestResult`s, one per
substance of the panel. A forensic test is `Category.DRUG_TESTS`: only these reach the court
(where the programme's switch or a consent says so) or drive a response. A clinical test, taken
for treatment, is `Category.CLINICAL` and stays with the treatment provider.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from turnpoint.sharing.categories import Category


class AppointmentKind(models.TextChoices):
    TREATMENT_SESSION = "treatment_session", "Treatment session"
    SUPERVISION_MEETING = "supervision_meeting", "Supervision meeting"
    REVIEW_HEARING = "review_hearing", "Review hearing"
    DRUG_TEST = "drug_test", "Drug or alcohol test"


class Outcome(models.TextChoices):
    ATTENDED = "attended", "Attended"
    MISSED = "missed", "Missed"
    EXCUSED = "excused", "Excused"
    RESCHEDULED = "rescheduled", "Rescheduled"


class Appointment(models.Model):
    data_category = Category.ATTENDANCE

    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="appointments"
    )
    # The referral (and so the programme and its episode) the appointment belongs to.
    referral = models.ForeignKey(
        "journeys.Referral", on_delete=models.PROTECT, related_name="appointments"
    )
    kind = models.CharField(max_length=30, choices=AppointmentKind.choices)
    starts_at = models.DateTimeField()
    place = models.CharField(max_length=200, blank=True)
    # Whom the participant sees: a member of staff, or a named worker without an account.
    with_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    with_name = models.CharField(max_length=200, blank=True)
    # Drawn by the random test schedule (supervision/schedule.py) rather than booked by hand.
    drawn = models.BooleanField(default=False)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    outcome_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    # An attendance note (why it was missed or excused); never clinical content.
    note = models.TextField(blank=True)
    rescheduled_to = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rescheduled_from"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["participant", "starts_at"]),
            models.Index(fields=["referral", "starts_at"]),
            models.Index(fields=["with_user", "starts_at"]),
            models.Index(fields=["kind", "starts_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def seen(self) -> str:
        """Whom the participant sees, in words."""
        if self.with_user_id:
            return self.with_user.get_full_name() or self.with_user.username
        return self.with_name


class Specimen(models.TextChoices):
    URINE = "urine", "Urine"
    ORAL_FLUID = "oral_fluid", "Oral fluid"
    BREATH = "breath", "Breath"
    SWEAT_PATCH = "sweat_patch", "Sweat patch"
    BLOOD = "blood", "Blood"
    HAIR = "hair", "Hair"


class TestPurpose(models.TextChoices):
    FORENSIC = "forensic", "Forensic (for supervision and the court)"
    CLINICAL = "clinical", "Clinical (for treatment only)"


# The category of a test's information by its purpose: only forensic tests reach the court or
# drive a response; a clinical test stays with the treatment provider.
PURPOSE_CATEGORY = {
    TestPurpose.FORENSIC: Category.DRUG_TESTS,
    TestPurpose.CLINICAL: Category.CLINICAL,
}


class DrugTest(models.Model):
    # The class default; each test's own is `category`, from its purpose.
    data_category = Category.DRUG_TESTS

    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="drug_tests"
    )
    referral = models.ForeignKey(
        "journeys.Referral", on_delete=models.PROTECT, related_name="drug_tests"
    )
    # The planned test it answers (a drawn day of the random schedule or a booked test), if any.
    appointment = models.OneToOneField(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="drug_test"
    )
    random = models.BooleanField(default=False)  # drawn by the random schedule
    collected_at = models.DateTimeField()
    specimen = models.CharField(max_length=20, choices=Specimen.choices)
    purpose = models.CharField(max_length=20, choices=TestPurpose.choices)
    category = models.CharField(max_length=30, choices=Category.choices)
    witnessed = models.BooleanField(default=False)
    results_received_at = models.DateTimeField(null=True, blank=True)
    # The reading of the result in the light of the person's wider engagement (R14), by the
    # probation officer or key worker: it travels with the result wherever it is shown.
    interpretation = models.TextField(blank=True)
    interpreted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    interpreted_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")  # fmt: skip
    recorded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-collected_at", "-id"]
        indexes = [models.Index(fields=["participant", "collected_at"])]

    def __str__(self) -> str:
        return f"{self.get_specimen_display()} test on {self.collected_at:%Y-%m-%d}"


class Result(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"
    DILUTE = "dilute", "Dilute"
    INVALID = "invalid", "Invalid"
    NOT_PROVIDED = "not_provided", "Not provided"


class DrugTestResult(models.Model):
    data_category = Category.DRUG_TESTS

    test = models.ForeignKey(DrugTest, on_delete=models.PROTECT, related_name="results")
    substance = models.CharField(max_length=40)  # a code of supervision.panel.PANEL
    result = models.CharField(max_length=20, choices=Result.choices)
    confirmed = models.BooleanField(default=False)
    confirmation_method = models.CharField(max_length=100, blank=True)
    level = models.CharField(max_length=40, blank=True)
    cut_off = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["test", "substance"], name="supervision_result_once")
        ]

    def __str__(self) -> str:
        return f"{self.substance}: {self.result}"


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


# Review hearings (docs/supervision.md, "Reviews") ------------------------------------------------


class HowScheduled(models.TextChoices):
    RULE = "rule", "By the programme's rule"
    REQUEST = "request", "At the court's request"


class HearingStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    ADJOURNED = "adjourned", "Adjourned"
    CANCELLED = "cancelled", "Cancelled"


class DecisionOutcome(models.TextChoices):
    CONTINUE = "continue", "Continue on the programme as now"
    ADVANCE_PHASE = "advance_phase", "Advance to the next phase proposed"
    INCENTIVE = "incentive", "Incentive"
    SERVICE_ADJUSTMENT = "service_adjustment", "Service adjustment"
    SANCTION = "sanction", "Sanction"
    OTHER = "other", "Other"


class ReviewHearing(models.Model):
    """One participant's review before a judge on a day. A docket is the set of hearings on one
    date before one judge. The hearing, its minutes and the court's decision are pathway
    information: where the participant is on the programme and what the court decided."""

    data_category = Category.PATHWAY

    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="review_hearings"
    )
    referral = models.ForeignKey(
        "journeys.Referral", on_delete=models.PROTECT, related_name="review_hearings"
    )
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="review_hearings")  # fmt: skip
    held_on = models.DateField()
    place = models.CharField(max_length=200)
    how_scheduled = models.CharField(max_length=20, choices=HowScheduled.choices)
    status = models.CharField(
        max_length=20, choices=HearingStatus.choices, default=HearingStatus.SCHEDULED
    )
    # Time the participant spent before the judge, in minutes (standards: about 3 on average).
    minutes_with_judge = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    decision = models.TextField(blank=True)
    outcome = models.CharField(max_length=30, choices=DecisionOutcome.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["held_on", "participant__family_name", "id"]
        indexes = [models.Index(fields=["judge", "held_on"])]
        constraints = [
            models.UniqueConstraint(fields=["referral", "held_on"], name="review_once_a_day")
        ]

    def __str__(self) -> str:
        return f"Review hearing on {self.held_on:%Y-%m-%d}"


class ProgressReport(models.Model):
    """What the court was given for one hearing, as it was when generated: the sections as
    JSON and the categories they carry (each decided for the judge when it was generated)."""

    data_category = Category.PATHWAY

    hearing = models.ForeignKey(ReviewHearing, on_delete=models.PROTECT,
                                related_name="progress_reports")  # fmt: skip
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")  # fmt: skip
    generated_at = models.DateTimeField(default=timezone.now)
    content = models.JSONField()
    categories = models.JSONField(default=list)

    class Meta:
        ordering = ["-generated_at", "-id"]

    def __str__(self) -> str:
        return f"Progress report {self.pk} for hearing {self.hearing_id}"


class ResponseKind(models.TextChoices):
    INCENTIVE = "incentive", "Incentive"
    SERVICE_ADJUSTMENT = "service_adjustment", "Service adjustment"
    SANCTION = "sanction", "Sanction"


class Response(models.Model):
    """A response the team gave to a behaviour, chosen from the programme's response guide
    (docs/supervision.md, "Recording a response"). Its category is the behaviour's: a response
    to substance use or to a test (a positive test, a specimen not provided, negative tests,
    substance use the participant disclosed) tells of test results and substance use, so it is
    `drug_tests` and reaches whom test results reach; any other is `pathway`."""

    # The class default; each response's own is `category`, from its behaviour.
    data_category = Category.PATHWAY

    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="responses"
    )
    referral = models.ForeignKey(
        "journeys.Referral", on_delete=models.PROTECT, related_name="responses"
    )
    episode = models.ForeignKey(
        "journeys.Episode", on_delete=models.PROTECT, related_name="responses"
    )
    behaviour = models.CharField(max_length=40)  # a code of programmes.responses.BEHAVIOURS
    behaviour_label = models.CharField(max_length=200)
    behaviour_on = models.DateField()
    # The record that shows the behaviour, when there is one.
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    drug_test = models.ForeignKey(
        DrugTest, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    phase = models.CharField(max_length=100)  # the phase's name when the behaviour happened
    days_in_programme = models.PositiveIntegerField()
    goal = models.CharField(max_length=10)  # proximal or distal, from the guide
    early_substance_use = models.BooleanField(default=False)
    kind = models.CharField(max_length=20, choices=ResponseKind.choices)
    grade = models.CharField(max_length=10)  # low, moderate or high
    option = models.CharField(max_length=300)  # the option's text in the guide
    option_position = (
        models.PositiveSmallIntegerField()
    )  # its place in the proposed order (0 first)
    responded_on = models.DateField()
    days_between = models.PositiveIntegerField()  # from the behaviour to the response
    category = models.CharField(max_length=30, choices=Category.choices)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")  # fmt: skip
    recorded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-responded_on", "-id"]
        indexes = [
            models.Index(fields=["participant", "responded_on"]),
            models.Index(fields=["referral", "kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.behaviour} on {self.responded_on}"


class ProposalStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class PhaseProposal(models.Model):
    """A proposal, made by the daily evaluation, that an episode move to its next phase because
    the phase's advancement criteria are met (docs/supervision.md, "Phases"). The team accepts
    (the episode moves on, through the journey service) or declines it with a reason. The
    criteria snapshot lists each criterion with its category, so a reader who may not read test
    results does not see the test criterion."""

    data_category = Category.PATHWAY

    episode = models.ForeignKey(
        "journeys.Episode", on_delete=models.PROTECT, related_name="phase_proposals"
    )
    referral = models.ForeignKey(
        "journeys.Referral", on_delete=models.PROTECT, related_name="phase_proposals"
    )
    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="phase_proposals"
    )
    phase_number = models.PositiveSmallIntegerField()  # the phase the episode is in
    to_phase_number = models.PositiveSmallIntegerField()
    proposed_on = models.DateField()
    # [{"criterion", "met", "text", "category"}, ...] as evaluated that day.
    criteria = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-proposed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "proposed_on"], name="supervision_phase_proposal_once_a_day"
            )
        ]
        indexes = [models.Index(fields=["status", "episode"])]

    def __str__(self) -> str:
        return f"Phase {self.to_phase_number} proposed on {self.proposed_on}"


class FidelitySnapshot(models.Model):
    """A programme's fidelity to its provisions on one day, stored by the daily task
    (docs/supervision.md, "Fidelity"): the programme's and each caseload's findings as JSON.
    Counts only: no participant is named in it."""

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="fidelity_snapshots"
    )
    day = models.DateField()
    results = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day", "programme_id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "day"], name="fidelity_snapshot_one_a_day")
        ]

    def __str__(self) -> str:
        return f"Fidelity of {self.programme_id} on {self.day}"
