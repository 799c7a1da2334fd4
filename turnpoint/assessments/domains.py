"""The life domains a participant's needs, goals and services are described in, and the risk
levels an assessment of risk and need gives. Shared by assessments (the needs checklist, the
profile), plans (goals per domain, matching) and the pages that show them."""

from django.db import models


class LifeDomain(models.TextChoices):
    SUBSTANCE_USE = "substance_use", "Substance use"
    PHYSICAL_HEALTH = "physical_health", "Physical health"
    MENTAL_HEALTH = "mental_health", "Mental health"
    HOUSING = "housing", "Housing"
    EMPLOYMENT_EDUCATION = "employment_education", "Employment and education"
    FINANCES = "finances", "Finances"
    FAMILY_CHILDREN = "family_children", "Family and children"
    SOCIAL_NETWORK = "social_network", "Social network"
    LEGAL = "legal", "Legal"
    MEANING_PURPOSE = "meaning_purpose", "Meaning and purpose"


class RiskLevel(models.TextChoices):
    """The level a risk-need tool gives (LS/CMI, LSI-R, ORAS, OASys and the like use these four
    or a subset); matching proposes intensity from it."""

    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    VERY_HIGH = "very_high", "Very high"
