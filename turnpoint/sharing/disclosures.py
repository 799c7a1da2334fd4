"""Disclosures: each time a participant's information crosses from one agency to another, one
record per participant with its legal basis (security.md SEC-13; 42 CFR 2.25; Caldicott 1).
The participant's accounting of disclosures is read from these rows (SEC-14).

Which agency holds a category: the treatment provider holds the treatment file and drug test
results; the programme team (coordination and probation) holds everything else. A read by a user
of another kind of agency is a disclosure; a read inside the holding kind is not. See
docs/sharing.md, "Disclosures".
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter

from django.db import models, transaction
from django.db.models import Model
from django.db.models.sql.constants import INNER
from django.utils import timezone

from turnpoint.errors import InvalidInput, Problem

from . import acts_sqlite, context
from .categories import TREATMENT, Category, Purpose
from .disclosure_records import acts_recorded
from .models import append_entries
from .rows import _max_params, _prepared, append_rows, insert_statement, one_statement
from .selects import column, one_of

TREATMENT_HOLDS = frozenset(TREATMENT | {Category.DRUG_TESTS, Category.TREATMENT_PROGRESS})
TREATMENT_KINDS = frozenset({"treatment"})
PROGRAMME_TEAM_KINDS = frozenset({"coordination", "probation"})
# An accounting covers at most this period, and by default all of it (SEC-14).
ACCOUNTING_PERIOD = timedelta(days=3 * 365 + 1)
# The strongest basis names the disclosure when categories of one read rest on different ones.
_BASIS_ORDER = ("safeguarding", "court_order", "consent", "statute")


class LegalBasis(models.TextChoices):
    CONSENT = "consent", "Consent"
    STATUTE = "statute", "Statute"
    COURT_ORDER = "court_order", "Court order"
    SAFEGUARDING = "safeguarding", "Safeguarding"


class _WhatCrossed(models.Model):
    """What an act of disclosure records besides its time and recipient person: the act's own
    columns, and the view's (`Disclosure`)."""

    recipient_agency = models.CharField(max_length=200, blank=True)
    categories = models.JSONField()
    purpose = models.CharField(max_length=30)
    legal_basis = models.CharField(max_length=20, choices=LegalBasis.choices)
    basis_reference = models.CharField(max_length=200)
    notice_attached = models.BooleanField()
    channel = models.CharField(max_length=20, blank=True)
    request_id = models.CharField(max_length=32, blank=True)

    class Meta:
        abstract = True


class DisclosureAct(_WhatCrossed):
    """One act of disclosure: which categories crossed to whom, when, for what and on which legal
    basis. The participants it named are written with it as one `DisclosureBacklog` row, and
    become its `DisclosedParticipant` rows when `disclosures_index` runs: a 1,000-row list read
    by a court is one act and one backlog row, not 1,000 copies of the same ten values (most of
    what such a read cost; docs/sharing.md, "How disclosures are stored"). A read whose
    participants' information crossed on different bases is one act per basis."""

    data_category = Category.IDENTITY

    at = models.DateTimeField(default=timezone.now, db_index=True)
    recipient_user = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"Disclosure act {self.pk} to {self.recipient_agency or 'no agency'}"


class DisclosedParticipant(models.Model):
    """A participant whose information one act disclosed. One index, (participant, act), serves
    both the accounting (every act of one participant) and uniqueness.

    Written by `disclosures_index` from the backlog, never by a read. The act is a relation
    without a database constraint: every act id here comes from a backlog row, which is written
    with its act in one transaction, and nothing deletes an act (PROTECT still refuses it in
    Django). On PostgreSQL the constraint was checked once per row at commit, about 8 ms for a
    1,000-row list (docs/sharing.md)."""

    data_category = Category.IDENTITY

    act = models.ForeignKey(
        DisclosureAct, on_delete=models.PROTECT, related_name="participants", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    participant = models.ForeignKey(
        "people.Participant", on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "act"], name="sharing_disclosed_participant_once"
            )
        ]

    def __str__(self) -> str:
        return f"Participant {self.participant_id} in disclosure act {self.act_id}"


class DisclosureBacklog(models.Model):
    """The participants of one act, as written in the read's transaction: one row per act with
    its participant ids in a JSON list, until `disclosures_index` moves them into the
    (participant, act) index as `DisclosedParticipant` rows and deletes this row.

    A read writes its act and this one row and nothing per participant: inserting 1,000 entries
    at 1,000 places of a large index was most of what a court's 1,000-row list cost, and grew
    with the index (docs/decisions/0008-disclosures-are-indexed-after-the-read.md). The
    `Disclosure` view reads both, so the accounting is complete before the index is."""

    data_category = Category.IDENTITY

    act = models.OneToOneField(
        DisclosureAct, primary_key=True, on_delete=models.PROTECT, related_name="+",
        db_constraint=False,
    )  # fmt: skip
    participant_ids = models.JSONField()

    def __str__(self) -> str:
        return f"Participants of disclosure act {self.act_id}, not yet indexed"


class Disclosure(_WhatCrossed):
    """One participant in one act of disclosure, as the accounting of disclosures, the
    data-protection officer and the tests read it: a database view (migration 0012) of every
    `DisclosedParticipant` with its `DisclosureAct`, and of every participant still in a
    `DisclosureBacklog`, so it is never written through and never waits for the index. Its id
    is the act's id times 2**32 plus the participant's, the same before and after indexing.
    Write with `disclosure_write` or `disclosures_for_read`."""

    data_category = Category.IDENTITY

    at = models.DateTimeField()
    act = models.ForeignKey(DisclosureAct, on_delete=models.DO_NOTHING, related_name="+")
    participant = models.ForeignKey(
        "people.Participant", on_delete=models.DO_NOTHING, related_name="disclosures"
    )
    recipient_user = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.DO_NOTHING, related_name="+"
    )

    class Meta:
        managed = False
        db_table = "sharing_disclosure"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Disclosure {self.pk} of participant {self.participant_id}"

    def save(self, *args, **kwargs):
        raise TypeError("disclosures are written with disclosure_write or disclosures_for_read")

    def delete(self, *args, **kwargs):
        raise TypeError("disclosures are never deleted")


def _acts_write(acts: list[tuple[dict, list[int]]], *, entry=None) -> int:
    """Write each (act values, participant ids) pair: the acts, then their participants as one
    backlog row per act, and the audit entry that records them (`entry`, a read's own, or a
    `disclosed` entry: disclosure_records.py). Returns the number of participants.

    All or nothing, in one transaction (the caller's, when there is one). On PostgreSQL the
    acts' insert and the backlog's are common table expressions of one statement
    (`_acts_write_statement`); on SQLite one insert into a view whose trigger writes both
    (acts_sqlite.py), or several for more acts than it can bind."""
    with transaction.atomic(savepoint=False):
        acts_recorded(acts, entry)
        return _acts_insert(acts)


def _acts_insert(acts: list[tuple[dict, list[int]]]) -> int:
    """`_acts_write`'s acts and backlog rows, in the transaction it opens."""
    from django.db import connection

    written = sum(len(participants) for _, participants in acts)
    if connection.vendor == "sqlite":
        fields, params = _prepared(DisclosureAct, [values for values, _ in acts])
        ids = DisclosureBacklog._meta.get_field("participant_ids")
        width, values = len(fields), []
        for n, (_, participants) in enumerate(acts):
            values += params[n * width : (n + 1) * width]
            values.append(ids.get_db_prep_save(list(map(int, participants)), connection))
        columns = tuple(f.column for f in fields)
        # As many acts a statement as SQLite binds values; more (a read whose participants
        # crossed on thousands of bases) take several statements, in one transaction.
        per = max(1, _max_params() // (width + 1))
        together = one_statement() if len(acts) <= per else transaction.atomic(savepoint=False)
        with together, connection.cursor() as cursor:
            for start in range(0, len(acts), per):
                count = min(per, len(acts) - start)
                cursor.execute(
                    acts_sqlite.insert_sql(columns, count),
                    values[start * (width + 1) : (start + count) * (width + 1)],
                )
        return written
    ctes, insert, params = _acts_write_statement(acts)
    with one_statement(), connection.cursor() as cursor:
        cursor.execute(f"WITH {ctes} {insert}", params)
    return written


def _acts_write_statement(acts: list[tuple[dict, list[int]]]) -> tuple[str, str, list]:
    """PostgreSQL: the acts' INSERT as a common table expression whose new ids, numbered in the
    order the INSERT took them from the sequence (its rows' order), pair with the participant
    lists of a VALUES list to make the backlog rows. Returned as (the common table expressions,
    the backlog's INSERT, the parameters): `WITH {ctes} {insert}` is the statement, and a read's
    audit append takes the INSERT as one more expression of its own statement (`_read_write`)."""
    import json

    from django.db import connection

    q = connection.ops.quote_name
    insert, params = insert_statement(DisclosureAct, [values for values, _ in acts])
    act_id = q(DisclosureAct._meta.pk.column)
    backlog = DisclosureBacklog._meta
    pairs = ", ".join(["(%s, %s::jsonb)"] * len(acts))
    for number, (_, participants) in enumerate(acts, start=1):
        params += [number, json.dumps(list(map(int, participants)))]
    # Names from the models; every value is a bound parameter.
    ctes = (
        f"new AS ({insert} RETURNING {act_id}), "  # noqa: S608
        f"numbered AS (SELECT {act_id}, row_number() OVER (ORDER BY {act_id}) AS n FROM new)"
    )
    backlog_insert = (
        f"INSERT INTO {q(backlog.db_table)} "  # noqa: S608
        f"({q(backlog.get_field('act').column)}, {q(backlog.get_field('participant_ids').column)}) "
        f"SELECT numbered.{act_id}, v.ids FROM numbered "
        f"JOIN (VALUES {pairs}) AS v (n, ids) ON v.n = numbered.n"
    )
    return ctes, backlog_insert, params


def _read_write(entry, acts: list[tuple[dict, list[int]]]) -> None:
    """Write a read's audit entry (or None) and its disclosure acts, all or nothing: in one
    transaction (the caller's, when there is one), the entry carrying the acts' digests."""
    if acts:
        _acts_write(acts, entry=entry)
    elif entry is not None:
        append_entries([entry])


def disclosures_index(*, acts_per_transaction: int = 200) -> tuple[int, int]:
    """Move every backlog row's participants into the (participant, act) index: returns (acts,
    participants) moved. Run from cron (`turnpoint disclosures index`); readers do not need it,
    since the `Disclosure` view reads the backlog too, but the view's backlog part has no index,
    so the accounting slows as the backlog grows.

    Each transaction takes up to `acts_per_transaction` acts, writes their participants sorted
    by participant (so each page of the index is written once per batch, not once per act) and
    deletes their backlog rows. Two runs at once never move an act twice: SQLite writes one
    transaction at a time, and PostgreSQL's `SKIP LOCKED` leaves each run the acts the other has
    not taken."""
    from django.db import IntegrityError, connection, transaction

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
                rows = sorted((int(pid), act_id) for act_id, ids in batch for pid in ids)
                append_rows(
                    DisclosedParticipant, [{"participant_id": p, "act_id": a} for p, a in rows]
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
    from turnpoint.people.models import Participant

    wanted = sorted({int(pid) for _, ids in batch for pid in ids})
    found: set[int] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(Participant.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    missing = [
        f"act {act_id} names participant(s) {', '.join(map(str, sorted(set(ids) - found)))}, "
        "who no longer exist"
        for act_id, ids in batch
        if set(ids) - found
    ]
    return "; ".join(missing or ["the database refused the batch"]) + (
        "; nothing was indexed and the backlog is unchanged"
    )


def disclosure_write(*, recipient, participant_ids, categories, purpose, legal_basis,
                     basis_reference, notice_attached, channel="",
                     recipient_agency=None) -> int:  # fmt: skip
    """Record one disclosure per participant; return how many. Call in the transaction of the
    disclosure.

    `recipient` is the person; a document sent to an agency (a statutory report to the court)
    passes `recipient=None` and `recipient_agency`."""
    if legal_basis not in LegalBasis.values:
        raise ValueError(f"a disclosure needs a legal basis, not {legal_basis!r}")
    if not basis_reference:
        raise ValueError("a disclosure names its basis (consent id, statute, order or break-glass)")
    if recipient is None and not recipient_agency:
        raise ValueError("a disclosure names its recipient: a person or an agency")
    if recipient_agency is None:
        recipient_agency = str(recipient.agency) if recipient.agency_id else ""
    ctx = context.current()
    shared = {
        "at": timezone.now(), "recipient_user_id": getattr(recipient, "pk", None),
        "recipient_agency": str(recipient_agency)[:200],
        "categories": sorted(str(c) for c in categories), "purpose": str(purpose),
        "legal_basis": str(legal_basis), "basis_reference": basis_reference[:200],
        "notice_attached": notice_attached, "channel": channel or ctx.channel,
        "request_id": ctx.request_id,
    }  # fmt: skip
    ids = list(dict.fromkeys(getattr(p, "pk", p) for p in participant_ids))
    return _acts_write([(shared, ids)]) if ids else 0


def holding_kinds(category: str) -> frozenset[str]:
    """The agency kinds that hold this category of information."""
    return TREATMENT_KINDS if category in TREATMENT_HOLDS else PROGRAMME_TEAM_KINDS


def crosses(user, category: str) -> bool:
    """Is showing this category to this user a disclosure to another agency?

    A user with no agency belongs to no holder, so every read of theirs crosses."""
    kind = user.agency.kind if user.agency_id else ""
    return kind not in holding_kinds(category)


def statute_reference(programme) -> str:
    """The law under which a programme's team shares: `policy.statutory_reference` of the
    definition when set, otherwise the programme's legal basis up to its first colon."""
    if programme is None:
        return ""
    policy = (programme.definition or {}).get("policy", {})
    return _statute(policy.get("statutory_reference"), programme.legal_basis)


def _statute(reference, legal_basis: str) -> str:
    return " ".join(str(reference or legal_basis.split(":")[0]).split())[:200]


def _statutes(programmes, user) -> dict:
    """Programme id -> statute reference, without loading a deferred definition per row: the
    programmes whose fields were deferred are taken from the user's team programmes, kept per
    process (`policy.team_programmes`); one query for any other, none otherwise."""
    from django.db.models.fields.json import KT

    from turnpoint.programmes.models import Programme

    from .policy import team_programmes

    found, deferred = {}, set()
    for programme in {id(p): p for p in programmes if p is not None}.values():
        if programme.pk in found:
            continue
        if {"definition", "legal_basis"} & programme.get_deferred_fields():
            deferred.add(programme.pk)
        else:
            found[programme.pk] = statute_reference(programme)
    deferred -= set(found)
    if deferred:
        team = team_programmes(user)
        found.update({pk: statute_reference(team[pk]) for pk in deferred if pk in team})
        deferred -= set(found)
    if deferred:
        rows = Programme.objects.filter(pk__in=deferred).values_list(
            "pk", "legal_basis", KT("definition__policy__statutory_reference")
        )
        found.update({pk: _statute(ref, legal) for pk, legal, ref in rows})
    return found


def _legal_basis(decision_basis: str, programme, statutes) -> tuple[str, str] | None:
    """(legal basis, reference) for a policy `Decision.basis`, or None without one."""
    kind, _, ref = decision_basis.partition(":")
    if kind == "consent":
        return LegalBasis.CONSENT, f"consent {ref}"
    if kind == "break_glass":
        return LegalBasis.SAFEGUARDING, f"break-glass {ref}"
    if kind == "court_order":
        return LegalBasis.COURT_ORDER, f"court order {ref}"
    if kind in ("role", "programme") and programme is not None:
        return LegalBasis.STATUTE, statutes[programme.pk]
    if kind == "statute" and programme is not None:
        return LegalBasis.STATUTE, statutory_report_reference(programme, ref.partition(":")[2])
    return None


def statutory_report_reference(programme, code: str) -> str:
    """The reference of a declared statutory report: its statute and its name."""
    declared = programme.statutory_disclosure(code) or {}
    statute = declared.get("statute") or statute_reference(programme)
    name = declared.get("name")
    return " ".join(f"{statute} ({name})".split() if name else statute.split())[:200]


def disclosures_for_read(user, *, participants, categories, purpose=None,
                         programme_by_participant=None, consents=None, notice_attached=False,
                         channel="", court_orders=None) -> int:  # fmt: skip
    """Write one disclosure per participant for the categories shown to `user` that cross from
    the agency holding them to the user's agency (SEC-13). Call in the transaction of the read's
    `audit_read`.

    `programme_by_participant` maps participant id to the programme the categories were shown
    for (the basis of a role default or a programme switch is that programme's law); missing
    entries are looked up in one query. `consents` (from `consents.active_consents`) avoids a
    query when consents opened a category, and `court_orders` (from
    `court_orders.active_court_orders`) likewise for court orders. Same-agency reads write
    nothing and ask nothing of the database. Returns the number of disclosures written."""
    acts = _acts_for_read(
        user, participants=participants, categories=categories, purpose=purpose,
        programme_by_participant=programme_by_participant, consents=consents,
        notice_attached=notice_attached, channel=channel, court_orders=court_orders,
    )  # fmt: skip
    return _acts_write(acts) if acts else 0


def _acts_for_read(user, *, participants, categories, purpose=None, programme_by_participant=None,
                   consents=None, notice_attached=False, channel="",
                   court_orders=None) -> list:  # fmt: skip
    """The disclosure acts `disclosures_for_read` writes, as (act values, participant ids)
    pairs: decided and grouped, nothing written."""
    from .policy import decide, default_purpose

    purpose = purpose or default_purpose(user)
    crossing = sorted({Category(c) for c in categories if crosses(user, c)})
    participants = list(participants)
    listed = ids_of(participants)
    ids = list(dict.fromkeys(listed))
    if not crossing or not ids:
        return []
    # Each participant's programme as its key, and the programmes by key: a list's 1,000 rows
    # share a handful of programmes, and the key is what the loops below compare.
    given = programme_by_participant or {}
    programme_of = {pid: getattr(p, "pk", None) for pid, p in given.items()}
    programmes = {p.pk: p for p in given.values() if p is not None}
    missing = [pid for pid in ids if pid not in given] if given else ids
    if missing:
        found, loaded = _programme_keys(user, missing, _programmes_shown(participants, listed))
        programme_of.update(found)
        programmes.update(loaded)
    statutes = _statutes(programmes.values(), user)

    def decided(pid, category, general):
        """The decision for one participant: the programme's, unless it denies and a consent,
        court order or break-glass of theirs opens the category."""
        if general.allowed:
            return general
        nonlocal consents, court_orders
        if consents is None:
            from .consents import active_consents

            consents = active_consents(ids)
        if court_orders is None:
            from .court_orders import active_court_orders

            court_orders = active_court_orders(ids)
        return decide(user, category, programme=programmes.get(programme_of.get(pid)),
                      purpose=purpose, participant=pid, consents=consents,
                      court_orders=court_orders)  # fmt: skip

    def own_key(pid, programme, general: list) -> tuple | None:
        """The act key of one participant whose programme leaves a crossing category closed."""
        found = [decided(pid, c, d) for c, d in zip(crossing, general, strict=True)]
        return _act_key(crossing, found, programme, statutes)

    # Asked once per programme: where the programme's own answers allow every crossing category,
    # each of its participants' disclosures has the same key, worked out once, and they join
    # its act together (a list's 1,000 rows share a handful of programmes); otherwise each
    # participant's own consents and orders are asked about.
    of_programme: dict = {}  # programme id -> its participants' ids, in the read's order
    for pid in ids:
        of_programme.setdefault(programme_of.get(pid), []).append(pid)
    shared = _act_shared(user, purpose, notice_attached, channel)
    # Participants whose information crossed in the same categories on the same basis share
    # one act.
    acts: dict = {}  # (categories, basis, reference) -> (act values, participant ids)
    for pk, pids in of_programme.items():
        programme = programmes.get(pk)
        general = [decide(user, c, programme=programme, purpose=purpose) for c in crossing]
        if all(d.allowed for d in general):
            keyed = [(_act_key(crossing, general, programme, statutes), pids)]
        else:
            keyed = [(own_key(pid, programme, general), [pid]) for pid in pids]
        for key, shown in keyed:
            if key is None:
                continue
            if key not in acts:
                acts[key] = (_act_values(shared, key), [])
            acts[key][1].extend(shown)
    return list(acts.values())


def _act_key(crossing, found: list, programme, statutes) -> tuple | None:
    """(categories shown, legal basis, reference) of one participant's disclosure, from the
    decisions `found` for the `crossing` categories (in order); None when none was shown."""
    shown, bases = [], {}
    for category, decision in zip(crossing, found, strict=True):
        basis = _legal_basis(decision.basis, programme, statutes) if decision.allowed else None
        if basis is None:
            continue  # not shown: nothing crossed
        shown.append(category)
        bases.setdefault(basis[0], []).append(basis[1])
    if not shown:
        return None
    legal_basis = next(b for b in _BASIS_ORDER if b in bases)
    references = [r for b in _BASIS_ORDER for r in dict.fromkeys(bases.get(b, []))]
    return (tuple(shown), legal_basis, "; ".join(references)[:200])


def _act_shared(user, purpose, notice_attached: bool, channel: str) -> dict:
    """The values every act of one read by `user` shares."""
    ctx = context.current()
    return {
        "at": timezone.now(),  # one read, one moment: every row of it carries the same time
        "recipient_user_id": user.pk,
        "recipient_agency": str(user.agency) if user.agency_id else "",
        "purpose": str(purpose), "notice_attached": notice_attached,
        "channel": channel or ctx.channel, "request_id": ctx.request_id,
    }  # fmt: skip


def _act_values(shared: dict, key: tuple) -> dict:
    """An act's values: what the read shares, and what its key says crossed and why."""
    categories, legal_basis, reference = key
    return {
        **shared, "categories": [str(c) for c in categories],
        "legal_basis": str(legal_basis), "basis_reference": reference,
    }  # fmt: skip


def read_recorded(user, *, participants, categories, purpose=None, obj=None, detail=None,
                  programme_by_participant=None, consents=None, ahead=False) -> int:  # fmt: skip
    """Audit a read and log its disclosures together: the one call for pages and the API.

    A read inside the holding agency costs what `audit_read` costs and nothing more. A read
    across agencies writes its audit row and its acts all or nothing, in one transaction
    (`_read_write`), before this returns. `ahead` is accepted from callers not yet changed and
    no longer does anything: nothing is sent ahead."""
    from .policy import read_entry

    participants = list(participants)
    # Decided first, then written together: no transaction is open while the acts are worked out.
    entry = read_entry(user, participants=participants, categories=categories, purpose=purpose,
                       obj=obj, detail=detail)  # fmt: skip
    if not any(crosses(user, c) for c in categories):
        _read_write(entry, [])  # the audit row `audit_read` writes, if any
        return 0
    acts = _acts_for_read(
        user, participants=participants, categories=categories, purpose=purpose,
        programme_by_participant=programme_by_participant, consents=consents,
    )  # fmt: skip
    _read_write(entry, acts)
    return sum(len(ids) for _, ids in acts)


# The column `with_programme_shown` adds to a list's rows.
PROGRAMME_SHOWN = "programme_shown_id"


def with_programme_shown(user, participants, categories):
    """The queryset of a list of participants to be shown to `user`, each row with the programme
    its categories are shown for (`_programme_keys`'s answer) as a column of the list's own query,
    when showing `categories` crosses agencies; the queryset as it is otherwise.

    A correlated subquery for the rows of the page only, read backwards from the referrals'
    (participant, referral_date, id, programme) index with no sort. On PostgreSQL the separate
    lookup of 1,000 participants' programmes, with their ids sent as an array, took 8-15 ms of a
    1,000-row list, most of it the array's conversion and planning (docs/benchmarks.md)."""
    from django.db import connections
    from django.db.models.expressions import Col

    from turnpoint.journeys.models import Referral

    from .policy import team_programme_ids

    if not any(crosses(user, c) for c in categories):
        return participants
    team = team_programme_ids(user)
    if connections[participants.db].vendor != "postgresql":
        return participants.annotate(**{PROGRAMME_SHOWN: LatestProgramme(team)})
    # PostgreSQL: one probe of the index a row, for the programme and the reach together.
    participants = participants.all()
    query = participants.query
    alias = query.join(LatestProgrammeJoin(query.get_initial_alias(), team))
    column = Col(alias, Referral._meta.get_field("programme"), models.IntegerField())
    return participants.annotate(**{PROGRAMME_SHOWN: column})


def participants_read(user, participants, categories) -> list:
    """The rows of a page of a participants list (a sliced queryset from
    `with_programme_shown`), read and accounted for: each row whose `categories` cross to the
    user's agency is a disclosure (SEC-13), recorded as `read_recorded` records it.

    Where every programme of the user's team decides alike for all its participants (a role
    default or the programme's law: no one participant's consent, court order or break-glass
    changes what crosses) and no category the read shows is audited, the page's acts are the
    team's, decided once and kept (`_page_acts`): the rows are read, grouped by the programme
    each carries into those acts in one pass (`_grouped_page`), and the acts written, with no
    decision made a row at a time. Otherwise the rows are read, then recorded a participant at
    a time. Either way the record is written, with its audit entry, before this returns."""
    acts = _kept_page_acts(user, participants, categories)
    rows = list(participants)
    if acts is None:
        read_recorded(user, participants=rows, categories=categories)
    else:
        grouped = _grouped_page(user, rows, acts)
        if grouped:
            _acts_write(grouped)
    return rows


def _kept_page_acts(user, participants, categories) -> tuple | None:
    """`_page_acts` for a page of `participants` showing `categories`, or None where its acts
    are not the team's alone: nothing crosses, an audited category is shown (its audit row
    names the page's participants), or the rows do not carry their programme
    (`with_programme_shown`)."""
    from .categories import SENSITIVE

    crossing = tuple(sorted({Category(c) for c in categories if crosses(user, c)}))
    if not crossing or set(categories) & SENSITIVE:
        return None
    if PROGRAMME_SHOWN not in participants.query.annotations:
        return None
    return _page_acts(user, crossing)


def _grouped_page(user, rows: list, acts: tuple) -> list[tuple[dict, list[int]]]:
    """The (act values, participant ids) pairs of a page's `rows` under its kept `acts`
    (`_page_acts`): each row joins the act of the programme it carries, in the page's order,
    and an act is written only where the page has rows for it. One pass over the rows:
    deciding them through `_acts_for_read` took about 1 ms of a 1,000-row cross-agency list on
    SQLite (docs/benchmarks.md)."""
    from .policy import default_purpose

    number = {pk: n for n, (_, programmes) in enumerate(acts) for pk in programmes}
    found: list[list[int]] = [[] for _ in acts]
    for pid, programme in zip(ids_of(rows), map(attrgetter(PROGRAMME_SHOWN), rows), strict=True):
        n = number.get(programme)
        if n is not None:
            found[n].append(pid)
    shared = _act_shared(user, default_purpose(user), False, "")
    return [
        (_act_values(shared, key), ids) for (key, _), ids in zip(acts, found, strict=True) if ids
    ]


def _page_acts(user, crossing: tuple) -> tuple | None:
    """The acts a page of a participants list shown to `user` writes for the `crossing`
    categories, as ((act key, the programme ids whose rows it names), ...) in a fixed order;
    None when a programme of the user's team leaves one of them closed (a participant's own
    consent or order may open it: decided a row at a time) or when nothing crosses on any basis.

    Decided without a participant, so from what `policy.decide` and `_act_key` read then: the
    user's role, whether their account is active, their agency's kind (`crosses`), the role's
    default purpose, and the team's programmes, each under the `loaded_at` its team's query
    reads (`policy.team_programmes` keeps the programmes under it). The answer is kept per
    process under exactly those, so a changed programme, role, account or agency decides
    afresh; an answer worked out inside a transaction is not kept, as that transaction could
    still roll back what it read. Deciding and grouping every request was about 0.4 ms of a
    1,000-row cross-agency list on PostgreSQL (docs/benchmarks.md)."""
    from django.db import connection

    from .policy import _team, decide, default_purpose, team_programmes

    purpose = default_purpose(user)
    kind = user.agency.kind if user.agency_id else ""
    key = (connection.alias, user.role, user.is_active, kind, crossing, purpose, _team(user))
    if key in _PAGE_ACTS:
        return _PAGE_ACTS[key]
    programmes = team_programmes(user)
    statutes = _statutes(programmes.values(), user)
    groups: dict | None = {}  # act key -> the programme ids whose rows it names
    for pk, programme in programmes.items():
        general = [decide(user, c, programme=programme, purpose=purpose) for c in crossing]
        if not all(d.allowed for d in general):
            groups = None
            break
        act = _act_key(crossing, general, programme, statutes)
        if act is not None:
            groups.setdefault(act, []).append(pk)
    found = tuple((act, tuple(ids)) for act, ids in groups.items()) if groups else None
    if not connection.in_atomic_block:
        if len(_PAGE_ACTS) >= _PAGE_ACTS_KEPT:
            _PAGE_ACTS.clear()
        _PAGE_ACTS[key] = found
    return found


# (alias, role, active, agency kind, categories, purpose, team) -> `_page_acts`'s answer.
_PAGE_ACTS: dict[tuple, tuple | None] = {}
_PAGE_ACTS_KEPT = 1024


class LatestProgrammeJoin:
    """PostgreSQL: the participant's latest referral (by referral date, then id) among
    `programmes`, joined to each row of a participants query. The programme kept on the
    participant's own row (`journeys.latest_programme`, the latest referral overall) answers
    when it is one of `programmes`; otherwise one backward probe of the referrals' (participant,
    referral_date, id, programme) index does, as a subplan run only for those rows (decision
    0011: the probe was about 2 ms of a 1,000-row cross-agency list). Inner, and on a programme
    that is not NULL, so a participant without such a referral has no row: that is the reach
    condition itself, and `policy.ReferredTo` of the same programmes writes no `EXISTS` of its
    own in a query that has this join in its FROM (`joins_latest_programme`).

    An entry of the query's `alias_map`, as Django's own joins are: it answers what `Query.join`
    and relabelling (a query used inside another) ask of one."""

    join_type = INNER
    nullable = False
    filtered_relation = None
    join_field = None
    table_name = "latest_programme"  # names the join's alias; there is no such table

    def __init__(self, parent_alias, programmes, table_alias=None):
        self.parent_alias = parent_alias
        self.programmes = tuple(int(pk) for pk in programmes)
        self.table_alias = table_alias

    def as_sql(self, compiler, connection):
        from turnpoint.journeys import latest_programme
        from turnpoint.journeys.models import Referral

        from .selects import one_of

        latest, param = _latest_programme_sql(compiler, self.programmes, self.parent_alias)
        alias = compiler.quote_name_unless_alias(self.table_alias)
        q = connection.ops.quote_name
        kept = f"{compiler.quote_name_unless_alias(self.parent_alias)}.{q(latest_programme.COLUMN)}"
        ours, kept_param = one_of(kept, self.programmes)
        programme = q(Referral._meta.get_field("programme").column)
        # Names from the models and latest_programme.py; the programme ids are bound parameters.
        sql = (
            f"INNER JOIN LATERAL (SELECT CASE WHEN {ours} THEN {kept} ELSE {latest} END "
            f"AS {programme}) {alias} ON {alias}.{programme} IS NOT NULL"
        )
        return sql, [kept_param, param]

    def relabeled_clone(self, change_map):
        return self.__class__(
            change_map.get(self.parent_alias, self.parent_alias),
            self.programmes,
            change_map.get(self.table_alias, self.table_alias),
        )

    @property
    def identity(self):
        return self.__class__, self.parent_alias, self.programmes

    def __eq__(self, other):
        if not isinstance(other, LatestProgrammeJoin):
            return NotImplemented
        return self.identity == other.identity

    def __hash__(self):
        return hash(self.identity)

    def equals(self, other):
        return self == other

    def demote(self):
        return self.relabeled_clone({})

    def promote(self):
        # Never outer: an outer join would no longer be the reach condition, and
        # `joins_latest_programme` checks the type before leaving the condition out.
        return self.relabeled_clone({})


def joins_latest_programme(compiler, programmes) -> bool:
    """Does the FROM of the query being compiled join the latest referral among `programmes`
    to its participant (`LatestProgrammeJoin`, inner)? Django writes the FROM before the WHERE,
    from the same aliases, so a join counted here is in the statement."""
    query = compiler.query
    initial = query.get_initial_alias()
    programmes = tuple(int(pk) for pk in programmes)
    return any(
        isinstance(join, LatestProgrammeJoin)
        and join.join_type == INNER
        and join.parent_alias == initial
        and join.programmes == programmes
        and query.alias_refcount.get(alias)
        for alias, join in query.alias_map.items()
    )


class LatestProgramme(models.Expression):
    """The programme of the participant's latest referral (by referral date, then id) among
    `programmes`, as a column of a participants query (SQLite; PostgreSQL joins it,
    `LatestProgrammeJoin`): the programme kept on the participant's row
    (`journeys.latest_programme`) where it is one of `programmes`, the referrals otherwise.
    SQL written here, around the outer query's own alias for the participant, because building
    and compiling the same subquery as a queryset (`Subquery(Referral.objects.filter(
    participant=OuterRef("pk"), ...))`) took about 0.6 ms of every cross-agency list
    (docs/benchmarks.md). The programme ids are bound parameters (`selects.one_of`)."""

    def __init__(self, programmes):
        super().__init__(output_field=models.IntegerField(null=True))
        self.programmes = tuple(int(pk) for pk in programmes)

    def as_sql(self, compiler, connection):
        from turnpoint.journeys import latest_programme

        from .selects import one_of

        latest, param = _latest_programme_sql(compiler, self.programmes)
        outer = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        kept = f"{outer}.{connection.ops.quote_name(latest_programme.COLUMN)}"
        ours, kept_param = one_of(kept, self.programmes)
        return f"CASE WHEN {ours} THEN {kept} ELSE {latest} END", [kept_param, param]

    def get_db_converters(self, connection):
        """None: both databases return the id as an int (or NULL). An integer expression's
        default converter made Django pass every row of the list through its converters, about
        1.5 ms of a 1,000-row list's CPU time (docs/benchmarks.md)."""
        return []


def _latest_programme_sql(compiler, programmes, outer=None) -> tuple[str, object]:
    """`(SELECT programme_id ... LIMIT 1)`: the programme of the latest referral (by referral
    date, then id) among `programmes` of the participant of the query being compiled (under
    `outer`, its initial alias unless given), read backwards from the referrals' (participant,
    referral_date, id, programme) index. `LatestProgramme` makes it a column and
    `LatestProgrammeJoin` a lateral join. The programme ids are one bound parameter."""
    from django.db import connection

    from turnpoint.journeys.models import Referral

    from .selects import referrals_of_outer

    q = connection.ops.quote_name
    field = Referral._meta.get_field
    referrals, param = referrals_of_outer(compiler, "latest", programmes, outer)
    # Names from the models; the programme ids are a bound parameter.
    sql = (
        f"(SELECT latest.{q(field('programme').column)} {referrals} "
        f"ORDER BY latest.{q(field('referral_date').column)} DESC, "
        f"latest.{q(field('id').column)} DESC LIMIT 1)"
    )
    return sql, param


def ids_of(participants) -> list[int]:
    """The ids of participants given as model instances or as ids, in order.

    A list's 1,000 instances are asked for their key with one attribute getter: through
    `Model.pk`, a property that looks the key's name up on every call, 0.15 ms against 0.08 on
    SQLite, and a cross-agency read used to take its ids five times. Any other item (an id)
    sends the whole list the slow way, which takes what each item is."""
    first = participants[0] if participants else None
    if isinstance(first, Model):
        try:
            return list(map(attrgetter(first._meta.pk.attname), participants))
        except AttributeError:
            pass
    return [getattr(p, "pk", p) for p in participants]


def _programmes_shown(participants, ids) -> dict[int, int]:
    """Participant id -> programme id, for rows of a list from `with_programme_shown` (`ids`
    are the rows' ids, in order)."""
    if not participants or not hasattr(participants[0], PROGRAMME_SHOWN):
        return {}
    shown = map(attrgetter(PROGRAMME_SHOWN), participants)
    return {pid: pk for pid, pk in zip(ids, shown, strict=True) if pk is not None}


def _programme_keys(user, participant_ids, shown=None) -> tuple[dict[int, int], dict]:
    """(participant id -> the programme id of their latest referral among the user's teams,
    programme id -> programme), in two queries at most whatever the number of participants: the
    user's programmes (none while they are kept: `policy.team_programmes`), then one
    (participant, programme) pair per referral. Rows of a list from `with_programme_shown` carry
    theirs (`shown`: participant id -> programme id): only the user's programmes are read for
    them. A participant without such a referral is left out.

    The second is plain SQL with the ids in one parameter (a JSON array on SQLite, an array on
    PostgreSQL): through the ORM, binding and converting a 1,000-id `IN` list took 6.6 ms of a
    cross-agency list on SQLite, the query itself 1.2 (docs/benchmarks.md). Loading each
    referral with its programme had built and parsed the programme's definition once per row."""
    from django.db import connection

    from turnpoint.journeys.models import Referral

    from .policy import team_programmes

    programmes = team_programmes(user)  # kept per process while their `loaded_at` stands
    if not programmes:
        return {}, {}
    shown = shown or {}
    if shown.keys() == set(participant_ids) and programmes.keys() >= set(shown.values()):
        return dict(shown), programmes  # every row carried one of the user's programmes
    found = {pid: shown[pid] for pid in participant_ids if shown.get(pid) in programmes}
    participant_ids = [pid for pid in participant_ids if pid not in found]
    if not participant_ids:
        return found, programmes
    of_participants, ids = one_of(column(Referral, "participant"), participant_ids)
    in_programmes, programme_ids = one_of(column(Referral, "programme"), programmes)
    # Names from the model; both id lists are bound parameters.
    sql = (
        f"SELECT {column(Referral, 'participant')}, {column(Referral, 'programme')} "  # noqa: S608
        f"FROM {connection.ops.quote_name(Referral._meta.db_table)} "
        f"WHERE {of_participants} AND {in_programmes} ORDER BY {column(Referral, 'participant')}, "
        f"{column(Referral, 'referral_date')} DESC, {column(Referral, 'id')} DESC"
    )
    with connection.cursor() as cursor:  # policy-gate: ids come from policy-checked rows
        cursor.execute(sql, [ids, programme_ids])
        for participant_id, programme_id in cursor.fetchall():
            found.setdefault(participant_id, programme_id)
    return found, programmes


# Accounting of disclosures ----------------------------------------------------------------------

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
