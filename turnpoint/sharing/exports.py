"""Record exports (security.md SEC-12, SEC-13; UK GDPR Art. 15 and 20).

`participant_record_export` is the staff member's "export this record": only the categories the
user may read of this participant, with the re-disclosure notice and a scope summary, written to
the audit log as an export and, across agencies, as a disclosure with the notice attached.
`participant_own_record_export` is the participant's own copy of everything Turnpoint holds about
them, including the accounting of who saw it (SEC-14).

Both build one plain structure (`_record`) and render it as a PDF through `outbound_pdf` or as
JSON carrying the same notice and scope, so the two formats never disagree about what leaves.
"""

from django.db import transaction

from turnpoint.journeys.models import Episode

from .audit import audit_write
from .categories import Category
from .consents import active_consents
from .disclosures import accounting_lines, disclosure_accounting, disclosures_for_read
from .documents import Section, notice_for, outbound_pdf
from .policy import PolicyDenied, decide, default_purpose

C = Category
# The categories Turnpoint records today; the others appear in the scope as "none recorded".
RECORDED = (C.IDENTITY, C.LEGAL, C.PATHWAY)
FORMATS = ("pdf", "json")


def participant_record_export(user, participant, *, fmt: str = "pdf", purpose=None):
    """A staff export of one participant's record: PDF bytes, or a dict for JSON.

    Reach the participant through `policy.participant_for_user` first; this function then keeps
    to the categories `decide` allows for each programme (consents count)."""
    if fmt not in FORMATS:
        raise ValueError(f"an export is one of {FORMATS}, not {fmt!r}")
    purpose = purpose or default_purpose(user)
    consents = active_consents([participant.pk])

    def readable(programme=None) -> frozenset[str]:
        return frozenset(
            c
            for c in C
            if decide(
                user,
                c,
                programme=programme,
                purpose=purpose,
                participant=participant,
                consents=consents,
            )
        )

    overall = readable()
    if C.IDENTITY not in overall:
        raise PolicyDenied(decide(user, C.IDENTITY, purpose=purpose).reason)
    referrals = list(
        participant.referrals.filter(programme__in=user.programmes.all())
        .select_related("programme")
        .prefetch_related("transitions")
        .order_by("-referral_date", "-id")
    )
    by_referral = {r.pk: readable(r.programme) for r in referrals}
    record = _record(participant, referrals, by_referral)
    may_read = set(overall).union(*by_referral.values())
    included = [c for c in RECORDED if c in may_read]
    programme = referrals[0].programme if referrals else None
    scope = _scope(included, may_read, audience="you")
    with transaction.atomic():
        audit_write(
            acting_user=user,
            action="export",
            categories=included,
            participant_ids=[participant.pk],
            obj=participant,
            purpose=purpose,
            detail={"format": fmt, "referral_ids": [r.pk for r in referrals]},
        )
        disclosures_for_read(
            user,
            participants=[participant],
            categories=included,
            purpose=purpose,
            programme_by_participant={participant.pk: programme} if programme else None,
            consents=consents,
            notice_attached=True,
            channel="export",
        )
    title = f"Record of {participant.display_name} ({participant.reference})"
    return _render(fmt, title=title, record=record, notice=notice_for(programme), scope=scope)


def participant_own_record_export(participant, *, fmt: str = "pdf"):
    """The participant's own copy of their record and of who has seen it (SEC-14; Art. 15).

    Nothing crosses to another agency (the record goes to the person it is about), so no
    disclosure is written; the export itself is audited."""
    if fmt not in FORMATS:
        raise ValueError(f"an export is one of {FORMATS}, not {fmt!r}")
    referrals = list(
        participant.referrals.select_related("programme")
        .prefetch_related("transitions")
        .order_by("-referral_date", "-id")
    )
    everything = frozenset(C)
    record = _record(participant, referrals, {r.pk: everything for r in referrals})
    with transaction.atomic():
        accounting = disclosure_accounting(participant)
        audit_write(
            acting_user=None,
            action="export",
            categories=list(RECORDED),
            participant_ids=[participant.pk],
            obj=participant,
            purpose="",
            detail={"format": fmt, "own_record": True},
        )
    record.append(Section("Who has seen your record (the last 3 years)",
                          accounting_lines(accounting)))  # fmt: skip
    scope = (
        "Your own record as Turnpoint holds it: your details, your referrals, their legal facts "
        "and pathway, and every disclosure of your information to another agency in the last 3 "
        "years."
    )
    programme = referrals[0].programme if referrals else None
    title = f"Your record: {participant.display_name} ({participant.reference})"
    return _render(fmt, title=title, record=record, notice=notice_for(programme), scope=scope)


def _scope(included, may_read, *, audience: str) -> str:
    shown = "; ".join(Category(c).label for c in included)
    unrecorded = [Category(c).label for c in C if c in may_read and c not in RECORDED]
    withheld = [Category(c).label for c in C if c not in may_read]
    parts = [f"This export contains only: {shown}."]
    if unrecorded:
        parts.append(
            f"Also open to {audience}, but not recorded in Turnpoint: {'; '.join(unrecorded)}."
        )
    if withheld:
        parts.append(f"Left out because {audience} may not read them: {'; '.join(withheld)}.")
    return " ".join(parts)


def _record(participant, referrals, readable_by_referral) -> list[Section]:
    """The record as sections of plain lines, one per category block."""
    p = participant
    sections = [
        Section(
            Category.IDENTITY.label,
            [
                f"Name: {p.given_name} {p.family_name}"
                + (f" (known as {p.preferred_name})" if p.preferred_name else ""),
                f"Reference: {p.reference}",
                f"Date of birth: {p.date_of_birth:%d %B %Y}",
                f"Sex: {p.get_sex_display()}",
                f"Ethnicity: {p.get_ethnicity_display()}",
            ],
        )
    ]
    for referral in referrals:
        categories = readable_by_referral[referral.pk]
        lines = []
        if C.PATHWAY in categories:
            lines += [
                f"{C.PATHWAY.label}:",
                f"  Referred on {referral.referral_date:%d %B %Y}",
                f"  Source: {referral.get_source_display()}",
                f"  Stage now: {referral.get_state_display()}",
            ]
            if referral.imposed_disposal:
                lines.append(f"  Disposal imposed: {referral.get_imposed_disposal_display()}")
            episode = _episode_of(referral)
            if episode is not None:
                lines.append(f"  On the programme since {episode.started_on:%d %B %Y}, phase "
                             f"{episode.phase_number}")  # fmt: skip
            for t in referral.transitions.all():
                why = f": {t.reason}" if t.reason else ""
                lines.append(f"  {t.occurred_on:%d %B %Y} - {t.get_to_state_display()}{why}")
        if C.LEGAL in categories:
            lines += [
                f"{C.LEGAL.label}:",
                f"  Offence: {referral.get_offence_category_display()} on "
                f"{referral.offence_date:%d %B %Y}",
                f"  How drug use relates: {referral.get_drug_related_type_display()}",
            ]
            if referral.offence_summary:
                lines.append(f"  Summary: {referral.offence_summary}")
        sections.append(Section(f"Referral to {referral.programme.name}", lines))
    return sections


def _episode_of(referral):
    try:
        return referral.episode
    except Episode.DoesNotExist:
        return None


def _render(fmt: str, *, title: str, record: list[Section], notice: str, scope: str):
    if fmt == "pdf":
        return outbound_pdf(title=title, sections=record, notice=notice, scope=scope)
    return {
        "title": title,
        "notice": notice,
        "scope": scope,
        "sections": [{"heading": s.heading, "lines": list(s.lines)} for s in record],
    }
