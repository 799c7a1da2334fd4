"""Record exports (security.md SEC-12, SEC-13; UK GDPR Art. 15 and 20).

`participant_record_export` is the staff member's "export this record": only the categories the
user may read of this participant, with the re-disclosure notice and a scope summary, written to
the audit log as an export and, across agencies, as a disclosure with the notice attached.
`participant_own_record_export` is the participant's own copy of everything Turnpoint holds about
them, including the accounting of who saw it (SEC-14).

Both build one plain structure (`_record`) and render it as a PDF through `outbound_pdf` or as
JSON carrying the same notice and scope, so the two formats never disagree about what leaves.
"""

from datetime import date
from typing import Any

from django.db import transaction

from turnpoint.errors import InvalidInput, Problem
from turnpoint.journeys.effective import effective_steps
from turnpoint.journeys.models import Episode

from .accounting import accounting_lines, disclosure_accounting
from .audit import audit_write
from .categories import Category
from .documents import Section, notice_for, outbound_pdf
from .reach import openings_of
from .record import disclosures_for_read
from .rules import PolicyDenied, decide, default_purpose

C = Category
# The categories Turnpoint records today; the others appear in the scope as "none recorded".
RECORDED = (C.IDENTITY, C.LEGAL, C.PATHWAY)
FORMATS = ("pdf", "json")


def participant_record_export(user, participant, *, fmt: str = "pdf", purpose=None, since=None,
                              until=None, categories=None):  # fmt: skip
    """A staff export of one participant's record: PDF bytes, or a dict for JSON.

    Reach the participant through `reach.participant_for_user` first; this function then keeps
    to the categories `decide` allows for each programme (consents and court orders count).

    `since`/`until` (dates) limit it to information dated in that period and `categories` to
    those asked for. A category that only a court order opens holds only information dated
    within the order's range (SEC-16); asking for a category nothing opens, or for a period
    beyond the order's range, is refused with `PolicyDenied` naming the order and its limits.
    How each recorded item is dated: `_record`."""
    if fmt not in FORMATS:
        raise ValueError(f"an export is one of {FORMATS}, not {fmt!r}")
    if since and until and since > until:
        raise InvalidInput(Problem("since", "must be on or before the end of the period"))
    unknown = [c for c in categories or () if c not in C.values]
    if unknown:
        raise InvalidInput(Problem("categories", f"'{unknown[0]}' is not a data category"))
    purpose = purpose or default_purpose(user)
    openings = openings_of(user, participant)
    orders_by_pk = {o.pk: o for o in openings.court_orders}

    def decisions(programme=None) -> dict:
        """Category -> the Decision that opens it, for the categories this user may read."""
        found = {}
        for c in C:
            decision = decide(user, c, programme=programme, purpose=purpose, openings=openings)
            if decision:
                found[c] = decision
        return found

    overall = decisions()
    if C.IDENTITY not in overall:
        raise PolicyDenied(decide(user, C.IDENTITY, purpose=purpose).reason)
    referrals = list(
        participant.referrals.filter(programme__in=user.programmes.all())
        .select_related("programme")
        .prefetch_related("transitions")
        .order_by("-referral_date", "-id")
    )
    opened = {r.pk: decisions(r.programme) for r in referrals}
    may_read = set(overall).union(*opened.values())
    # Identity always: it says whom the record is about.
    wanted = [C.IDENTITY, *(Category(c) for c in categories)] if categories else list(C)
    refused = [Category(c).label.lower() for c in categories or () if c not in may_read]
    if refused:
        raise PolicyDenied(
            f"you asked for {'; '.join(refused)}, which no role, consent or court order opens "
            "to you for this participant"
        )
    # The court order behind each category it alone opens (SEC-16): its range limits the export.
    # Categories Turnpoint does not record count only when asked for by name.
    ordered: dict[str, Any] = {}  # category -> the court order that alone opens it
    for found in (overall, *opened.values()):
        for c, decision in found.items():
            kind, _, ref = decision.basis.partition(":")
            if kind == "court_order" and c in wanted and (c in RECORDED or categories):
                ordered.setdefault(c, orders_by_pk[int(ref)])
    _refuse_beyond(ordered, since, until)
    windows = {
        r.pk: {c: _window(since, until, orders_by_pk, found[c].basis) for c in found if c in wanted}
        for r, found in zip(referrals, opened.values(), strict=True)
    }
    record = _record(participant, referrals, windows)
    included = [c for c in RECORDED if c in may_read and c in wanted]
    programme = referrals[0].programme if referrals else None
    scope = _scope(included, may_read, audience="you", wanted=wanted)
    scope += _limits_text(ordered, since, until)
    with transaction.atomic():
        audit_write(
            acting_user=user,
            action="export",
            categories=included,
            participant_ids=[participant.pk],
            obj=participant,
            purpose=purpose,
            detail={
                "format": fmt,
                "referral_ids": [r.pk for r in referrals],
                **({"court_order_ids": sorted({o.pk for o in ordered.values()})} if ordered
                   else {}),
                **({"since": since.isoformat()} if since else {}),
                **({"until": until.isoformat()} if until else {}),
            },
        )  # fmt: skip
        disclosures_for_read(
            user,
            participants=[participant],
            categories=included,
            purpose=purpose,
            programme_by_participant={participant.pk: programme} if programme else None,
            openings={participant.pk: openings},
            notice_attached=True,
            channel="export",
        )
    title = f"Record of {participant.display_name} ({participant.reference})"
    return _render(fmt, title=title, record=record, notice=notice_for(programme), scope=scope)


def _window(since, until, orders_by_pk, basis: str):
    """(first day, last day) of the information a category may hold, or None for all of it:
    the period asked for, narrowed to the order's range when a court order opened it."""
    kind, _, ref = basis.partition(":")
    low, high = since, until
    if kind == "court_order":
        order = orders_by_pk[int(ref)]
        low = max(low or order.covers_from, order.covers_from)
        high = min(high or order.covers_to, order.covers_to)
    if low is None and high is None:
        return None
    return (low or date.min, high or date.max)


def _refuse_beyond(ordered: dict, since, until) -> None:
    """Refuse a period reaching outside the range of an order that alone opens a category."""
    for category, order in ordered.items():
        before = since is not None and since < order.covers_from
        after = until is not None and until > order.covers_to
        if before or after:
            asked = (f"{since:%d %B %Y}" if since else "the start") + " to " + (
                f"{until:%d %B %Y}" if until else "today")  # fmt: skip
            raise PolicyDenied(
                f"{order.label} opens {Category(category).label.lower()} only for information "
                f"dated {order.range_text} (categories: {_labels(order.categories)}; until "
                f"{order.expires_at:%d %B %Y}); you asked for {asked}"
            )


def _labels(categories) -> str:
    return "; ".join(Category(c).label for c in categories if c in Category.values)


def _limits_text(ordered: dict, since, until) -> str:
    parts = []
    if since or until:
        parts.append(
            "Limited to information dated "
            + (f"from {since:%d %B %Y} " if since else "")
            + (f"to {until:%d %B %Y}" if until else "onwards")
            + "."
        )
    by_order: dict = {}
    for category, order in ordered.items():
        by_order.setdefault(order, []).append(category)
    for order, cats in by_order.items():
        parts.append(
            f"Under {order.label}, made {order.made_on:%d %B %Y}: {_labels(cats)} only as dated "
            f"{order.range_text}; undated summaries (stage now, disposal) are left out."
        )
    return (" " + " ".join(parts)) if parts else ""


def participant_own_record_export(participant, *, fmt: str = "pdf", acting_user=None):
    """The participant's own copy of their record and of who has seen it (SEC-14; Art. 15).

    Nothing crosses to another agency (the record goes to the person it is about), so no
    disclosure is written; the export itself is audited, as done by `acting_user` (the
    participant's portal account; None when staff hand it over on paper)."""
    if fmt not in FORMATS:
        raise ValueError(f"an export is one of {FORMATS}, not {fmt!r}")
    referrals = list(
        participant.referrals.select_related("programme")
        .prefetch_related("transitions")
        .order_by("-referral_date", "-id")
    )
    record = _record(participant, referrals, {r.pk: dict.fromkeys(C) for r in referrals})
    with transaction.atomic():
        accounting = disclosure_accounting(participant, acting_user=acting_user)
        audit_write(
            acting_user=acting_user,
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


def _scope(included, may_read, *, audience: str, wanted=tuple(C)) -> str:
    shown = "; ".join(Category(c).label for c in included)
    unrecorded = [
        Category(c).label for c in C if c in may_read and c in wanted and c not in RECORDED
    ]
    withheld = [Category(c).label for c in C if c not in may_read]
    unasked = [Category(c).label for c in C if c in may_read and c not in wanted]
    parts = [f"This export contains only: {shown}."]
    if unasked:
        parts.append(f"Left out because they were not asked for: {'; '.join(unasked)}.")
    if unrecorded:
        parts.append(
            f"Also open to {audience}, but not recorded in Turnpoint: {'; '.join(unrecorded)}."
        )
    if withheld:
        parts.append(f"Left out because {audience} may not read them: {'; '.join(withheld)}.")
    return " ".join(parts)


def _record(participant, referrals, windows_by_referral) -> list[Section]:
    """The record as sections of plain lines, one per category block.

    `windows_by_referral` maps each referral to {category: window} for the categories shown,
    where a window (first day, last day) keeps only information dated within it (a court order's
    range, or the period asked for) and None keeps all of it. How information is dated:
    identity is not dated; legal facts by the offence date; on the pathway, the referral and its
    source by the referral date, each step by the day it happened and the start on the
    programme by its first day. The summaries "stage now" and "disposal imposed" describe today,
    not a day in the window, so a window leaves them out (the steps within it say the same)."""
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
        windows = windows_by_referral[referral.pk]
        lines = []
        if C.PATHWAY in windows:
            window = windows[C.PATHWAY]

            def within(day, window=window):
                return window is None or window[0] <= day <= window[1]

            block = []
            if within(referral.referral_date):
                block += [
                    f"  Referred on {referral.referral_date:%d %B %Y}",
                    f"  Source: {referral.get_source_display()}",
                ]
            if window is None:
                block.append(f"  Stage now: {referral.get_state_display()}")
                if referral.imposed_disposal:
                    block.append(f"  Disposal imposed: {referral.get_imposed_disposal_display()}")
            episode = _episode_of(referral)
            if episode is not None and within(episode.started_on):
                block.append(f"  On the programme since {episode.started_on:%d %B %Y}, phase "
                             f"{episode.phase_number}")  # fmt: skip
            for t in effective_steps(referral.transitions.all()):  # withdrawn steps left out
                if within(t.occurred_on):
                    why = f": {t.reason}" if t.reason else ""
                    block.append(f"  {t.occurred_on:%d %B %Y} - {t.get_to_state_display()}{why}")
            lines += [f"{C.PATHWAY.label}:", *(block or [_nothing_within(window)])]
        if C.LEGAL in windows:
            window = windows[C.LEGAL]
            lines.append(f"{C.LEGAL.label}:")
            if window is None or window[0] <= referral.offence_date <= window[1]:
                lines += [
                    f"  Offence: {referral.get_offence_category_display()} on "
                    f"{referral.offence_date:%d %B %Y}",
                    f"  How drug use relates: {referral.get_drug_related_type_display()}",
                ]
                if referral.offence_summary:
                    lines.append(f"  Summary: {referral.offence_summary}")
            else:
                lines.append(_nothing_within(window))
        sections.append(Section(f"Referral to {referral.programme.name}", lines))
    return sections


def _nothing_within(window) -> str:
    low = "" if window[0] == date.min else f" from {window[0]:%d %B %Y}"
    high = "" if window[1] == date.max else f" to {window[1]:%d %B %Y}"
    return f"  Nothing recorded dated{low}{high}."


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
