"""`turnpoint import justice-records FILE`: justice records linked to participants by identifier
(docs/outcomes.md, "Importing justice records").

The whole file is read and checked before anything is written: a file with any bad row is
refused with the row number, the field and the reason of every problem, and nothing is stored.
A good file is written in one transaction. Each row's `import_key` (a hash of its source
reference and its identifying fields) is unique, so a row imported before is counted as already
imported and not written again: importing the same file twice changes nothing the second time.
"""

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from turnpoint.people.identifiers import identifier_problems, normalise
from turnpoint.people.models import IDENTIFIER_CATEGORY, ExternalIdentifier, Participant
from turnpoint.sharing.audit import audit_write
from turnpoint.sharing.categories import Category
from turnpoint.text import text_problems

from .models import JUSTICE_KINDS, KIND_CATEGORY, EventKind, EventSource, OutcomeEvent
from .services import REFERENCE_MAX, outcome_event_problems

COLUMNS = (
    "identifier_kind", "identifier", "kind", "offence_date", "outcome_date", "offence_category",
    "outcome", "source_reference",
)  # fmt: skip
REQUIRED = ("identifier_kind", "identifier", "kind", "outcome_date", "outcome", "source_reference")
# The identifiers a justice record may name a participant by: the legal ones.
JUSTICE_IDENTIFIERS = tuple(k for k, c in IDENTIFIER_CATEGORY.items() if c == Category.LEGAL)
FORMATS = ("csv", "jsonl")
MAX_ROWS = 200_000


@dataclass(frozen=True)
class RowProblem:
    row: int  # the line of the file (a CSV's header is line 1)
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


@dataclass
class ImportResult:
    file: str
    rows: int = 0
    new: int = 0
    already_imported: int = 0
    dry_run: bool = False
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def format_of(path: Path, given: str | None) -> str | None:
    if given:
        return given
    suffix = path.suffix.lower()
    return {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(suffix)


def _rows(text: str, fmt: str) -> tuple[list[tuple[int, dict]], list[RowProblem]]:
    """(line number, raw values) of each data row, or the problems that stop reading."""
    rows: list[tuple[int, dict]] = []
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        header = reader.fieldnames or []
        missing = [c for c in COLUMNS if c not in header]
        unknown = [c for c in header if c not in COLUMNS]
        problems = []
        if missing:
            problems.append(RowProblem(1, "header", f"lacks the columns: {', '.join(missing)}"))
        if unknown:
            problems.append(RowProblem(1, "header", f"has unknown columns: {', '.join(unknown)}"))
        if problems:
            return [], problems
        for values in reader:
            line = reader.line_num
            if None in values:
                problems.append(RowProblem(line, "", "has more values than the header has columns"))
                continue
            if not any((v or "").strip() for v in values.values()):
                continue  # a blank line
            rows.append((line, {k: (v or "") for k, v in values.items()}))
        return rows, problems
    problems = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            values = json.loads(raw)
        except ValueError as error:
            problems.append(RowProblem(line, "", f"is not a JSON object ({error.msg})"))
            continue
        if not isinstance(values, dict):
            problems.append(RowProblem(line, "", "is not a JSON object"))
            continue
        unknown = sorted(k for k in values if k not in COLUMNS)
        if unknown:
            problems.append(RowProblem(line, "", f"has unknown fields: {', '.join(unknown)}"))
        rows.append((line, {k: "" if values.get(k) is None else str(values.get(k))
                            for k in COLUMNS}))  # fmt: skip
    return rows, problems


def _date(line: int, name: str, value: str, problems: list[RowProblem]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(RowProblem(line, name, f"'{value}' is not a date written as YYYY-MM-DD"))
        return None


def _kept(participant: Participant, by_pk: dict[int, Participant]) -> Participant:
    """The record a merged participant was merged into (following merges of merges)."""
    seen = set()
    while participant.merged_into_id is not None and participant.pk not in seen:
        seen.add(participant.pk)
        participant = by_pk.get(participant.merged_into_id) or Participant.objects.get(
            pk=participant.merged_into_id
        )
    return participant


def _who(rows: list[tuple[int, dict]]) -> dict[tuple[str, str], list[Participant]]:
    """(kind, normalised value) -> the distinct participants (merged ones resolved to the kept
    record) holding that current identifier, in one query for the whole file."""
    wanted = {(v["identifier_kind"].strip(), normalise("", v["identifier"])) for _, v in rows}
    held = (
        ExternalIdentifier.objects.filter(
            withdrawn_at__isnull=True,
            kind__in={k for k, _ in wanted},
            normalised__in={n for _, n in wanted},
        )
        .select_related("participant")
        .order_by("pk")
    )
    by_pk = {i.participant.pk: i.participant for i in held}
    found: dict[tuple[str, str], list[Participant]] = {}
    for i in held:
        if (i.kind, i.normalised) not in wanted:
            continue
        person = _kept(i.participant, by_pk)
        people = found.setdefault((i.kind, i.normalised), [])
        if all(p.pk != person.pk for p in people):
            people.append(person)
    return found


def import_key(values: dict) -> str:
    """The row's identity: its source reference and the facts that make it this event, with the
    identifier as compared (so spacing and case do not make a new row)."""
    parts = [values["source_reference"].strip(), values["identifier_kind"].strip(),
             normalise("", values["identifier"])] + [
        values[c].strip() for c in ("kind", "offence_date", "outcome_date", "offence_category",
                                    "outcome")
    ]  # fmt: skip
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def check_rows(rows: list[tuple[int, dict]], *, today: date) -> tuple[list[dict], list[RowProblem]]:
    """Every row checked; (the events to write, every problem)."""
    problems: list[RowProblem] = []
    events: list[dict] = []
    who = _who(rows)
    first_seen: dict[str, int] = {}
    for line, raw in rows:
        values = {k: raw.get(k, "").strip() for k in COLUMNS}
        row_problems: list[RowProblem] = []
        for name in REQUIRED:
            if not values[name]:
                row_problems.append(RowProblem(line, name, "is required"))
        for name in COLUMNS:
            for p in text_problems(name, values[name], max_length=REFERENCE_MAX):
                row_problems.append(RowProblem(line, p.field, p.reason))
        participant = None
        id_kind = values["identifier_kind"]
        if id_kind and id_kind not in JUSTICE_IDENTIFIERS:
            row_problems.append(RowProblem(line, "identifier_kind", "must be one of: "
                                           + ", ".join(JUSTICE_IDENTIFIERS)))  # fmt: skip
        elif id_kind and values["identifier"]:
            bad = identifier_problems(id_kind, values["identifier"])
            for p in bad:
                row_problems.append(RowProblem(line, "identifier", p.reason))
            people = who.get((id_kind, normalise(id_kind, values["identifier"])), [])
            if not bad and not people:
                row_problems.append(RowProblem(line, "identifier",
                                               "matches no participant"))  # fmt: skip
            elif len(people) > 1:
                row_problems.append(RowProblem(
                    line, "identifier",
                    f"matches {len(people)} participants: record which one it is before "
                    "importing",
                ))  # fmt: skip
            elif people:
                participant = people[0]
        kind = values["kind"]
        if kind and kind not in JUSTICE_KINDS:
            allowed = ", ".join(k for k in EventKind.values if k in JUSTICE_KINDS)
            row_problems.append(RowProblem(line, "kind", f"must be one of: {allowed}"))
        offence_date = _date(line, "offence_date", values["offence_date"], row_problems)
        outcome_date = _date(line, "outcome_date", values["outcome_date"], row_problems)
        if kind in JUSTICE_KINDS:
            dated = {p.field for p in row_problems}
            for p in outcome_event_problems(
                participant=participant, kind=kind, offence_date=offence_date,
                outcome_date=outcome_date, offence_category=values["offence_category"],
                outcome=values["outcome"], today=today,
            ):  # fmt: skip
                if p.field not in dated:
                    row_problems.append(RowProblem(line, p.field, p.reason))
        key = import_key(values)
        if key in first_seen:
            row_problems.append(RowProblem(line, "", f"repeats row {first_seen[key]}"))
        else:
            first_seen[key] = line
        problems += row_problems
        if not row_problems and participant is not None:
            events.append({
                "participant": participant, "kind": kind, "category": KIND_CATEGORY[kind],
                "offence_date": offence_date, "outcome_date": outcome_date,
                "offence_category": values["offence_category"], "outcome": values["outcome"],
                "source_row": line, "source_reference": values["source_reference"],
                "import_key": key,
            })  # fmt: skip
    return events, problems


def justice_records_import(path: Path, *, fmt: str | None = None, dry_run: bool = False,
                           via: str = "") -> ImportResult:  # fmt: skip
    """Check the whole file; if every row is good, write the rows not imported before, with
    one audit entry, in one transaction. Runs as the system: `via` says who ran it (the
    operating-system account on the command line)."""
    result = ImportResult(file=path.name, dry_run=dry_run)
    fmt = format_of(path, fmt)
    if fmt not in FORMATS:
        result.problems.append(RowProblem(0, "--format", "must be csv or jsonl (the file's name "
                                                         "does not say which)"))  # fmt: skip
        return result
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        result.problems.append(RowProblem(0, "", f"there is no file {path.name}"))
        return result
    except (OSError, UnicodeDecodeError) as error:
        result.problems.append(RowProblem(0, "", f"cannot be read as UTF-8 text ({error})"))
        return result
    rows, problems = _rows(text, fmt)
    result.rows = len(rows)
    if len(rows) > MAX_ROWS:
        problems.append(RowProblem(0, "", f"has {len(rows)} rows; split it into files of at "
                                          f"most {MAX_ROWS}"))  # fmt: skip
    if problems:
        result.problems = problems
        return result
    if not rows:
        result.problems.append(RowProblem(0, "", "has no rows"))
        return result
    events, result.problems = check_rows(rows, today=timezone.localdate())
    if result.problems:
        return result
    with transaction.atomic():
        keys = [e["import_key"] for e in events]
        done = set(OutcomeEvent.objects.filter(import_key__in=keys)
                   .values_list("import_key", flat=True))  # fmt: skip
        fresh = [e for e in events if e["import_key"] not in done]
        result.new, result.already_imported = len(fresh), len(events) - len(fresh)
        if dry_run or not fresh:
            return result
        now = timezone.now()
        created = OutcomeEvent.objects.bulk_create([
            OutcomeEvent(source=EventSource.IMPORTED, source_file=path.name, recorded_at=now,
                         **e)
            for e in fresh
        ])  # fmt: skip
        audit_write(
            acting_user=None, action="import", categories=[Category.LEGAL],
            participant_ids=[e.participant_id for e in created],
            detail={"import": "justice records", "file": path.name, "via": via,
                    "new": result.new, "already_imported": result.already_imported},
        )  # fmt: skip
    return result
