"""The accounting of disclosures: every disclosure of one participant's information, read from
the `Disclosure` rows (security.md SEC-14; 42 CFR 2.24). See docs/sharing.md, "Accounting of
disclosures".
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from turnpoint.errors import InvalidInput, Problem

from .categories import Category, Purpose
from .disclosures import Disclosure, LegalBasis

# An accounting covers at most this period, and by default all of it (SEC-14).
ACCOUNTING_PERIOD = timedelta(days=3 * 365 + 1)

CHANNELS = {
    "web": "Viewed on a staff page",
    "api": "Read through the API",
    "export": "Exported as a document",
    "system": "Shared by the system",
}


@dataclass(frozen=True)
class AccountingRow:
    at: datetime
    recipient: str
    agency: str
    role: str
    categories: list[str]
    description: str
    purpose: str
    legal_basis: str
    basis_reference: str
    notice_attached: bool


def disclosure_accounting(participant, *, since=None, until=None, acting_user=None,
                          purpose=None) -> list[AccountingRow]:  # fmt: skip
    """Every disclosure of this participant's information from `since` to `until` (default: the
    last 3 years, and never more), newest first, written to the audit log as a read (SEC-14).

    `acting_user` is the staff member asking, or the participant's portal account when they
    ask for their own (no purpose: it is their own record); None for a paper copy."""
    from .audit import audit_write

    until = until or timezone.now()
    since = since or until - ACCOUNTING_PERIOD
    if since > until:
        raise InvalidInput(Problem("since", "must be before the end of the period"))
    if until - since > ACCOUNTING_PERIOD:
        raise InvalidInput(Problem("since", "an accounting covers at most 3 years"))
    pid = getattr(participant, "pk", participant)
    disclosures = (
        Disclosure.objects.filter(participant_id=pid, at__gte=since, at__lte=until)
        .select_related("recipient_user")
        .order_by("-at", "-id")
    )
    rows = [_accounting_row(d) for d in disclosures]
    audit_write(
        acting_user=acting_user,
        action="read",
        categories=[Category.IDENTITY],
        participant_ids=[pid],
        purpose=purpose or ("" if acting_user is None else _purpose_of(acting_user)),
        detail={"accounting_of_disclosures": {"since": since.isoformat(),
                                               "until": until.isoformat(), "rows": len(rows)}},
    )  # fmt: skip
    return rows


def _purpose_of(user) -> str:
    from .policy import default_purpose

    return default_purpose(user)


def _label(choices, value: str) -> str:
    return choices(value).label if value in choices.values else value


def _accounting_row(d: Disclosure) -> AccountingRow:
    person = d.recipient_user
    return AccountingRow(
        at=d.at,
        recipient=(person.get_full_name() or person.username) if person else "",
        agency=d.recipient_agency,
        role=person.get_role_display() if person else "",
        categories=[_label(Category, c) for c in d.categories],
        description=CHANNELS.get(d.channel, d.channel),
        purpose=_label(Purpose, d.purpose),
        legal_basis=_label(LegalBasis, d.legal_basis),
        basis_reference=d.basis_reference,
        notice_attached=d.notice_attached,
    )


def accounting_lines(rows: Iterable[AccountingRow]) -> list[str]:
    """The accounting as plain lines for an outbound document."""
    lines = []
    for r in rows:
        if r.recipient:
            who = f"{r.recipient} ({r.role}, {r.agency or 'no agency'})"
        else:  # a document sent to an agency, such as a statutory report to the court
            who = r.agency or "unknown"
        lines.append(
            f"{r.at:%d %B %Y %H:%M} UTC - {who} - {', '.join(r.categories)} - "
            f"{r.description.lower()} for {r.purpose.lower()} - basis: "
            f"{r.legal_basis.lower()} ({r.basis_reference})"
        )
    return lines or ["No disclosures in this period."]
