"""The court's progress report for a review hearing (docs/supervision.md, "Reviews").

A progress report is drawn only from what the rules let the hearing's judge see, for the court's
review, with the participant's consents: attendance in the period, forensic drug test results
(where the programme's switch or a consent opens them to the court), the recovery plan's goals
met and the strengths gained (BARC-10 recovery capital). A section the court may not read says
so and carries nothing. The person who prepares it must be able to read what they send.

Generating it is a disclosure to the judge: one `export` audit entry naming the categories sent,
and one disclosure act per legal basis (statute for what the role or the programme's switch
opens, consent for what a consent opens), all in one transaction with the stored snapshot
(`ProgressReport`). The section builders (`attendance_lines`, `drug_test_lines`) are shared with
the statutory reports (`statutory.py`), so both say the same of the same records.
"""

from collections import Counter
from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone

from turnpoint import dates
from turnpoint.accounts.models import Role
from turnpoint.assessments.models import Administration, Status
from turnpoint.plans.models import GoalStatus, RecoveryPlan
from turnpoint.supervision.models import (
    Appointment,
    DrugTest,
    HearingStatus,
    Outcome,
    ProgressReport,
    Result,
    ReviewHearing,
    TestPurpose,
)

from .audit import audit_write
from .categories import Category, Purpose
from .reach import active_consents, not_found, referrals_visible_to
from .record import audit_read, disclosure_write, read_recorded
from .rules import Openings, PolicyDenied, decide, legal_basis

C = Category
# The sections of a progress report, in order: (key, title, category).
SECTIONS = (
    ("attendance", "Attendance", C.ATTENDANCE),
    ("drug_tests", "Drug and alcohol test results", C.DRUG_TESTS),
    ("goals", "Goals met", C.PLAN),
    ("strengths", "Strengths gained", C.STRENGTHS),
)
PREPARERS = frozenset({Role.COORDINATOR, Role.CASE_MANAGER})
NOT_SHARED = "Not shared with the court: "


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def attendance_lines(referral, since: date | None, until: date) -> tuple[str, list[str]]:
    """(summary, one line per appointment) of the referral's appointments from `since` (None:
    all) to `until`, each with its kind, day and outcome. No note: attendance notes stay with
    the team."""
    found = Appointment.objects.filter(referral=referral, starts_at__lte=_end(until))
    if since is not None:
        found = found.filter(starts_at__gte=_start(since))
    rows = list(found.order_by("starts_at", "id"))
    counts = Counter(a.outcome for a in rows if a.outcome)
    if not rows:
        return "No appointments in the period.", []
    parts = [f"{counts[o]} {o.label.lower()}" for o in Outcome if counts[o]]
    waiting = sum(1 for a in rows if not a.outcome)
    if waiting:
        parts.append(f"{waiting} with no outcome recorded yet")
    summary = f"{len(rows)} appointments: " + ", ".join(parts) + "."
    lines = [
        f"{dates.spoken(a.starts_at)} - {a.get_kind_display()}: "
        + (a.get_outcome_display().lower() if a.outcome else "no outcome recorded yet")
        for a in rows
    ]
    return summary, lines


def drug_test_lines(referral, since: date | None, until: date) -> tuple[str, list[str]]:
    """(summary, lines) of the referral's forensic drug and alcohol tests collected from `since`
    to `until`: each test's day, specimen, result per substance and the interpretation that
    travels with it (R14). Clinical tests are the treatment provider's and never appear."""
    rows = DrugTest.objects.filter(
        referral=referral, purpose=TestPurpose.FORENSIC, collected_at__lte=_end(until)
    )
    if since is not None:
        rows = rows.filter(collected_at__gte=_start(since))
    tests = list(rows.prefetch_related("results").order_by("collected_at", "id"))
    if not tests:
        return "No drug or alcohol tests in the period.", []
    positives = 0
    lines = []
    for t in tests:
        results = list(t.results.all())
        positives += any(r.result == Result.POSITIVE for r in results)
        shown = "; ".join(f"{r.substance} {r.get_result_display().lower()}"
                          + (" (confirmed)" if r.confirmed else "") for r in results)  # fmt: skip
        line = (f"{dates.spoken(t.collected_at)} - {t.get_specimen_display()}: "
                f"{shown or 'results awaited'}")  # fmt: skip
        if t.interpretation:
            line += f". Read in context: {t.interpretation}"
        lines.append(line)
    summary = f"{len(tests)} tests, {positives} with a positive result."
    return summary, lines


def goal_lines(referral) -> tuple[str, list[str]]:
    """The goals of the current plan the participant has met, in their words."""
    plan = RecoveryPlan.objects.filter(referral=referral).first()
    if plan is None:
        return "No recovery plan is recorded.", []
    version = plan.versions.filter(number=plan.current_version).prefetch_related("goals").get()
    goals = list(version.goals.all())
    met = [g for g in goals if g.status == GoalStatus.ACHIEVED]
    lines = [f"\u201c{g.in_their_words}\u201d ({g.get_domain_display()})" for g in met]
    return f"{len(met)} of {len(goals)} goals of the current plan met.", lines


def _total(administration):
    scales = (administration.scores or {}).get("scales") or []
    scale = next((s for s in scales if s.get("id") == "total"), scales[0] if scales else None)
    return None if scale is None else scale.get("score")


def strength_lines(participant) -> tuple[str, list[str]]:
    """The change in recovery capital (BARC-10 total) from the first finished administration to
    the latest."""
    rows = [
        (a.administered_on, _total(a))
        for a in Administration.objects.filter(
            participant=participant, instrument_id="barc-10", status=Status.COMPLETE
        ).order_by("administered_on", "id")
    ]
    rows = [(d, s) for d, s in rows if s is not None]
    if not rows:
        return "No recovery capital (BARC-10) recorded.", []
    lines = [f"{dates.spoken(d)} - BARC-10 total {s:g}" for d, s in rows]
    (first_on, first), (_, latest) = rows[0], rows[-1]
    if len(rows) == 1:
        return f"Recovery capital (BARC-10) {latest:g}, first measured.", lines
    change = latest - first
    sign = "+" if change > 0 else ""
    return (f"Recovery capital (BARC-10) {latest:g}, {sign}{change:g} since "
            f"{dates.spoken(first_on)}.", lines)  # fmt: skip


def _period_start(hearing) -> date | None:
    """Since the last hearing held before this one, or since the episode started."""
    last = (
        ReviewHearing.objects.filter(
            referral=hearing.referral_id, status=HearingStatus.HELD, held_on__lt=hearing.held_on
        )
        .order_by("-held_on")
        .values_list("held_on", flat=True)
        .first()
    )
    if last is not None:
        return last
    episode = getattr(hearing.referral, "episode", None)
    return episode.started_on if episode is not None else None


def _reached_hearing(user, pk) -> ReviewHearing:
    rows = ReviewHearing.objects.select_related(
        "referral__programme", "referral__episode", "participant", "judge", "judge__agency"
    ).filter(pk=getattr(pk, "pk", pk), referral__in=referrals_visible_to(user))
    if user.role == Role.JUDGE:
        rows = rows.filter(judge=user)
    row = rows.first()
    if row is None:
        raise not_found(ReviewHearing, getattr(pk, "pk", pk), "review hearing")
    return row


def progress_report_generate(*, acting_user, hearing) -> ProgressReport:
    """Prepare the court's progress report for `hearing` and record it as a disclosure to the
    hearing's judge: each section decided for the judge (court review, the participant's
    consents) and for the preparer, the snapshot, the audit entry and one disclosure act per
    legal basis in one transaction."""
    if acting_user.role not in PREPARERS:
        raise PolicyDenied("progress reports are prepared by the coordinator or case manager")
    hearing = _reached_hearing(acting_user, hearing)
    referral, judge = hearing.referral, hearing.judge
    programme, participant = referral.programme, hearing.participant
    openings = Openings(
        now=timezone.now(), consents=tuple(active_consents([participant.pk])[participant.pk]),
        participant_id=participant.pk,
    )  # fmt: skip
    since, until = _period_start(hearing), hearing.held_on
    sections: list[dict] = []
    carried: list[str] = []
    bases: dict = {}
    for key, title, category in SECTIONS:
        for_court = decide(judge, category, programme=programme, purpose=Purpose.COURT_REVIEW,
                           openings=openings)  # fmt: skip
        by_author = decide(acting_user, category, programme=programme, openings=openings)
        section: dict[str, object] = {"key": key, "title": title, "category": str(category)}
        if not for_court or not by_author:
            why = for_court.reason if not for_court else by_author.reason
            section.update(shared=False, summary=NOT_SHARED + why, lines=[])
        else:
            if key == "attendance":
                summary, lines = attendance_lines(referral, since, until)
            elif key == "drug_tests":
                summary, lines = drug_test_lines(referral, since, until)
            elif key == "goals":
                summary, lines = goal_lines(referral)
            else:
                summary, lines = strength_lines(participant)
            section.update(shared=True, summary=summary, lines=lines, basis=for_court.basis)
            carried.append(str(category))
            basis = legal_basis(for_court, programme)
            if basis is not None:
                bases.setdefault(basis, []).append(str(category))
        sections.append(section)
    content = {
        "participant": {"name": participant.display_name, "reference": participant.reference},
        "programme": programme.name,
        "hearing": {
            "held_on": hearing.held_on.isoformat(),
            "place": hearing.place,
            "judge": judge.get_full_name() or judge.username,
        },
        "period": {"from": since.isoformat() if since else None, "to": until.isoformat()},
        "sections": sections,
    }
    with transaction.atomic():
        report = ProgressReport.objects.create(
            hearing=hearing, generated_by=acting_user, content=content, categories=carried
        )
        audit_write(
            acting_user=acting_user, action="export", categories=carried or [str(C.PATHWAY)],
            participant_ids=[participant.pk], obj=report,
            detail={"progress_report": report.pk, "hearing": hearing.pk, "recipient": judge.pk,
                    "disclosure_purpose": str(Purpose.COURT_REVIEW)},
        )  # fmt: skip
        for (basis, reference), categories in bases.items():
            disclosure_write(
                recipient=judge, participant_ids=[participant.pk], categories=categories,
                purpose=Purpose.COURT_REVIEW, legal_basis=basis, basis_reference=reference,
                notice_attached=True, channel="report",
            )  # fmt: skip
    return report


def progress_report_read(user, pk) -> ProgressReport:
    """One stored progress report, for the hearing's judge or the team's preparers; the read is
    audited when it carries a sensitive category (the snapshot already went to the judge)."""
    report = (
        ProgressReport.objects.select_related("hearing", "generated_by")
        .filter(pk=getattr(pk, "pk", pk))
        .first()
    )
    if report is None:
        raise not_found(ProgressReport, getattr(pk, "pk", pk), "progress report")
    if user.role not in PREPARERS | {Role.JUDGE}:
        raise not_found(ProgressReport, report.pk, "progress report")
    hearing = _reached_hearing(user, report.hearing_id)
    report.hearing = hearing
    audit_read(user, participants=[hearing.participant_id], categories=report.categories,
               obj=report, detail={"page": "progress report"})  # fmt: skip
    return report


def latest_reports(hearings) -> dict[int, ProgressReport]:
    """The newest progress report of each hearing (hearing id -> report)."""
    found: dict[int, ProgressReport] = {}
    for r in ProgressReport.objects.filter(hearing__in=[h.pk for h in hearings]).order_by(
        "generated_at", "id"
    ):
        found[r.hearing_id] = r
    return found


def docket_read(user, *, judge=None, day: date) -> list:
    """The hearings before `judge` (None: every judge) on `day` among the referrals the user
    reaches (a judge reads only their own docket), each with `latest_report` (its newest
    progress report or None), recorded as one read of the participants' identity and pathway."""
    if user.role == Role.JUDGE:
        if judge is not None and judge.pk != user.pk:
            raise PolicyDenied("a judge sees their own docket")
        judge = user
    if user.role not in PREPARERS | {Role.JUDGE}:
        raise PolicyDenied("dockets are for the judge and the programme coordinator or case "
                           "manager")  # fmt: skip
    with transaction.atomic():
        hearings = list(
            ReviewHearing.objects.filter(held_on=day, referral__in=referrals_visible_to(user))
            .filter(**({"judge": judge} if judge is not None else {}))
            .select_related("participant", "referral__programme", "judge")
            .order_by("participant__family_name", "participant__given_name", "id")
        )
        reports = latest_reports(hearings)
        for h in hearings:
            h.latest_report = reports.get(h.pk)  # type: ignore[attr-defined]
        if hearings:
            read_recorded(
                user, participants=[h.participant for h in hearings],
                categories=[C.IDENTITY, C.PATHWAY], detail={"page": "docket"},
                programme_by_participant={h.participant_id: h.referral.programme
                                          for h in hearings},
            )  # fmt: skip
    return hearings
