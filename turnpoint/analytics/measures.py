"""The evaluation measures, in DuckDB SQL over the columnar extract (docs/analytics.md).

`Measures(extract)` (or `Measures.from_parquet(directory)`) answers, for a `Scope` (programme,
site, period and an optional group: gender, ethnicity, age band or site):

census, funnel, timeliness, retention, reoffending, recovery_capital, equity, completeness.

Counting, joining and the distributions are SQL; Kaplan-Meier and Cox are `survival.py` on the
columns the SQL returns. Every count a measure publishes passes through `disclosure.suppress`
(`_published`); a rate, median or curve over fewer than `disclosure.THRESHOLD` people is withheld.
"""

# The SQL is built from this module's own constants (column and table names, the group named
# by a checked Scope); every value from outside is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from turnpoint.errors import InvalidInput, Problem

from . import disclosure, equity, survival
from .extract import SCHEMAS, TABLES, Extract

T = disclosure.THRESHOLD
GROUPS = ("gender", "ethnicity", "age_band", "site")
# Hazard ratios by group (one Cox model each): not by site, where tens of indicators would
# make the model the slowest part of a national report.
HAZARD_GROUPS = ("gender", "ethnicity", "age_band")
NAMES = (
    "census",
    "funnel",
    "timeliness",
    "retention",
    "reoffending",
    "recovery-capital",
    "equity",
    "completeness",
)
FUNNEL_STATES = (
    "referral",
    "screening",
    "eligibility",
    "assessment",
    "recommendation",
    "decision",
    "episode",
    "exit",
    "follow_up",
    "closed",
)
YEARS = (1, 2, 3)
INTERVALS = (
    ("offence_to_referral", "offence_date", "referral_date"),
    ("referral_to_assessment", "referral_date", "assessed_on"),
    ("assessment_to_start", "assessed_on", "started_on"),
    ("referral_to_start", "referral_date", "started_on"),
)
FOLLOW_UP_MONTHS = (3, 6, 12)
FOLLOW_UP_COLUMNS = ("done", "missed", "declined", "not recorded")
FOLLOW_UP_LABELS = {"due": "not recorded"}  # still marked due after its due date
WAIT_BINS = ((0, 7), (8, 14), (15, 28), (29, 56), (57, 91), (92, None))


@dataclass(frozen=True)
class Scope:
    start: datetime.date
    end: datetime.date
    programme: str | None = None  # a programme's slug; None: every programme in the extract
    site: str | None = None
    group: str | None = None

    def check(self) -> None:
        problems = []
        if self.start > self.end:
            problems.append(Problem("from", "must be on or before --to"))
        if self.group is not None and self.group not in GROUPS:
            problems.append(Problem("group", f"must be one of {', '.join(GROUPS)}"))
        if problems:
            raise InvalidInput(problems)


def _published(rows: list[str], columns: list[str], counts) -> dict[str, Any]:
    """A table of counts as published: `suppress` with secondary suppression, labelled."""
    if not rows or not columns:
        return {
            "rows": [],
            "columns": list(columns),
            "cells": [],
            "row_totals": [],
            "column_totals": [],
            "grand_total": 0,
            "withheld": 0,
        }
    table = [[int(c) for c in row] for row in counts]
    safe = disclosure.suppress(table)
    return {
        "rows": [str(r) for r in rows],
        "columns": [str(c) for c in columns],
        "cells": safe["cells"],
        "row_totals": safe["row_totals"],
        "column_totals": safe["column_totals"],
        "grand_total": safe["grand_total"],
        # How many published values (cells and totals) are withheld.
        "withheld": sum(v is None for row in safe["cells"] for v in row)
        + sum(v is None for v in [*safe["row_totals"], *safe["column_totals"]])
        + (safe["grand_total"] is None),
    }


def _pivot(records, row_key: int = 0, col_key: int = 1, value: int = 2, rows=None, cols=None):
    rows = rows if rows is not None else sorted({r[row_key] for r in records}, key=str)
    cols = cols if cols is not None else sorted({r[col_key] for r in records}, key=str)
    ri, ci = {r: i for i, r in enumerate(rows)}, {c: i for i, c in enumerate(cols)}
    grid = [[0] * len(cols) for _ in rows]
    for rec in records:
        if rec[row_key] in ri and rec[col_key] in ci:
            grid[ri[rec[row_key]]][ci[rec[col_key]]] += int(rec[value])
    return rows, cols, grid


def _round(x, digits=4):
    return None if x is None or (isinstance(x, float) and not np.isfinite(x)) else round(x, digits)


class Measures:
    def __init__(self, extract: Extract | None = None, *, con=None, as_of=None):
        if con is None:
            con = duckdb.connect()
            for name in TABLES:
                # An extract made before a table existed has none: an empty one of its shape.
                con.register(name, extract.tables.get(name, SCHEMAS[name].empty_table()))
            as_of = extract.as_of
        con.execute("SET enable_progress_bar = false")
        self.con = con
        self.as_of = as_of

    @classmethod
    def from_parquet(cls, directory: Path, *, threads: int | None = None) -> Measures:
        con = duckdb.connect()
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        for name in TABLES:
            file = directory / f"{name}.parquet"
            if not file.exists():  # written before the table existed
                con.register(f"{name}_empty", SCHEMAS[name].empty_table())
                con.execute(f"CREATE VIEW {name} AS SELECT * FROM {name}_empty")
                continue
            path = str(file).replace("'", "''")
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
        as_of = datetime.date.fromisoformat((directory / "as_of.txt").read_text().strip())
        return cls(con=con, as_of=as_of)

    # Scoping -------------------------------------------------------------------------------

    def _exec(self, sql: str, params: dict | None = None):
        """Run `sql` with the named parameters it uses (DuckDB refuses unused ones)."""
        used = {k: v for k, v in (params or {}).items() if f"${k}" in sql}
        return self.con.execute(sql, used)

    def _q(self, sql: str, params: dict | None = None):
        return self._exec(sql, params).fetchall()

    def programmes(self) -> list[str]:
        return [r[0] for r in self._q("SELECT DISTINCT programme FROM referrals ORDER BY 1")]

    def sites(self) -> list[str]:
        return [r[0] for r in self._q("SELECT DISTINCT site FROM referrals ORDER BY 1")]

    def _params(self, scope: Scope) -> dict:
        return {
            "start": scope.start,
            "end": scope.end,
            "as_of": self.as_of,
            "programme": scope.programme,
            "site": scope.site,
        }

    @staticmethod
    def _group_sql(scope: Scope) -> str:
        return f"CAST({scope.group} AS VARCHAR)" if scope.group else "'all'"

    def _cohort(self, scope: Scope, name: str) -> None:
        """Temporary tables for the scope: `ref` (referrals made in the period) and `ep`
        (episodes started in the period), each with the person's groups."""
        self._scope = scope
        self._epo_ready = False  # `epo` belongs to the episodes of this scope
        where = (
            "($programme IS NULL OR r.programme = $programme) AND ($site IS NULL OR r.site = $site)"
        )
        self._exec(
            f"""CREATE OR REPLACE TEMP TABLE ref AS
            SELECT r.*, p.gender, p.ethnicity, {self._group_sql(scope)} AS grp
            FROM referrals r JOIN participants p USING (pid)
            WHERE {where} AND r.referral_date BETWEEN $start AND $end""",
            self._params(scope),
        )
        self._exec(
            f"""CREATE OR REPLACE TEMP TABLE ep AS
            SELECT e.rid, e.pid, e.programme, e.site, e.started_on, e.ended_on, e.exit_type,
                   e.exit_outcome, r.age, r.age_band, r.drug_related_type, r.risk_level,
                   p.gender, p.ethnicity, {self._group_sql(scope).replace("site", "e.site")} AS grp
            FROM episodes e JOIN referrals r USING (rid) JOIN participants p ON p.pid = e.pid
            WHERE ($programme IS NULL OR e.programme = $programme)
              AND ($site IS NULL OR e.site = $site)
              AND e.started_on BETWEEN $start AND $end""",
            self._params(scope),
        )

    def run(self, name: str, scope: Scope) -> dict[str, Any]:
        if name not in NAMES and name != "all":
            raise InvalidInput(Problem("NAME", f"must be one of {', '.join(NAMES)} or all"))
        scope.check()
        self._cohort(scope, name)
        head = {
            "programme": scope.programme or "all",
            "site": scope.site or "all",
            "from": scope.start.isoformat(),
            "to": scope.end.isoformat(),
            "as_of": self.as_of.isoformat(),
            "group": scope.group,
        }
        names = NAMES if name == "all" else (name,)
        out = {"scope": head}
        for n in names:
            out[n] = getattr(self, n.replace("-", "_"))(scope)
        return out

    # Census ---------------------------------------------------------------------------------

    def census(self, scope: Scope) -> dict[str, Any]:
        """Admissions, exits by type and people on the programme at each month's end."""
        p = self._params(scope)
        grp = self._group_sql(scope).replace("site", "e.site")
        flows = self._q(
            f"""WITH e AS (
                SELECT e.*, r.age_band, p.gender, p.ethnicity FROM episodes e
                JOIN referrals r USING (rid) JOIN participants p ON p.pid = e.pid
                WHERE ($programme IS NULL OR e.programme = $programme)
                  AND ($site IS NULL OR e.site = $site) AND e.started_on <= $end),
            moves AS (
                SELECT date_trunc('month', started_on) AS m, {grp} AS g, 1 AS n_in, 0 AS n_out
                FROM e
                UNION ALL
                SELECT date_trunc('month', ended_on), {grp}, 0, 1 FROM e
                WHERE ended_on IS NOT NULL AND ended_on <= $end),
            monthly AS (SELECT m, g, sum(n_in) AS n_in, sum(n_out) AS n_out FROM moves
                        GROUP BY ALL)
            SELECT strftime(m, '%Y-%m') AS month, g, n_in, n_out,
                   sum(n_in - n_out) OVER (PARTITION BY g ORDER BY m) AS on_programme
            FROM monthly ORDER BY m""",
            p,
        )
        exits = self._q(
            """SELECT strftime(date_trunc('month', ended_on), '%Y-%m'), exit_type, count(*)
            FROM episodes e WHERE ($programme IS NULL OR e.programme = $programme)
              AND ($site IS NULL OR e.site = $site) AND ended_on BETWEEN $start AND $end
            GROUP BY ALL""",
            p,
        )
        months = _months(scope.start, scope.end)
        in_period = [f for f in flows if f[0] in set(months)]
        groups = sorted({f[1] for f in flows}, key=str) or ["all"]
        # People on the programme carry over from months without any movement.
        stock: dict[str, int] = {}
        census_grid = []
        by_key = {(f[0], f[1]): f for f in flows}
        earlier = {}
        for f in flows:
            if f[0] < months[0]:
                earlier[f[1]] = f[4]
        for g in groups:
            stock[g] = int(earlier.get(g, 0))
        for m in months:
            row = []
            for g in groups:
                if (m, g) in by_key:
                    stock[g] = int(by_key[(m, g)][4])
                row.append(stock[g])
            census_grid.append(row)
        _, _, adm = _pivot(in_period, 0, 1, 2, rows=months, cols=groups)
        _, _, out = _pivot(in_period, 0, 1, 3, rows=months, cols=groups)
        exit_rows, exit_cols, exit_grid = _pivot(exits, rows=months)
        census = _published(months, groups, census_grid)
        census.pop("column_totals"), census.pop("grand_total")  # a stock does not add up
        return {
            "admissions": _published(months, groups, adm),
            "exits": _published(months, groups, out),
            "exits_by_type": _published(exit_rows, exit_cols, exit_grid),
            "on_programme_at_month_end": census,
        }

    # Funnel ---------------------------------------------------------------------------------

    def funnel(self, scope: Scope) -> dict[str, Any]:
        reached = self._q(
            """SELECT s.state, ref.grp, count(DISTINCT ref.rid) FROM ref
            JOIN (SELECT rid, to_state AS state FROM transitions
                  UNION ALL SELECT rid, 'referral' FROM referrals) s USING (rid)
            GROUP BY ALL"""
        )
        left = self._q(
            """SELECT t.from_state, coalesce(nullif(t.reason_code, ''), 'not recorded'), count(*)
            FROM ref JOIN transitions t USING (rid) WHERE t.to_state = 'left' GROUP BY ALL"""
        )
        disposals = self._q(
            """SELECT coalesce(nullif(recommended_disposal, ''), 'none'),
                      coalesce(nullif(imposed_disposal, ''), 'none'), count(*)
            FROM ref WHERE recommended_disposal <> '' OR imposed_disposal <> '' GROUP BY ALL"""
        )
        groups = sorted({r[1] for r in reached}, key=str) or ["all"]
        states = [s for s in FUNNEL_STATES if any(r[0] == s for r in reached)]
        left_from = [s for s in FUNNEL_STATES if any(r[0] == s for r in left)]
        return {
            "reached": _published(*_pivot(reached, rows=states, cols=groups)),
            "left_by_stage_and_reason": _published(*_pivot(left, rows=left_from)),
            "recommended_by_imposed_disposal": _published(*_pivot(disposals)),
        }

    # Timeliness -----------------------------------------------------------------------------

    def timeliness(self, scope: Scope) -> dict[str, Any]:
        self._exec(
            """CREATE OR REPLACE TEMP TABLE waits AS
            SELECT ref.grp, ref.offence_date, ref.referral_date, a.assessed_on, e.started_on
            FROM ref
            LEFT JOIN (SELECT rid, min(occurred_on) AS assessed_on FROM transitions
                       WHERE to_state = 'assessment' GROUP BY rid) a USING (rid)
            LEFT JOIN episodes e USING (rid)"""
        )
        out = {}
        bins = " UNION ALL ".join(
            f"SELECT {i} AS b, {lo} AS lo, {hi if hi is not None else 'NULL'} AS hi"
            for i, (lo, hi) in enumerate(WAIT_BINS)
        )
        labels = [f"{lo}-{hi} days" if hi is not None else f"{lo}+ days" for lo, hi in WAIT_BINS]
        for name, first, then in INTERVALS:
            days = f"datediff('day', {first}, {then})"
            stats = self._q(
                f"""SELECT grp, count(*), quantile_cont({days}, [0.25, 0.5, 0.75, 0.9]),
                       min({days}), max({days})
                FROM waits WHERE {first} IS NOT NULL AND {then} IS NOT NULL
                  AND {days} >= 0 GROUP BY grp ORDER BY grp"""
            )
            hist = self._q(
                f"""SELECT b.b, w.grp, count(*) FROM waits w JOIN ({bins}) b
                ON {days} >= b.lo AND (b.hi IS NULL OR {days} <= b.hi)
                WHERE {first} IS NOT NULL AND {then} IS NOT NULL GROUP BY ALL"""
            )
            groups = [s[0] for s in stats]
            _, _, grid = _pivot(hist, rows=list(range(len(WAIT_BINS))), cols=groups)
            out[name] = {
                "groups": [_distribution(g, n, q) for g, n, q, _, _ in stats],
                "histogram": _published(labels, groups, grid) if groups else None,
            }
        return out

    # Retention ------------------------------------------------------------------------------

    def retention(self, scope: Scope) -> dict[str, Any]:
        """Time on the programme to leaving it without completing (completing, a neutral exit
        and still being on it censor), and completion among those who have left."""
        rows = self._exec(
            """SELECT grp, datediff('day', started_on, coalesce(ended_on, $as_of)) AS days,
                      (ended_on IS NOT NULL AND exit_outcome = 'unsuccessful')::INT AS left_early
            FROM ep WHERE coalesce(ended_on, $as_of) >= started_on""",
            {"as_of": self.as_of},
        ).fetchnumpy()
        counts = self._q(
            """SELECT grp, exit_outcome, count(*) FROM ep WHERE ended_on IS NOT NULL
            GROUP BY ALL"""
        )
        groups = sorted({c[0] for c in counts}, key=str)
        outcomes = ["completed", "unsuccessful", "neutral"]
        _, _, grid = _pivot(counts, rows=groups, cols=outcomes)
        table = _published(groups, outcomes, grid)
        rates = []
        for i, g in enumerate(groups):
            done, failed = table["cells"][i][0], table["cells"][i][1]
            rate = None
            if done is not None and failed is not None and done + failed >= T:
                rate = round(done / (done + failed), 4)
            rates.append({"group": g, "completion_rate": rate})
        return {
            "exits_by_outcome": table,
            "completion": rates,
            "time_to_leaving_early": _km(rows["days"], rows["left_early"], rows["grp"]),
        }

    # Reoffending ----------------------------------------------------------------------------

    def _episode_outcomes(self) -> None:
        """One pass over the outcome events for the episodes in scope (temp table `epo`): per
        episode, convictions before the start, and the first offence that led to a conviction
        and the first arrest after the start and after the end, known by the extract's day.
        Reoffending, equity and completeness all read it, so the events are joined once."""
        if self._epo_ready:
            return
        self._exec(
            """CREATE OR REPLACE TEMP TABLE epo AS
            WITH o AS (
                SELECT pid, kind, offence_date, outcome_date,
                       coalesce(outcome_date, offence_date) AS arrested_on
                FROM outcome_events WHERE kind IN ('conviction', 'arrest')),
            j AS (SELECT ep.rid, ep.started_on, ep.ended_on, o.* FROM ep JOIN o USING (pid))
            SELECT rid,
                count(*) FILTER (WHERE kind = 'conviction' AND outcome_date < started_on)
                    AS prior,
                min(offence_date) FILTER (WHERE kind = 'conviction' AND offence_date > started_on
                    AND outcome_date <= $as_of) AS conviction_after_started_on,
                min(offence_date) FILTER (WHERE kind = 'conviction' AND offence_date > ended_on
                    AND outcome_date <= $as_of) AS conviction_after_ended_on,
                min(arrested_on) FILTER (WHERE kind = 'arrest' AND arrested_on > started_on
                    AND arrested_on <= $as_of) AS arrest_after_started_on,
                min(arrested_on) FILTER (WHERE kind = 'arrest' AND arrested_on > ended_on
                    AND arrested_on <= $as_of) AS arrest_after_ended_on
            FROM j GROUP BY rid""",
            {"as_of": self.as_of},
        )
        self._epo_ready = True

    def _reoffending_rows(self, origin: str, kind: str) -> dict:
        """Per episode: days from origin (start or end) to the first offence that led to a
        conviction (or the first arrest) after it, known by the extract's day, or to the
        extract's day (censored); prior convictions (convicted before the start)."""
        self._episode_outcomes()
        first = f"epo.{kind}_after_{origin}"
        return self._exec(
            f"""SELECT ep.grp, ep.exit_outcome = 'completed' AS completer, ep.age, ep.gender,
                   ep.risk_level, ep.drug_related_type, coalesce(epo.prior, 0) AS prior,
                   ({first} IS NOT NULL)::INT AS event,
                   datediff('day', ep.{origin}, coalesce({first}, $as_of)) AS days
            FROM ep LEFT JOIN epo USING (rid)
            WHERE ep.{origin} IS NOT NULL AND $as_of >= ep.{origin}""",
            {"as_of": self.as_of},
        ).fetchnumpy()

    def reoffending(self, scope: Scope) -> dict[str, Any]:
        out = {}
        for kind, label in (("conviction", "reconviction"), ("arrest", "arrest")):
            for origin, frm in (("started_on", "entry"), ("ended_on", "exit")):
                rows = self._reoffending_rows(origin, kind)
                result = {"by_group": _km(rows["days"], rows["event"], rows["grp"], years=True)}
                if origin == "ended_on":
                    who = np.where(rows["completer"], "completed", "did not complete")
                    result["completers"] = _km(rows["days"], rows["event"], who, years=True)
                if origin == "started_on" and kind == "conviction":
                    result["cox"] = _cox(rows)
                out[f"{label}_from_{frm}"] = result
        return out

    # Recovery capital -----------------------------------------------------------------------

    def recovery_capital(self, scope: Scope) -> dict[str, Any]:
        rows = self._q(
            """WITH s AS (
                SELECT rid, arg_min(total, administered_on) FILTER (WHERE setting = 'intake') AS i,
                       arg_max(total, administered_on) FILTER (WHERE setting = 'exit') AS x,
                       arg_max(total, administered_on) FILTER (WHERE setting = 'follow_up') AS f
                FROM recovery_capital GROUP BY rid)
            SELECT ep.grp, s.i, s.x, s.f FROM ep JOIN s USING (rid)"""
        )
        out = []
        for g in sorted({r[0] for r in rows}, key=str):
            mine = [r for r in rows if r[0] == g]
            entry = {"group": g}
            for label, col in (("intake_to_exit", 2), ("intake_to_follow_up", 3)):
                pairs = np.array(
                    [(r[1], r[col]) for r in mine if r[1] is not None and r[col] is not None],
                    dtype=float,
                )
                entry[label] = _change(pairs)
            out.append(entry)
        return {
            "instrument": "barc-10",
            "groups": out,
            "follow_ups": self._follow_ups(),
            "client_reported": self._client_reported(),
        }

    def _follow_ups(self) -> dict[str, Any]:
        """What happened to the follow-ups of the episodes in scope that were due by the
        extract's day: per group, a table of 3, 6 and 12 months by done, missed, declined and
        not recorded (still marked due), and each share of its row."""
        rows = self._q(
            """SELECT ep.grp, f.months, f.status, count(*) FROM ep JOIN follow_ups f USING (rid)
            WHERE f.due_on <= $as_of GROUP BY ALL""",
            {"as_of": self.as_of},
        )
        months = [f"{m} months" for m in FOLLOW_UP_MONTHS]
        out = []
        for g in sorted({r[0] for r in rows}, key=str):
            mine = [(f"{m} months", FOLLOW_UP_LABELS.get(st, st), n) for gg, m, st, n in rows
                    if gg == g]  # fmt: skip
            _, _, grid = _pivot(mine, rows=months, cols=list(FOLLOW_UP_COLUMNS))
            table = _published(months, list(FOLLOW_UP_COLUMNS), grid)
            shares = []
            for label, cells, total in zip(months, table["cells"], table["row_totals"],
                                           strict=True):  # fmt: skip
                share = {
                    c: (round(v / total, 4) if v is not None and total and total >= T else None)
                    for c, v in zip(FOLLOW_UP_COLUMNS, cells, strict=True)
                }
                shares.append({"follow_up": label, **share})
            out.append({"group": g, "counts": table, "shares": shares})
        return {"groups": out}

    def _client_reported(self) -> dict[str, Any]:
        """Scores of the administrations that answered done follow-ups (due by the extract's
        day) of the episodes in scope, by instrument, measure and follow-up, with the change
        from the first intake administration of the same instrument for the same referral
        (or for the participant, when the intake named no referral)."""
        rows = self._q(
            """WITH fu AS (
                SELECT ep.grp, ep.rid, ep.pid, f.months, f.aid FROM ep
                JOIN follow_ups f USING (rid)
                WHERE f.status = 'done' AND f.aid IS NOT NULL AND f.due_on <= $as_of),
            ans AS (
                SELECT fu.grp, fu.rid, fu.pid, fu.months, c.instrument, c.measure, c.score
                FROM fu JOIN client_reported c ON c.aid = fu.aid),
            intake AS (
                SELECT ans.rid, ans.months, ans.instrument, ans.measure,
                       arg_min(i.score, i.administered_on) AS score
                FROM ans JOIN client_reported i ON i.pid = ans.pid
                    AND i.instrument = ans.instrument AND i.measure = ans.measure
                    AND i.setting = 'intake' AND (i.rid = ans.rid OR i.rid IS NULL)
                GROUP BY ALL)
            SELECT ans.grp, ans.instrument, ans.measure, ans.months, ans.score, intake.score
            FROM ans LEFT JOIN intake USING (rid, months, instrument, measure)""",
            {"as_of": self.as_of},
        )
        out = []
        for key in sorted({r[:4] for r in rows}, key=lambda k: tuple(map(str, k))):
            g, instrument, measure, months = key
            mine = [r for r in rows if r[:4] == key]
            scores = np.array([r[4] for r in mine], dtype=float)
            entry: dict[str, Any] = {
                "group": g,
                "instrument": instrument,
                "measure": measure,
                "follow_up": f"{months} months",
            }
            if len(scores) < T:
                entry.update({"n": None, "withheld": True})
            else:
                entry.update(
                    {
                        "n": len(scores),
                        "mean": _round(float(scores.mean()), 2),
                        "median": _round(float(np.median(scores)), 2),
                    }
                )
            pairs = np.array([(r[5], r[4]) for r in mine if r[5] is not None], dtype=float)
            entry["from_intake"] = _change(pairs.reshape(-1, 2))
            out.append(entry)
        return {"groups": out}

    # Equity ---------------------------------------------------------------------------------

    def equity(self, scope: Scope) -> dict[str, Any]:
        """Disparity ratios, by gender, ethnicity, age band and site, of completing (among
        those who left), of leaving the pathway before starting (among referrals), and of a
        reconviction within a year of entry (among those followed up for a year)."""
        out = {}
        self._episode_outcomes()
        for g in GROUPS:
            col = "e.site" if g == "site" else g
            rates = {
                "completion": self._q(
                    f"""SELECT {col.replace("e.", "")}, count(*) FILTER (WHERE exit_outcome =
                    'completed'), count(*) FROM ep WHERE ended_on IS NOT NULL AND exit_outcome
                    IN ('completed', 'unsuccessful') GROUP BY 1"""
                ),
                "left_before_start": self._q(
                    f"""SELECT {col.replace("e.", "")}, count(*) FILTER (WHERE rid NOT IN
                    (SELECT rid FROM episodes) AND rid IN (SELECT rid FROM transitions WHERE
                    to_state = 'left')), count(*) FROM ref GROUP BY 1"""
                ),
                "reconviction_within_a_year": self._q(
                    f"""SELECT {col.replace("e.", "")}, count(*) FILTER (WHERE
                        epo.conviction_after_started_on <= ep.started_on + INTERVAL 365 DAY),
                        count(*) FROM ep LEFT JOIN epo USING (rid)
                    WHERE ep.started_on + INTERVAL 365 DAY <= $as_of GROUP BY 1""",
                    {"as_of": self.as_of},
                ),
            }
            out[g] = {name: _ratios(counts) for name, counts in rates.items()}
            if g in HAZARD_GROUPS:
                out[g]["reconviction_hazard_ratios"] = self._group_hazards(g)
        return out

    def _group_hazards(self, column: str) -> dict[str, Any]:
        """Hazard ratios of reconviction (time from entry to the first offence that led to a
        conviction) of each group against the largest, from one Cox model with an indicator
        per group (`equity.group_hazard_ratios`)."""
        self._episode_outcomes()
        rows = self._exec(
            f"""SELECT coalesce(CAST(ep.{column} AS VARCHAR), 'not recorded') AS g,
                   (epo.conviction_after_started_on IS NOT NULL)::INT AS event,
                   datediff('day', ep.started_on,
                            coalesce(epo.conviction_after_started_on, $as_of)) AS days
            FROM ep LEFT JOIN epo USING (rid) WHERE $as_of >= ep.started_on""",
            {"as_of": self.as_of},
        ).fetchnumpy()
        return _hazard_ratios(rows["days"], rows["event"], rows["g"])

    # Completeness ---------------------------------------------------------------------------

    def completeness(self, scope: Scope) -> dict[str, Any]:
        items = self._q(
            """SELECT grp,
                count(*) FILTER (WHERE drug_related_type <> 'unknown'),
                count(*) FILTER (WHERE risk_level <> 'not recorded'),
                count(*) FILTER (WHERE gender <> 'prefer_not_to_say'),
                count(*) FILTER (WHERE ethnicity <> 'prefer_not_to_say'),
                count(*) FILTER (WHERE rid IN (SELECT rid FROM recovery_capital
                                               WHERE setting = 'intake')),
                count(*) FILTER (WHERE pid IN (SELECT pid FROM outcome_events)),
                count(*)
            FROM ref GROUP BY grp ORDER BY grp"""
        )
        # Of the referrals in scope whose episode has ended: any outcome event dated on or
        # after the start, or a follow-up done.
        exited = {
            g: (recorded, total)
            for g, recorded, total in self._q(
                """SELECT ref.grp,
                    count(*) FILTER (WHERE EXISTS (
                        SELECT 1 FROM outcome_events o WHERE o.pid = ref.pid
                        AND coalesce(o.outcome_date, o.effective_on) >= e.started_on)
                      OR EXISTS (SELECT 1 FROM follow_ups f WHERE f.rid = ref.rid
                        AND f.status = 'done')),
                    count(*)
                FROM ref JOIN episodes e USING (rid)
                WHERE e.ended_on IS NOT NULL AND e.ended_on <= $as_of GROUP BY ALL""",
                {"as_of": self.as_of},
            )
        }
        names = [
            "drug_use_recorded",
            "risk_level_recorded",
            "gender_recorded",
            "ethnicity_recorded",
            "recovery_capital_at_intake",
            "any_outcome_recorded",
        ]
        out = []
        for row in items:
            g, *recorded, total = row
            table = _published(
                names, ["recorded", "not recorded"], [[r, total - r] for r in recorded]
            )
            shares = {}
            for name, cells in zip(names, table["cells"], strict=True):
                ok = cells[0] is not None and cells[1] is not None and total >= T
                shares[name] = round(cells[0] / total, 4) if ok and total else None
            # Its own denominator (those whose episode has ended), so its own table.
            done, left = exited.get(g, (0, 0))
            after = _published(
                ["outcomes_recorded_of_exited"], ["recorded", "not recorded"],
                [[done, left - done]],
            )  # fmt: skip
            cells = after["cells"][0] if after["cells"] else [None, None]
            ok = None not in cells and left >= T
            shares["outcomes_recorded_of_exited"] = round(done / left, 4) if ok else None
            out.append(
                {
                    "group": g,
                    "referrals": total if total >= T else None,
                    "share": shares,
                    "counts": table,
                    "exited_counts": after,
                }
            )
        return {"groups": out}


# Helpers --------------------------------------------------------------------------------------


def _months(start: datetime.date, end: datetime.date) -> list[str]:
    months, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _distribution(group, n: int, q) -> dict[str, Any]:
    if n < T:
        return {"group": group, "n": None, "withheld": True}
    q1, median, q3, p90 = (round(float(v), 1) for v in q)
    return {"group": group, "n": int(n), "q1": q1, "median": median, "q3": q3, "p90": p90}


def _km(days, events, groups, *, years: bool = False) -> dict[str, Any]:
    """Kaplan-Meier curves as published: groups of fewer than THRESHOLD people withheld, rows
    kept only while THRESHOLD or more are at risk, counts of events and censoring left out."""
    days = np.asarray(days, dtype=float)
    events = np.asarray(events, dtype=int)
    groups = np.asarray(groups, dtype=object)
    keep = np.zeros(len(days), dtype=bool)
    withheld = []
    for g in sorted(set(groups.tolist()), key=str):
        mask = groups == g
        if mask.sum() < T or events[mask].sum() == 0:
            withheld.append(str(g))
        else:
            keep |= mask
    curves = []
    if keep.any():
        result = survival.kaplan_meier(days[keep], events[keep], groups=groups[keep])
        for c in result["curves"]:
            rows = [r for r in c["rows"] if r["n_risk"] >= T and r["n_event"] > 0]
            curve = {
                "group": c["group"],
                "n": c["n"],
                "rows": [
                    {k: _round(r[k]) for k in ("time", "n_risk", "survival", "lower", "upper")}
                    for r in rows
                ],
            }
            if years:
                curve["rates"] = [_rate_at(rows, 365.25 * y, y) for y in YEARS]
            curves.append(curve)
    return {
        "conf_type": survival.DEFAULT_CONF_TYPE,
        "conf_level": 0.95,
        "curves": curves,
        "withheld_groups": withheld,
    }


def _rate_at(rows: list[dict], day: float, years: int) -> dict[str, Any]:
    """Share with the event by `day` (1 - S) and its interval; None when the published curve
    (kept while THRESHOLD or more are at risk) ends before `day`."""
    if not rows or rows[-1]["time"] < day:
        return {"years": years, "rate": None}
    before = [r for r in rows if r["time"] <= day]
    if not before:
        return {"years": years, "rate": 0.0, "lower": 0.0, "upper": 0.0}
    r = before[-1]
    s, lo, hi = r["survival"], r["lower"], r["upper"]
    return {
        "years": years,
        "rate": _round(1 - s),
        "lower": _round(1 - hi) if hi is not None else None,
        "upper": _round(1 - lo) if lo is not None else None,
    }


def _cox(rows: dict) -> dict[str, Any]:
    """Cox model of time from entry to the first reconviction: age, gender, prior
    convictions, risk level and drug type (indicators against the commonest level). An
    indicator with fewer than THRESHOLD people on either side is left out."""
    n = len(rows["days"])
    covariates: dict[str, np.ndarray] = {
        "age": rows["age"].astype(float),
        "prior_convictions": rows["prior"].astype(float),
    }
    for column in ("gender", "risk_level", "drug_related_type"):
        values = np.asarray(rows[column], dtype=object)
        levels, counts = np.unique(values.astype(str), return_counts=True)
        if len(levels) < 2:
            continue
        reference = levels[np.argmax(counts)]
        for level, count in zip(levels, counts, strict=True):
            if level != reference and T <= count <= n - T:
                covariates[f"{column}={level}"] = (values == level).astype(float)
    covariates = {k: v for k, v in covariates.items() if np.nanstd(v) > 0}
    if n < T or int(rows["event"].sum()) < T or not covariates:
        return {"estimated": False, "reason": "too few people or reconvictions"}
    try:
        model = survival.cox(rows["days"].astype(float), rows["event"].astype(int), covariates)
    except InvalidInput as exc:
        return {"estimated": False, "reason": "; ".join(str(p) for p in exc.problems)}
    return {"estimated": True, "reference_levels": "the commonest level of each", **model}


def _hazard_ratios(days, events, groups) -> dict[str, Any]:
    """Each group's hazard ratio against the largest group, with its 95% Wald interval and p.
    A group of fewer than THRESHOLD people is left out of the model and named in
    `withheld_groups`; a group with no event has no ratio (`without_events`); with fewer than
    THRESHOLD events, or fewer than two groups left, no model is fitted. No count is
    published (the counts are in the suppressed tables)."""
    days = np.asarray(days, dtype=float)
    events = np.asarray(events, dtype=int)
    labels = np.asarray([str(g) for g in np.asarray(groups, dtype=object)], dtype=object)
    sizes = {g: int((labels == g).sum()) for g in sorted(set(labels.tolist()))}
    withheld = [g for g, n in sizes.items() if n < T]
    shown = [g for g, n in sizes.items() if n >= T]
    without = [g for g in shown if events[labels == g].sum() == 0]
    fitted = [g for g in shown if g not in without]
    out: dict[str, Any] = {
        "conf_level": 0.95,
        "ties": survival.DEFAULT_TIES,
        "withheld_groups": withheld,
        "without_events": without,
    }
    keep = np.isin(labels, fitted)
    if len(fitted) < 2 or int(events[keep].sum()) < T:
        reason = "fewer than two groups of 5 or more people with a reconviction"
        if len(fitted) >= 2:
            reason = "too few reconvictions"
        return {"estimated": False, "reason": reason, "reference": None, "groups": [], **out}
    reference = max(fitted, key=lambda g: (sizes[g], g))
    try:
        result = equity.group_hazard_ratios(
            days[keep], events[keep], labels[keep].tolist(), reference=reference
        )
    except InvalidInput as exc:
        reason = "; ".join(str(p) for p in exc.problems)
        return {"estimated": False, "reason": reason, "reference": None, "groups": [], **out}
    groups = [{"group": reference, "hazard_ratio": 1.0, "lower": None, "upper": None, "p": None}]
    groups += [
        {
            "group": g["group"],
            "hazard_ratio": _round(g["hazard_ratio"], 6),
            "lower": _round(g["lower"], 6),
            "upper": _round(g["upper"], 6),
            "p": float(f"{g['p']:.4g}"),
        }
        for g in result["groups"]
    ]
    return {"estimated": True, "reference": reference, "groups": groups, **out}


def _change(pairs: np.ndarray) -> dict[str, Any]:
    n = len(pairs)
    if n < T:
        return {"n": None, "withheld": True}
    diff = pairs[:, 1] - pairs[:, 0]
    se = float(diff.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    mean = float(diff.mean())
    return {
        "n": n,
        "mean_before": _round(float(pairs[:, 0].mean()), 2),
        "mean_after": _round(float(pairs[:, 1].mean()), 2),
        "mean_change": _round(mean, 2),
        "lower": _round(mean - 1.959964 * se, 2),
        "upper": _round(mean + 1.959964 * se, 2),
        "median_change": _round(float(np.median(diff)), 2),
    }


def _ratios(counts) -> dict[str, Any]:
    """Rates and disparity ratios against the largest group; the counts pass through
    `suppress`, and a group whose counts are withheld has no rate or ratio."""
    counts = sorted((str(g), int(e), int(n)) for g, e, n in counts)
    if not counts:
        return {"groups": [], "reference": None}
    table = _published(
        [c[0] for c in counts], ["with", "without"], [[e, n - e] for _, e, n in counts]
    )
    shown = {
        c[0]: c
        for c, cells in zip(counts, table["cells"], strict=True)
        if None not in cells and c[2] > 0
    }
    reference = max(shown.values(), key=lambda c: c[2])[0] if shown else None
    ratios = {}
    if reference is not None:
        try:
            result = equity.disparity_ratios(
                {g: (e, n) for g, e, n in shown.values()}, reference=reference
            )
            ratios = {r["group"]: r for r in result["groups"]}
        except InvalidInput:
            ratios = {}
    groups = []
    for g, e, n in counts:
        r = ratios.get(g)
        entry = {"group": g, "with": e if g in shown else None, "of": n if g in shown else None}
        if r:
            entry.update({k: _round(r.get(k)) for k in ("rate", "ratio", "lower", "upper")})
        else:
            entry.update({"rate": None, "ratio": None, "lower": None, "upper": None})
        groups.append(entry)
    return {"reference": reference, "groups": groups}
