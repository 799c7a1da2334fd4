"""Programme definitions. Programmes are data (loaded from YAML by `turnpoint programmes load`),
never code: every jurisdiction's pathway is expressible without a code change (R1, R2)."""

from django.db import models


class Stage(models.TextChoices):
    """Where in the justice system the programme sits (R1: diversion exists at every stage)."""

    POLICE = "police", "Police (before charge)"
    PRE_TRIAL = "pre-trial", "Pre-trial"
    SENTENCING = "sentencing", "Sentencing"
    POST_SENTENCE = "post-sentence", "Post-sentence"


class ReviewMode(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled by rule"
    ON_REQUEST = "on_request", "Only when the court asks"
    NONE = "none", "No court reviews"


class ConsentRevocation(models.TextChoices):
    """When a consent to share may be revoked (security.md SEC-09, §5.2)."""

    ANY_TIME = "any_time", "At any time (UK GDPR and GDPR Art. 7(3))"
    AFTER_STATED_EVENT = "after_stated_event", "Only after a stated date or event (42 CFR 2.35(c))"


class Programme(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    jurisdiction = models.CharField(max_length=100)
    stage = models.CharField(max_length=20, choices=Stage.choices)
    legal_basis = models.TextField()
    description = models.TextField(blank=True)
    max_duration_weeks = models.PositiveIntegerField()
    # Policy switches that differ between jurisdictions (R2, R12).
    court_receives_test_results = models.BooleanField()
    non_completion_penalised = models.BooleanField()
    review_mode = models.CharField(max_length=20, choices=ReviewMode.choices)
    # The whole validated definition, for rules that need no column of their own
    # (eligibility rules, exit types, disposals, sources).
    definition = models.JSONField()
    definition_sha256 = models.CharField(max_length=64)
    revision = models.PositiveIntegerField(default=1)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def exit_types(self) -> list[dict]:
        return self.definition["exit_types"]

    @property
    def eligibility_rules(self) -> list[dict]:
        return self.definition.get("eligibility", [])

    @property
    def override_roles(self) -> tuple[str, ...]:
        """Roles that may record a step breaking one of the programme's rules, with a reason
        (the file's `overrides.roles`; the programme coordinator when it says nothing)."""
        return tuple(self.definition.get("overrides", {}).get("roles") or ("coordinator",))

    def exit_type(self, code: str) -> dict | None:
        return next((e for e in self.exit_types if e["code"] == code), None)

    # 42 CFR 2.35 (security.md SEC-09): read from the definition; no columns of their own.
    @property
    def criminal_justice_referral(self) -> bool:
        return bool(self.definition.get("policy", {}).get("criminal_justice_referral"))

    @property
    def consent_revocation(self) -> str:
        policy = self.definition.get("policy", {})
        return policy.get("consent_revocation") or ConsentRevocation.ANY_TIME

    @property
    def monitoring_roles(self) -> tuple[str, ...]:
        """Roles with a duty to monitor the participant's progress (42 CFR 2.35(a))."""
        if not self.criminal_justice_referral:
            return ()
        return tuple(self.definition.get("policy", {}).get("monitoring_roles") or ())

    @property
    def statutory_disclosures(self) -> list[dict]:
        """The reports whose content the law fixes: {code, name, statute, categories,
        recipients, purpose} (security.md SEC-15; docs/programmes.md)."""
        return self.definition.get("statutory_disclosures", [])

    def statutory_disclosure(self, code: str) -> dict | None:
        return next((d for d in self.statutory_disclosures if d["code"] == code), None)


class Phase(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="phases")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    min_weeks = models.PositiveIntegerField()
    contacts_per_week = models.DecimalField(max_digits=4, decimal_places=2)
    tests_per_week = models.DecimalField(max_digits=4, decimal_places=2)
    reviews_per_month = models.DecimalField(max_digits=4, decimal_places=2)

    class Meta:
        ordering = ["programme", "number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="phase_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.programme.slug} phase {self.number}: {self.name}"
