"""The columnar extract the evaluation measures run on (docs/analytics.md, "The extract").

`build_extract(rows, as_of=...)` turns what `turnpoint.sharing.evaluation.evaluation_rows` read
(plain `.values_list()` queries in chunks, no ORM object per row; decided and audited there)
into Arrow tables of one fixed shape (`SCHEMAS`):

- `participants`: pid, gender, ethnicity;
- `referrals`: rid, pid, programme, site, age_band and age (at referral), offence_category,
  drug_related_type, offence_date, referral_date, recommended_disposal, imposed_disposal,
  risk_level (the latest external risk-need level of the referral, else of the participant);
- `transitions`: rid, from_state, to_state, occurred_on, reason_code (effective steps only:
  corrections applied, withdrawn steps left out);
- `episodes`: rid, pid, programme, site, started_on, phase, ended_on, exit_type, exit_outcome
  (completed, unsuccessful or neutral, from the programme's exit types);
- `outcome_events`: pid, kind, offence_date, outcome_date, effective_on, outcome, status;
- `recovery_capital`: pid, rid, setting (intake, review, exit, follow_up), administered_on, total
  (BARC-10 total of complete administrations);
- `follow_ups`: rid, pid, months (3, 6, 12), due_on, status (due, done, missed, declined),
  done_on, aid (the administration that answered it);
- `client_reported`: aid, pid, rid, instrument, setting, administered_on, measure (a scale, or
  an item of an instrument whose items are outcomes), score: the administrations that answered
  done follow-ups and the intake administrations of the same instruments.

Identifiers never enter the extract: `pid`, `rid` and `aid` are numbers given in the order of the
participant's (or referral's) keyed pseudonym (`disclosure.pseudonymise`), so they say nothing
about database keys or the order records were made. Dates of birth become age bands.

`write_research_extract` writes the de-identified research extract as Parquet files: the keyed
pseudonym in place of every number, and every date coarsened to its month.

Only analysts make an extract, for the programmes their team includes: `sharing.rules.
decide_analytics` decides, and `sharing.evaluation` records the read in the audit log.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import disclosure

AGE_BANDS = (
    (0, 18, "under 18"),
    (18, 25, "18-24"),
    (25, 35, "25-34"),
    (35, 45, "35-44"),
    (45, 55, "45-54"),
    (55, 200, "55 and over"),
)
NOT_RECORDED = "not recorded"

_s, _d, _i = pa.string(), pa.date32(), pa.int64()
SCHEMAS: dict[str, pa.Schema] = {
    "participants": pa.schema([("pid", _i), ("gender", _s), ("ethnicity", _s)]),
    "referrals": pa.schema(
        [
            ("rid", _i),
            ("pid", _i),
            ("programme", _s),
            ("site", _s),
            ("age_band", _s),
            ("age", pa.int16()),
            ("offence_category", _s),
            ("drug_related_type", _s),
            ("offence_date", _d),
            ("referral_date", _d),
            ("recommended_disposal", _s),
            ("imposed_disposal", _s),
            ("risk_level", _s),
        ]
    ),
    "transitions": pa.schema(
        [
            ("rid", _i),
            ("from_state", _s),
            ("to_state", _s),
            ("occurred_on", _d),
            ("reason_code", _s),
        ]
    ),
    "episodes": pa.schema(
        [
            ("rid", _i),
            ("pid", _i),
            ("programme", _s),
            ("site", _s),
            ("started_on", _d),
            ("phase", pa.int16()),
            ("ended_on", _d),
            ("exit_type", _s),
            ("exit_outcome", _s),
        ]
    ),
    "outcome_events": pa.schema(
        [
            ("pid", _i),
            ("kind", _s),
            ("offence_date", _d),
            ("outcome_date", _d),
            ("effective_on", _d),
            ("outcome", _s),
            ("status", _s),
        ]
    ),
    "recovery_capital": pa.schema(
        [
            ("pid", _i),
            ("rid", _i),
            ("setting", _s),
            ("administered_on", _d),
            ("total", pa.float64()),
        ]
    ),
    "follow_ups": pa.schema(
        [
            ("rid", _i),
            ("pid", _i),
            ("months", pa.int16()),
            ("due_on", _d),
            ("status", _s),
            ("done_on", _d),
            ("aid", _i),
        ]
    ),
    "client_reported": pa.schema(
        [
            ("aid", _i),
            ("pid", _i),
            ("rid", _i),
            ("instrument", _s),
            ("setting", _s),
            ("administered_on", _d),
            ("measure", _s),
            ("score", pa.float64()),
        ]
    ),
}
TABLES = tuple(SCHEMAS)


@dataclass
class Extract:
    """The extract's tables and the day it was made (the end of everyone's follow-up)."""

    tables: dict[str, pa.Table]
    as_of: datetime.date
    # The keyed pseudonym of each number (number n is at n - 1), from the database's keys; an
    # extract generated without a database has none and its numbers are pseudonymised instead.
    pseudonyms: dict[str, list[str]] | None = None

    def rows(self) -> dict[str, int]:
        return {name: t.num_rows for name, t in self.tables.items()}

    def write_parquet(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for name, table in self.tables.items():
            pq.write_table(table, directory / f"{name}.parquet")
        (directory / "as_of.txt").write_text(self.as_of.isoformat())

    @classmethod
    def read_parquet(cls, directory: Path) -> Extract:
        as_of = datetime.date.fromisoformat((directory / "as_of.txt").read_text().strip())
        return cls(
            {
                n: pq.read_table(directory / f"{n}.parquet")
                if (directory / f"{n}.parquet").exists()
                else SCHEMAS[n].empty_table()  # written before the table existed
                for n in TABLES
            },
            as_of,
        )


def age_band(age: int | None) -> str:
    if age is None:
        return NOT_RECORDED
    for low, high, label in AGE_BANDS:
        if low <= age < high:
            return label
    return NOT_RECORDED


def age_on(birth: datetime.date, day: datetime.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _numbering(keys: list[int], prefix: str, key: bytes | None) -> tuple[dict[int, int], list]:
    """(database key -> extract number, the pseudonyms in number order): numbers follow the
    order of the keys' pseudonyms."""
    names = disclosure.pseudonymise([f"{prefix}{k}" for k in keys], key=key)
    ordered = sorted(zip(names, keys, strict=True))
    return {k: i for i, (_, k) in enumerate(ordered, start=1)}, [n for n, _ in ordered]


def build_extract(rows, *, as_of: datetime.date, key: bytes | None = None) -> Extract:
    """The extract from the rows `sharing.evaluation.evaluation_rows` read (decided and
    audited there): numbered by keyed pseudonyms, ages in bands, exit outcomes from each
    programme's exit types."""
    pids, pid_names = _numbering(sorted({r[1] for r in rows.referrals}), "participant:", key)
    rids, rid_names = _numbering([r[0] for r in rows.referrals], "referral:", key)
    aids, aid_names = _numbering(
        sorted({r[0] for r in rows.client_reported}), "administration:", key
    )
    # As `sharing.evaluation.site_of` (not imported: the extract's shape needs no Django).
    site_of = {r[0]: r[3] or r[4] or NOT_RECORDED for r in rows.referrals}
    person_of = {r[0]: r[1] for r in rows.referrals}

    # The latest risk-need level of each referral (or of the participant, when not linked).
    risk: dict[int, tuple] = {}
    by_participant: dict[int, tuple] = {}
    for _, participant, referral, level, on in rows.risk_levels:
        if referral is not None and (referral not in risk or on >= risk[referral][1]):
            risk[referral] = (level, on)
        if participant not in by_participant or on >= by_participant[participant][1]:
            by_participant[participant] = (level, on)

    def columns(name: str, records) -> pa.Table:
        cols: dict[str, list] = {f: [] for f in SCHEMAS[name].names}
        for values in records:
            for column, value in zip(cols.values(), values, strict=True):
                column.append(value)
        return pa.Table.from_pydict(cols, schema=SCHEMAS[name])

    def referral(r):
        pk, participant, slug, _, _, birth, offence, drug, offence_on, referred_on, rec, imp = r
        age = age_on(birth, referred_on) if birth else None
        level = (risk.get(pk) or by_participant.get(participant) or ("",))[0]
        return (
            rids[pk],
            pids[participant],
            slug,
            site_of[pk],
            age_band(age),
            age,
            offence,
            drug,
            offence_on,
            referred_on,
            rec,
            imp,
            level or NOT_RECORDED,
        )

    outcome_of = {
        (p.slug, e["code"]): e.get("outcome", "neutral")
        for p in rows.programmes
        for e in p.exit_types
    }

    def episode(e):
        _, ref, participant, slug, start, phase, end, exit_type = e
        outcome = outcome_of.get((slug, exit_type), "neutral") if end else ""
        return (
            rids[ref],
            pids[participant],
            slug,
            site_of[ref],
            start,
            phase,
            end,
            exit_type or "",
            outcome,
        )

    tables = {
        "participants": columns(
            "participants", ((pids[pk], sex, ethnicity) for pk, sex, ethnicity in rows.participants)
        ),
        "referrals": columns("referrals", map(referral, rows.referrals)),
        "transitions": columns("transitions", ((rids[r], *rest) for r, *rest in rows.steps)),
        "episodes": columns("episodes", map(episode, rows.episodes)),
        "outcome_events": columns(
            "outcome_events", ((pids[p], *rest) for _, p, *rest in rows.outcome_events)
        ),
        "recovery_capital": columns(
            "recovery_capital",
            (
                (pids[p], rids.get(r), setting, on, total)
                for _, p, r, setting, on, total in rows.barc_10
            ),
        ),
        "follow_ups": columns(
            "follow_ups",
            (
                # The referral's participant (a merged record's follow-ups stay with it).
                (rids[r], pids[person_of[r]], months, due, status, done, aids.get(a) if a else None)
                for _, _, r, months, due, status, done, a in rows.follow_ups
            ),
        ),
        "client_reported": columns(
            "client_reported",
            (
                (aids[a], pids[p], rids.get(r), *rest)
                for a, p, r, *rest in rows.client_reported
                if p in pids
            ),
        ),
    }
    return Extract(tables, as_of, {"pid": pid_names, "rid": rid_names, "aid": aid_names})


_PSEUDONYMISED = {"pid": "participant", "rid": "referral", "aid": "administration"}


def research_tables(extract: Extract, key: bytes | None = None) -> dict[str, pa.Table]:
    """The de-identified research extract: each number replaced by the keyed pseudonym of the
    participant or referral (one key links extracts; without it nobody can recompute them), each
    date by its month, the exact age left out (the age band stays)."""
    out = {}
    for name, table in extract.tables.items():
        columns, fields = [], []
        for field in table.schema:
            column = table.column(field.name)
            if field.name in _PSEUDONYMISED:
                kind = _PSEUDONYMISED[field.name]
                values = column.to_pylist()
                known = (extract.pseudonyms or {}).get(field.name)
                if known is not None:
                    names = [known[v - 1] if v is not None else None for v in values]
                else:
                    names = disclosure.pseudonymise([f"{kind}:{v}" for v in values], key=key)
                column = pa.array(
                    [n if v is not None else None for n, v in zip(names, values, strict=True)],
                    pa.string(),
                )
                field = pa.field(kind, pa.string())
            elif field.name == "age":
                continue
            elif pa.types.is_date32(field.type):
                column = pc.strftime(column.cast(pa.timestamp("s")), format="%Y-%m")
                field = pa.field(
                    field.name.removesuffix("_on").removesuffix("_date") + "_month", pa.string()
                )
            columns.append(column)
            fields.append(field)
        out[name] = pa.Table.from_arrays(columns, schema=pa.schema(fields))
    return out


def write_research_extract(extract: Extract, directory: Path, key: bytes | None = None) -> dict:
    directory.mkdir(parents=True, exist_ok=True)
    tables = research_tables(extract, key=key)
    for name, table in tables.items():
        pq.write_table(table, directory / f"{name}.parquet")
    return {name: t.num_rows for name, t in tables.items()}
