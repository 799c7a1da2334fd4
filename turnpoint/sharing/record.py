"""The record of a read: its audit entry, when it touches a sensitive category, and its
disclosure acts, when what it shows crosses from the agency holding it to the reader's
(security.md SEC-13, SEC-19, SEC-21).

A read's record is written with ordinary Django in one `transaction.atomic()`, which joins the
read's own transaction when there is one: if any part cannot be written, the whole record is
rolled back and the exception reaches the caller, so nothing is shown. Callers decide, fetch and
record in that order (`reads.py`), and render only after the record is written.

A disclosure act names its participants once, in one backlog row (`DisclosureBacklog`);
`disclosures_index`, run by the scheduler, moves them into the (participant, act) index the
accounting reads fastest. The `Disclosure` view reads both, so the accounting is complete before
the index is.
"""

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from turnpoint.journeys.models import Referral
from turnpoint.people.models import Participant

from . import context
from .audit import audit_entry
from .categories import SENSITIVE, Category
from .disclosure_records import acts_recorded
from .models import (
    DisclosedParticipant,
    DisclosureAct,
    DisclosureBacklog,
    LegalBasis,
    append_entries,
)
from .reach import openings_for, team_programmes
from .rules import crosses, decide, default_purpose, legal_basis

# The strongest basis names the act when categories of one read rest on different ones.
_BASIS_ORDER = ("safeguarding", "court_order", "consent", "statute")


def read_entry(user, *, participants, categories, purpose=None, obj=None, detail=None):
    """The audit entry (unsaved) for a read, or None when it touches no sensitive category or
    no participant."""
    sensitive = sorted(set(categories) & SENSITIVE)
    ids = [getattr(p, "pk", p) for p in participants]
    if not sensitive or not ids:
        return None
    return audit_entry(
        acting_user=user, action="read", categories=sensitive, participant_ids=ids, obj=obj,
        purpose=purpose or default_purpose(user), detail=detail,
    )  # fmt: skip


def audit_read(user, *, participants, categories, purpose=None, obj=None, detail=None) -> None:
    """Record a read that crosses no agency: one audit entry for a whole list, when sensitive."""
    entry = read_entry(user, participants=participants, categories=categories, purpose=purpose,
                       obj=obj, detail=detail)  # fmt: skip
    if entry is not None:
        entry.save()


def read_recorded(user, *, participants, categories, purpose=None, obj=None, detail=None,
                  programme_by_participant=None, openings=None) -> int:  # fmt: skip
    """Record a read: its audit entry and its disclosure acts, all or nothing, in the caller's
    transaction when there is one. Returns the number of participants disclosed.

    `programme_by_participant` maps participant id to the programme the categories were shown
    for (the basis of a role default or a programme switch is that programme's law); missing
    entries are the participant's latest referral among the user's team. `openings` (participant
    id -> `rules.Openings`) are loaded when a programme's own answer leaves a category closed."""
    participants = list(participants)
    entry = read_entry(user, participants=participants, categories=categories, purpose=purpose,
                       obj=obj, detail=detail)  # fmt: skip
    acts = acts_for_read(
        user, participants=participants, categories=categories, purpose=purpose,
        programme_by_participant=programme_by_participant, openings=openings,
    )  # fmt: skip
    if entry is None and not acts:
        return 0  # nothing sensitive shown, nothing crossed: nothing to record
    with transaction.atomic():
        if acts:
            _acts_write(acts, entry=entry)  # the entry carries the acts' digests
        else:
            append_entries([entry])
    return sum(len(ids) for _, ids in acts)


def disclosures_for_read(user, *, participants, categories, purpose=None,
                         programme_by_participant=None, openings=None, notice_attached=False,
                         channel="") -> int:  # fmt: skip
    """Write the disclosure acts of a read whose audit entry is written by its caller (an
    export); returns the number of participants disclosed."""
    acts = acts_for_read(
        user, participants=participants, categories=categories, purpose=purpose,
        programme_by_participant=programme_by_participant, openings=openings,
        notice_attached=notice_attached, channel=channel,
    )  # fmt: skip
    if acts:
        with transaction.atomic():
            _acts_write(acts)
    return sum(len(ids) for _, ids in acts)


def disclosure_write(*, recipient, participant_ids, categories, purpose, legal_basis,
                     basis_reference, notice_attached, channel="",
                     recipient_agency=None) -> int:  # fmt: skip
    """Record one act of disclosure decided by its caller (a break-glass, a statutory report
    sent to a court); returns the number of participants. Call in the disclosure's transaction.

    `recipient` is the person; a document sent to an agency passes `recipient=None` and
    `recipient_agency`."""
    if legal_basis not in LegalBasis.values:
        raise ValueError(f"a disclosure needs a legal basis, not {legal_basis!r}")
    if not basis_reference:
        raise ValueError("a disclosure names its basis (consent id, statute, order or break-glass)")
    if recipient is None and not recipient_agency:
        raise ValueError("a disclosure names its recipient: a person or an agency")
    if recipient_agency is None:
        recipient_agency = str(recipient.agency) if recipient.agency_id else ""
    ids = list(dict.fromkeys(getattr(p, "pk", p) for p in participant_ids))
    if not ids:
        return 0
    values = _act_values(
        recipient=recipient, recipient_agency=str(recipient_agency), purpose=purpose,
        notice_attached=notice_attached, channel=channel,
        key=(tuple(categories), str(legal_basis), basis_reference),
    )  # fmt: skip
    with transaction.atomic():
        _acts_write([(values, ids)])
    return len(ids)


def acts_for_read(user, *, participants, categories, purpose=None, programme_by_participant=None,
                  openings=None, notice_attached=False, channel="") -> list:  # fmt: skip
    """The disclosure acts of a read, as (act values, participant ids) pairs: each participant's
    crossing categories decided for the programme they were shown for (with their openings
    where the programme leaves a category closed), and participants whose information crossed
    in the same categories on the same basis grouped into one act. Nothing is written."""
    purpose = purpose or default_purpose(user)
    crossing = sorted({Category(c) for c in categories if crosses(user, c)})
    ids = list(dict.fromkeys(getattr(p, "pk", p) for p in participants))
    if not crossing or not ids:
        return []
    programme_of = _programmes_of(user, ids, programme_by_participant or {})
    # A programme's own answer is the same for all its participants: decided once a programme.
    # Only where it leaves a crossing category closed can a participant's openings change it.
    by_programme: dict = {}
    for pid in ids:
        programme = programme_of.get(pid)
        by_programme.setdefault(programme.pk if programme else None, (programme, []))[1].append(pid)
    acts: dict[tuple, list[int]] = {}
    for programme, pids in by_programme.values():
        general = [decide(user, c, programme=programme, purpose=purpose) for c in crossing]
        if all(general):
            _join(acts, _act_key(crossing, general, programme), pids)
            continue
        if openings is None:
            openings = openings_for(user, ids)
        for pid in pids:
            own = [decide(user, c, programme=programme, purpose=purpose,
                          openings=openings.get(pid)) for c in crossing]  # fmt: skip
            _join(acts, _act_key(crossing, own, programme), [pid])
    return [
        (_act_values(recipient=user, recipient_agency=None, purpose=purpose,
                     notice_attached=notice_attached, channel=channel, key=key), pids)
        for key, pids in acts.items()
    ]  # fmt: skip


def _join(acts: dict, key: tuple | None, pids: list[int]) -> None:
    """Participants whose information crossed under `key` join its act (None: nothing crossed)."""
    if key is not None:
        acts.setdefault(key, []).extend(pids)


def _programmes_of(user, ids: list[int], given: dict) -> dict:
    """Participant id -> the programme their categories were shown for: `given`, else the
    programme of their latest referral (by referral date, then id) among the user's team."""
    found = {pid: given[pid] for pid in ids if pid in given}
    missing = [pid for pid in ids if pid not in found]
    if missing:
        programmes = team_programmes(user)
        latest = (
            Referral.objects.filter(participant_id__in=missing, programme__in=list(programmes))
            .order_by("participant_id", "-referral_date", "-id")
            .values_list("participant_id", "programme_id")
        )
        for pid, programme_id in latest:
            found.setdefault(pid, programmes[programme_id])
    return found


def _act_key(crossing, found: list, programme) -> tuple | None:
    """(categories shown, legal basis, reference) of one participant's disclosure, from the
    decisions `found` for the `crossing` categories (in order); None when none was shown."""
    shown: list[Category] = []
    bases: dict[str, list[str]] = {}
    for category, decision in zip(crossing, found, strict=True):
        basis = legal_basis(decision, programme)
        if basis is None:
            continue  # not shown, or shown on no basis that crosses: nothing to record
        shown.append(category)
        bases.setdefault(basis[0], []).append(basis[1])
    if not shown:
        return None
    strongest = next(b for b in _BASIS_ORDER if b in bases)
    references = [r for b in _BASIS_ORDER for r in dict.fromkeys(bases.get(b, []))]
    return (tuple(shown), strongest, "; ".join(references)[:200])


def _act_values(*, recipient, recipient_agency, purpose, notice_attached, channel, key) -> dict:
    categories, basis, reference = key
    ctx = context.current()
    if recipient_agency is None:
        recipient_agency = str(recipient.agency) if recipient.agency_id else ""
    return {
        "at": timezone.now(), "recipient_user_id": getattr(recipient, "pk", None),
        "recipient_agency": recipient_agency[:200],
        "categories": sorted(str(c) for c in categories), "purpose": str(purpose),
        "legal_basis": str(basis), "basis_reference": reference[:200],
        "notice_attached": notice_attached, "channel": channel or ctx.channel,
        "request_id": ctx.request_id,
    }  # fmt: skip


def _acts_write(acts: list[tuple[dict, list[int]]], *, entry=None) -> None:
    """Write each act and its backlog row (its participants), and the audit entry that records
    their digests (`entry`, a read's own, or else a `disclosed` entry: disclosure_records.py),
    in the caller's transaction."""
    if not acts:
        return
    acts_recorded(acts, entry)
    written = DisclosureAct.objects.bulk_create([DisclosureAct(**values) for values, _ in acts])
    DisclosureBacklog.objects.bulk_create(
        DisclosureBacklog(act=act, participant_ids=[int(p) for p in ids])
        for act, (_, ids) in zip(written, acts, strict=True)
    )


def disclosures_index(*, acts_per_transaction: int = 200) -> tuple[int, int]:
    """Move every backlog row's participants into the (participant, act) index: returns (acts,
    participants) moved. Run by the scheduler (`turnpoint disclosures index`).

    Each transaction takes up to `acts_per_transaction` acts, writes their participants and
    deletes their backlog rows. Two runs at once never move an act twice: SQLite writes one
    transaction at a time, and PostgreSQL's `SKIP LOCKED` leaves each run the acts the other has
    not taken."""
    acts = participants = 0
    while True:
        try:
            with transaction.atomic():
                backlog = DisclosureBacklog.objects.order_by("act_id")
                if connection.vendor == "postgresql":
                    backlog = backlog.select_for_update(skip_locked=True)
                batch = list(
                    backlog.values_list("act_id", "participant_ids")[:acts_per_transaction]
                )
                if not batch:
                    return acts, participants
                rows = sorted({(int(pid), act_id) for act_id, ids in batch for pid in ids})
                DisclosedParticipant.objects.bulk_create(
                    DisclosedParticipant(participant_id=p, act_id=a) for p, a in rows
                )
                DisclosureBacklog.objects.filter(act_id__in=[a for a, _ in batch]).delete()
        except IntegrityError as exc:
            raise DisclosureIndexError(_unindexable(batch)) from exc
        acts += len(batch)
        participants += len(rows)


class DisclosureIndexError(Exception):
    """A backlog row names a participant who no longer exists: indexing stops, nothing of the
    batch is moved, and the message names the acts and participants to deal with."""


def _unindexable(batch) -> str:
    """Which participants of a batch that failed to index are missing (the failure path only)."""
    wanted = {int(pid) for _, ids in batch for pid in ids}
    found = set(Participant.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    missing = [
        f"act {act_id} names participant(s) {', '.join(map(str, sorted(set(ids) - found)))}, "
        "who no longer exist"
        for act_id, ids in batch
        if set(ids) - found
    ]
    return "; ".join(missing or ["the database refused the batch"]) + (
        "; nothing was indexed and the backlog is unchanged"
    )
