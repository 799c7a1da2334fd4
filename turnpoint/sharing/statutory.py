"""Statutory reports: documents whose content the law fixes (security.md SEC-15, section 5.1).

A programme definition declares each one under `statutory_disclosures` (docs/programmes.md): the
English DRR review report, for example, must carry the test results and the treatment provider's
views on the treatment and testing (Sentencing Act 2020 Sch. 9 para 21(2)(e)). The responsible
officer prepares it for a participant in a running episode; it goes to the members of the programme
team who hold a recipient role (the judges of the court), and it contains:

- every declared category, on the basis of the statute;
- any other category only where an active consent covers it for every recipient, and the author
  may read it too (Caldicott 3, 6);
- nothing else: role defaults and programme switches do not add to a statutory report.

Attendance and drug test results come from the supervision records (appointments and their
outcomes, forensic tests with their results and the interpretation that travels with each) since
the episode started, through the same section builders as the court's progress report
(`progress_reports.attendance_lines`, `drug_test_lines`). The treatment provider's views are
recorded in Turnpoint only as a treatment provider's readings of forensic test results, so the
report carries those and says that nothing else of them is recorded. Categories Turnpoint does not
record say so in the report instead of inventing content.

Risk and need, strengths, mental health and clinical information are recorded as assessments
(docs/assessments.md): where the report carries one of them, it lists the participant's finished
administrations and external assessments of it, and nothing else of that category. Preparing the
report writes one `export` audit entry and, for each recipient agency, one disclosure per legal
basis, in one transaction.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from turnpoint.accounts.models import Role, User
from turnpoint.assessments import instruments
from turnpoint.assessments.models import Administration, ExternalAssessment, Status
from turnpoint.errors import InvalidInput, Problem
from turnpoint.journeys.effective import effective_steps
from turnpoint.journeys.models import Episode
from turnpoint.plans.models import RecoveryPlan
from turnpoint.supervision.models import DrugTest, TestPurpose

from .audit import audit_write
from .categories import Category
from .documents import Section, notice_for, outbound_pdf
from .models import LegalBasis
from .progress_reports import attendance_lines, drug_test_lines
from .reach import active_consents
from .record import disclosure_write
from .rules import (
    REPORT_AUTHORS,
    Openings,
    PolicyDenied,
    decide,
    default_purpose,
    statutory_report_reference,
)

C = Category
# The categories Turnpoint records today (as turnpoint.sharing.exports.RECORDED, and the recovery
# plan, which a report carries when the participant's consent covers it for the court); every
# other category in a report appears as "not recorded in Turnpoint".
RECORDED = (C.IDENTITY, C.LEGAL, C.PATHWAY, C.PLAN, C.ATTENDANCE, C.DRUG_TESTS)
# The treatment provider's views: recorded only as their readings of forensic test results.
PARTLY_RECORDED = (C.TREATMENT_PROGRESS,)
# The categories Turnpoint records only as assessments (instruments given, external assessments).
ASSESSED = (C.RISK_NEED, C.STRENGTHS, C.MENTAL_HEALTH, C.CLINICAL)


def assessment_lines(participant, category: str) -> list[str]:
    """One line per finished administration and external assessment of `category`, oldest
    first: what a report that carries the category says of it."""
    titles = {i.id: i.title for i in instruments.catalogue(include_off=True).values()}
    dated: list[tuple] = []
    for a in Administration.objects.filter(
        participant=participant, category=category, status=Status.COMPLETE
    ).order_by("administered_on", "id"):
        scales = (a.scores or {}).get("scales") or []
        shown = "; ".join(
            f"{s['name']} {s['score']:g}" + (f" ({s['band']})" if s.get("band") else "")
            for s in scales if s.get("score") is not None
        ) or "no scores"  # fmt: skip
        title = titles.get(a.instrument_id, a.instrument_id)
        dated.append((a.administered_on, a.pk, f"{title}: {shown}"))
    for e in ExternalAssessment.objects.filter(participant=participant, category=category):
        parts = [f"level {e.get_level_display().lower()}" if e.level else "",
                 f"total {e.total:g}" if e.total is not None else ""]  # fmt: skip
        dated.append((e.assessed_on, e.pk, f"{e.tool}: {', '.join(filter(None, parts))}"))
    return [f"{day:%d %B %Y} - {text}" for day, _, text in sorted(dated)]


@dataclass
class ReportPlan:
    """What a statutory report for one referral will contain and where it will go."""

    referral: Any  # a `journeys.Referral`
    episode: Any  # its `journeys.Episode`, or None
    declared: dict
    recipients: list = field(default_factory=list)  # users holding a recipient role
    statutory: list = field(default_factory=list)  # declared categories, in Category order
    consented: dict = field(default_factory=dict)  # category -> consent ids covering it
    problems: list = field(default_factory=list)

    @property
    def programme(self):
        return self.referral.programme

    @property
    def categories(self) -> list[str]:
        return [c for c in C if c in self.statutory or c in self.consented]

    @property
    def agencies(self) -> list[str]:
        return sorted({str(u.agency) for u in self.recipients if u.agency_id})


def statutory_reports_for(user, referral, *, episode=None) -> list[dict]:
    """The declared reports of the referral's programme this user may prepare now."""
    programme = referral.programme
    if not programme.statutory_disclosures or user.role not in REPORT_AUTHORS:
        return []
    if episode is None or not episode.is_active:
        return []
    purpose = default_purpose(user)
    return [
        d
        for d in programme.statutory_disclosures
        if all(decide(user, c, programme=programme, purpose=purpose) for c in d["categories"])
    ]


def statutory_report_plan(user, referral, code: str) -> ReportPlan:
    """Check the user may prepare report `code` for `referral` and work out its content.

    Reach the referral through the policy first (same 404 for missing and forbidden). Raises
    LookupError when the programme declares no such report, PolicyDenied when the user may not
    prepare it; problems that stop it being prepared now (no running episode, no recipient in
    the team) are in `plan.problems`."""
    programme = referral.programme
    declared = programme.statutory_disclosure(code)
    if declared is None:
        raise LookupError(f"{programme.name} declares no statutory report '{code}'")
    name = declared["name"]
    if user.role not in REPORT_AUTHORS:
        authors = " or ".join(Role(r).label.lower() for r in sorted(REPORT_AUTHORS))
        raise PolicyDenied(f"the {name} is prepared by the {authors}, not by the "
                           f"{(user.get_role_display() or 'unassigned').lower()} role")  # fmt: skip
    purpose = default_purpose(user)
    for category in declared["categories"]:
        allowed = decide(user, category, programme=programme, purpose=purpose)
        if not allowed:
            raise PolicyDenied(f"you cannot prepare the {name}: {allowed.reason}")
    episode = _episode_of(referral)
    plan = ReportPlan(referral=referral, episode=episode, declared=declared)
    if episode is None or not episode.is_active:
        why = f"the {name} is for a participant on the programme now, and this referral has no "
        plan.problems.append(Problem("episode", why + "running episode"))
    plan.recipients = list(
        User.objects.filter(programmes=programme, role__in=declared["recipients"], is_active=True)
        .select_related("agency")
        .order_by("pk")
    )
    if not plan.recipients:
        roles = " or ".join(Role(r).label.lower() for r in declared["recipients"])
        plan.problems.append(Problem("recipients", f"no {roles} is a member of the "
                                     f"{programme.name} team to receive the {name}"))  # fmt: skip
    participant = referral.participant
    openings = Openings(
        now=timezone.now(), consents=tuple(active_consents([participant.pk])[participant.pk])
    )
    plan.statutory = [c for c in C if c in declared["categories"]]
    for category in C:
        if category in declared["categories"] or not plan.recipients:
            continue
        if not decide(user, category, programme=programme, purpose=purpose,
                      openings=openings):  # fmt: skip
            continue  # the author may not read it, so it cannot be in what they send
        bases = [
            decide(
                r,
                category,
                programme=programme,
                purpose=declared["purpose"],
                openings=openings,
                report=code,
            )
            for r in plan.recipients
        ]
        if all(b.allowed and b.basis.startswith("consent:") for b in bases):
            plan.consented[category] = sorted({int(b.basis.partition(":")[2]) for b in bases})
    return plan


def statutory_report_generate(*, acting_user, referral, code: str) -> bytes:
    """Prepare the report as a PDF and record it: the audit entry and the disclosures to each
    recipient agency (statute, and consent for any consented extra) in one transaction."""
    plan = statutory_report_plan(acting_user, referral, code)
    if plan.problems:
        raise InvalidInput(plan.problems)
    declared, programme, participant = plan.declared, plan.programme, referral.participant
    statute_ref = statutory_report_reference(programme, code)
    consent_ref = "; ".join(
        f"consent {pk}" for pk in sorted({pk for ids in plan.consented.values() for pk in ids})
    )
    # One disclosure per recipient agency (per person for a recipient with no agency).
    destinations: dict[tuple, Any] = {}  # (kind, id) -> the first recipient user there
    for user in plan.recipients:
        key = ("agency", user.agency_id) if user.agency_id else ("user", user.pk)
        destinations.setdefault(key, user)
    with transaction.atomic():
        audit_write(
            acting_user=acting_user,
            action="export",
            categories=[str(c) for c in plan.categories],
            participant_ids=[participant.pk],
            obj=referral,
            purpose=default_purpose(acting_user),
            detail={
                "statutory_report": code,
                "programme": programme.slug,
                "statute": declared["statute"],
                "recipients": plan.agencies,
                "disclosure_purpose": declared["purpose"],
                "consented": {str(c): ids for c, ids in plan.consented.items()},
            },
        )
        for (kind, _), user in destinations.items():
            to = dict(recipient=None, recipient_agency=str(user.agency)) if kind == "agency" else {
                "recipient": user}  # fmt: skip
            for categories, basis, reference in (
                (plan.statutory, LegalBasis.STATUTE, statute_ref),
                (list(plan.consented), LegalBasis.CONSENT, consent_ref),
            ):
                if categories:
                    disclosure_write(
                        **to, participant_ids=[participant.pk], categories=categories,
                        purpose=declared["purpose"], legal_basis=basis,
                        basis_reference=reference, notice_attached=True, channel="export",
                    )  # fmt: skip
    return _render(plan, acting_user)


def report_scope(plan: ReportPlan) -> str:
    """What the report discloses and on what basis, and what it leaves out."""
    declared = plan.declared
    statutory = "; ".join(C(c).label for c in plan.statutory)
    parts = [
        f"This is the {declared['name']} that {declared['statute']} requires for the court. "
        f"It covers, because that law requires them: {statutory}."
    ]
    if plan.consented:
        ids = sorted({pk for v in plan.consented.values() for pk in v})
        parts.append(
            "It also contains, because the participant's consent "
            f"({', '.join(f'consent {pk}' for pk in ids)}) covers it for the court: "
            f"{'; '.join(C(c).label for c in plan.consented)}."
        )
    assessed = [C(c).label for c in plan.categories if c in ASSESSED]
    if assessed:
        parts.append(
            "Recorded in Turnpoint only as assessments, so the report lists those and nothing "
            f"else of them: {'; '.join(assessed)}."
        )
    partly = [C(c).label for c in plan.categories if c in PARTLY_RECORDED]
    if partly:
        parts.append(
            "Recorded in Turnpoint only as the treatment provider's readings of test results, "
            f"so the report carries those and nothing else of them: {'; '.join(partly)}."
        )
    unrecorded = [
        C(c).label
        for c in plan.categories
        if c not in RECORDED and c not in ASSESSED and c not in PARTLY_RECORDED
    ]
    if unrecorded:
        parts.append(
            "Not recorded in Turnpoint, so the report says so and carries none: "
            f"{'; '.join(unrecorded)}."
        )
    left_out = [C(c).label for c in C if c not in plan.categories]
    parts.append(f"Nothing else from the participant's record is included: {'; '.join(left_out)}.")
    return " ".join(parts)


def _render(plan: ReportPlan, author) -> bytes:
    referral, episode, declared = plan.referral, plan.episode, plan.declared
    participant, programme = referral.participant, plan.programme
    included = set(plan.categories)
    phases = {p.number: p.name for p in programme.phases.all()}
    by = author.get_full_name() or author.username
    sections = [
        Section(
            "About this report",
            [
                f"{declared['name']} under {declared['statute']}.",
                f"Programme: {programme.name}.",
                f"Prepared by {by} ({author.get_role_display()}"
                + (f", {author.agency}" if author.agency_id else "")
                + f") on {timezone.localdate():%d %B %Y}.",
                f"For: {', '.join(plan.agencies) or 'the court'}.",
            ],
        )
    ]
    if C.IDENTITY in included:
        sections.append(
            Section(
                C.IDENTITY.label,
                [
                    f"Name: {participant.given_name} {participant.family_name}",
                    f"Reference: {participant.reference}",
                    f"Date of birth: {participant.date_of_birth:%d %B %Y}",
                ],
            )
        )
    if C.PATHWAY in included:
        lines = [
            f"On the programme since {episode.started_on:%d %B %Y}, phase "
            f"{episode.phase_number}"
            + (f": {phases[episode.phase_number]}" if episode.phase_number in phases else ""),
        ]
        if referral.imposed_disposal:
            lines.append(f"Disposal imposed: {referral.get_imposed_disposal_display()}")
        for t in effective_steps(referral.transitions.all()):  # as corrected, none withdrawn
            why = f": {t.reason}" if t.reason else ""
            lines.append(f"{t.occurred_on:%d %B %Y} - {t.get_to_state_display()}{why}")
        sections.append(Section("Progress under the order", lines))
    if C.LEGAL in included:
        lines = [
            f"Offence: {referral.get_offence_category_display()} on "
            f"{referral.offence_date:%d %B %Y}",
            f"How drug use relates: {referral.get_drug_related_type_display()}",
        ]
        if referral.offence_summary:
            lines.append(f"Summary: {referral.offence_summary}")
        sections.append(Section(C.LEGAL.label, lines))
    if C.PLAN in included:
        sections.append(Section(C.PLAN.label, _plan_lines(referral)))
    since, today = (episode.started_on if episode else None), timezone.localdate()
    if C.ATTENDANCE in included:
        summary, lines = attendance_lines(referral, since, today)
        sections.append(Section(C.ATTENDANCE.label, [summary, *lines]))
    if C.DRUG_TESTS in included:
        summary, lines = drug_test_lines(referral, since, today)
        sections.append(Section(C.DRUG_TESTS.label, [summary, *lines]))
    if C.TREATMENT_PROGRESS in included:
        sections.append(Section(C.TREATMENT_PROGRESS.label, _provider_lines(referral, since)))
    for category in plan.categories:
        if category in ASSESSED:
            lines = assessment_lines(participant, category) or [
                "No assessments of this kind recorded in Turnpoint."
            ]
            sections.append(Section(f"{C(category).label}: assessments", lines))
        elif category not in RECORDED and category not in PARTLY_RECORDED:
            sections.append(
                Section(C(category).label, ["Not recorded in Turnpoint: this report carries none."])
            )
    return outbound_pdf(
        title=f"{declared['name']}: {participant.display_name} ({participant.reference})",
        sections=sections,
        notice=notice_for(programme),
        scope=report_scope(plan),
    )


def _plan_lines(referral) -> list[str]:
    """The current version of the referral's recovery plan: its goals in the participant's words
    and the services agreed (a DRR review's treatment progress, where consent allows)."""
    plan = RecoveryPlan.objects.filter(referral=referral).first()
    if plan is None:
        return ["No recovery plan is recorded for this order."]
    version = (
        plan.versions.filter(number=plan.current_version)
        .prefetch_related("goals", "services")
        .get()
    )
    agreed = "agreed with the participant" if version.agreed_with_participant else "not yet agreed"
    lines = [
        f"Version {version.number} of {version.agreed_on:%d %B %Y}, {agreed}; next review "
        f"{version.review_on:%d %B %Y}."
    ]
    for g in version.goals.all():
        kind = ", a harm-reduction goal" if g.harm_reduction else ""
        lines.append(f"Goal ({g.get_domain_display()}{kind}): \u201c{g.in_their_words}\u201d, "
                     f"{g.get_status_display().lower()}")  # fmt: skip
    for svc in version.services.all():
        ends = f" to {svc.ends_on:%d %B %Y}" if svc.ends_on else ""
        lines.append(f"Service: {svc.get_modality_display()}, {svc.provider}, "
                     f"{svc.intensity_hours_per_week} hours a week from "
                     f"{svc.starts_on:%d %B %Y}{ends}")  # fmt: skip
    return lines


def _provider_lines(referral, since) -> list[str]:
    """The treatment provider's views as Turnpoint records them: a clinician's reading of each
    forensic test result in the light of the participant's wider engagement (R14)."""
    rows = DrugTest.objects.filter(
        referral=referral, purpose=TestPurpose.FORENSIC, interpreted_by__role=Role.CLINICIAN
    ).exclude(interpretation="")
    if since is not None:
        rows = rows.filter(collected_at__date__gte=since)
    lines = [
        f"On the test of {t.collected_at:%d %B %Y}: {t.interpretation}"
        for t in rows.order_by("collected_at", "id")
    ]
    return (lines or ["No reading of a test result by the treatment provider is recorded."]) + [
        "No other views of the treatment provider are recorded in Turnpoint."
    ]


def _episode_of(referral):
    try:
        return referral.episode
    except Episode.DoesNotExist:
        return None
