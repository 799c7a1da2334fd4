"""The accounting of disclosures: every disclosure of one participant's information, read from
the `Disclosure` rows (security.md SEC-14; 42 CFR 2.24). See docs/sharing.md, "Accounting of
disclosures".

The participant sees every disclosure of their own record. A member of staff sees no more than
they may already see (SEC-40): disclosures to people (or agencies) in a programme through which
they reach the participant, of the categories they may read there (the others left out of the
row), never a break-glass, and never what another party to the proceedings read: the court,
the prosecution and the defence each see, of the three, only their own side's reads.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from turnpoint.accounts.models import Agency, Role, User
from turnpoint.errors import InvalidInput, Problem
from turnpoint.people.models import Participant
from turnpoint.portal.models import PortalAccount

from .audit import audit_write
from .categories import Category, Purpose
from .models import Disclosure, LegalBasis
from .reach import openings_of, referrals_visible_to
from .rules import default_purpose, readable

# An accounting covers at most this period, and by default all of it (SEC-14).
ACCOUNTING_PERIOD = timedelta(days=3 * 365 + 1)

CHANNELS = {
    "web": "Viewed on a staff page",
    "api": "Read through the API",
    "export": "Exported as a document",
    "system": "Shared by the system",
}
# The parties to proceedings, by role and by agency kind: none sees another's reads (SEC-40).
PARTY_ROLES: dict[str, str] = {
    Role.JUDGE: "court",
    Role.PROSECUTOR: "prosecution",
    Role.DEFENCE: "defence",
}
PARTY_KINDS = {"court": "court", "prosecution": "prosecution", "defence": "defence"}


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

    `acting_user` is the staff member asking, who sees only what `_shown_to_staff` leaves
    (SEC-40); or the participant's portal account when they ask for their own (no purpose: it is
    their own record), or None for a paper copy for the participant, both seeing every row."""
    until = until or timezone.now()
    since = since or until - ACCOUNTING_PERIOD
    if since > until:
        raise InvalidInput(Problem("since", "must be before the end of the period"))
    if until - since > ACCOUNTING_PERIOD:
        raise InvalidInput(Problem("since", "an accounting covers at most 3 years"))
    pid = getattr(participant, "pk", participant)
    disclosures = list(
        Disclosure.objects.filter(participant_id__in=same_person(pid), at__gte=since, at__lte=until)
        .select_related("recipient_user__agency")
        .order_by("-at", "-id")
    )
    if _own(acting_user, pid):
        shown = [(d, d.categories) for d in disclosures]
    else:
        shown = _shown_to_staff(acting_user, pid, disclosures)
    rows = [_accounting_row(d, categories) for d, categories in shown]
    audit_write(
        acting_user=acting_user,
        action="read",
        categories=[Category.IDENTITY],
        participant_ids=[pid],
        purpose=purpose or ("" if acting_user is None else default_purpose(acting_user)),
        detail={"accounting_of_disclosures": {"since": since.isoformat(),
                                               "until": until.isoformat(), "rows": len(rows),
                                               "withheld": len(disclosures) - len(rows)}},
    )  # fmt: skip
    return rows


def same_person(pid: int) -> list[int]:
    """The participant's id and those of every record merged into it, and into those
    (people/merge.py): disclosures stay recorded under the id they were made about, and the
    accounting of the kept record is the person's, so it lists theirs too."""
    ids, found = [pid], [pid]
    while found:
        found = list(Participant.objects.filter(merged_into__in=found).values_list("pk", flat=True))
        ids += found
    return ids


def _own(acting_user, pid: int) -> bool:
    """Is the accounting asked for by the participant: their portal account, or on paper?"""
    if acting_user is None:
        return True
    return (
        acting_user.role == Role.PARTICIPANT
        and PortalAccount.objects.filter(user=acting_user, participant_id=pid).exists()
    )


def _shown_to_staff(user, pid: int, disclosures: list) -> list[tuple[Disclosure, list[str]]]:
    """The disclosures a member of staff may see, each with the categories shown (SEC-40):
    to a recipient in a programme through which `user` reaches the participant, not on a
    break-glass, not to another party to the proceedings, and with at least one category the
    user may read for the participant in those programmes (the others left out)."""
    programmes = {
        r.programme_id: r.programme
        for r in referrals_visible_to(user).filter(participant_id=pid).select_related("programme")
    }
    if not programmes:
        return []
    openings = openings_of(user, pid)
    may_read: set = set()
    for programme in programmes.values():
        may_read |= readable(user, programme=programme, openings=openings)
    in_programmes, kinds = _recipients_in(programmes, disclosures)
    party = _party(user.role, user.agency.kind if user.agency_id else "")
    shown = []
    for d in disclosures:
        if d.legal_basis == LegalBasis.SAFEGUARDING:
            continue  # a break-glass: the safeguarding leads' review, not the accounting
        who = d.recipient_user_id or d.recipient_agency
        if who not in in_programmes:
            continue  # another programme's involvement
        if d.recipient_user is not None:
            agency = d.recipient_user.agency
            theirs = _party(d.recipient_user.role, agency.kind if agency else "")
        else:
            theirs = _party("", kinds.get(d.recipient_agency, ""))
        if party and theirs and theirs != party:
            continue  # what another party to the proceedings read
        categories = [c for c in d.categories if c in may_read]
        if categories:
            shown.append((d, categories))
    return shown


def _recipients_in(programmes, disclosures) -> tuple[set, dict[str, str]]:
    """(the recipients of `disclosures` who are in one of `programmes`: people by user id, and
    agencies with a member there by name; agency name -> kind for the disclosures to an agency
    with no person named)."""
    people = {d.recipient_user_id for d in disclosures if d.recipient_user_id}
    agencies = {d.recipient_agency for d in disclosures if not d.recipient_user_id}
    member = User.programmes.through.objects.filter(programme_id__in=programmes)
    found: set = set(member.filter(user_id__in=people).values_list("user_id", flat=True))
    if not agencies:
        return found, {}
    found |= set(
        member.filter(user__agency__name__in=agencies).values_list("user__agency__name", flat=True)
    )
    return found, dict(Agency.objects.filter(name__in=agencies).values_list("name", "kind"))


def _party(role: str, kind: str) -> str:
    """The party to proceedings a role or agency kind belongs to ("court", "prosecution",
    "defence"), or "" for everyone else."""
    return PARTY_ROLES.get(role) or PARTY_KINDS.get(kind, "")


def _label(choices, value: str) -> str:
    return choices(value).label if value in choices.values else value


def _accounting_row(d: Disclosure, categories: list[str]) -> AccountingRow:
    person = d.recipient_user
    return AccountingRow(
        at=d.at,
        recipient=(person.get_full_name() or person.username) if person else "",
        agency=d.recipient_agency,
        role=person.get_role_display() if person else "",
        categories=[_label(Category, c) for c in categories],
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
