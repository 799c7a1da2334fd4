"""Data categories: every piece of recorded information belongs to exactly one.

Views, API, exports and reports ask turnpoint.sharing.rules whether a user may read or write a
category of a participant (docs/architecture.md, "The confidentiality core").
"""

from django.db import models


class Category(models.TextChoices):
    IDENTITY = "identity", "Identity and demographics"
    LEGAL = "legal", "Legal: charges, offences, orders"
    PATHWAY = "pathway", "Pathway: referral stage, decisions, programme phase"
    ATTENDANCE = "attendance", "Attendance and contacts"
    DRUG_TESTS = "drug_tests", "Drug test results"
    CLINICAL = "clinical", "Clinical treatment"
    # The treatment provider's views on how treatment and testing are going: the narrow summary
    # a DRR review report must carry (Sentencing Act 2020 Sch. 9 para 21(2)(e)(ii)), kept apart
    # from the clinical record it summarises.
    TREATMENT_PROGRESS = "treatment_progress", "Treatment provider's views on treatment progress"
    COUNSELLING_NOTES = "counselling_notes", "Substance-use counselling notes"
    MENTAL_HEALTH = "mental_health", "Mental health"
    RISK_NEED = "risk_need", "Risk and need assessments"
    STRENGTHS = "strengths", "Strengths and recovery capital"
    PLAN = "plan", "Recovery plan"
    SAFEGUARDING = "safeguarding", "Safeguarding"
    HOUSEHOLD = "household", "Household and children"
    OUTCOMES = "outcomes", "Outcomes"


# Reads of these are always audited (shared/reference/security.md, "sensitive categories").
SENSITIVE = frozenset(
    {
        Category.LEGAL,
        Category.DRUG_TESTS,
        Category.CLINICAL,
        Category.TREATMENT_PROGRESS,
        Category.COUNSELLING_NOTES,
        Category.MENTAL_HEALTH,
        Category.SAFEGUARDING,
        Category.HOUSEHOLD,
    }
)

# Information that belongs to treatment and stays there unless consent or law opens it (R18).
TREATMENT = frozenset({Category.CLINICAL, Category.COUNSELLING_NOTES, Category.MENTAL_HEALTH})


class Purpose(models.TextChoices):
    CASE_MANAGEMENT = "case_management", "Case management"
    TREATMENT = "treatment", "Treatment"
    SUPERVISION = "supervision", "Supervision"
    COURT_REVIEW = "court_review", "Court review"
    LEGAL_REPRESENTATION = "legal_representation", "Legal representation"
    SAFEGUARDING = "safeguarding", "Safeguarding"
    EVALUATION = "evaluation", "Evaluation"
    ADMINISTRATION = "administration", "Administration"
