"""A synthetic extract generated straight into the extract's columnar shape (fixed seed,
vectorised numpy): for the benchmark (bench/bench_evaluation_measures.py) and the tests that
check the measures against plain-Python computations. Nobody in it is real."""

from __future__ import annotations

import datetime

import numpy as np
import pyarrow as pa

from .extract import AGE_BANDS, SCHEMAS, Extract

EPOCH = datetime.date(1970, 1, 1)
GENDERS = np.array(["male", "female", "intersex", "prefer_not_to_say"])
ETHNICITIES = np.array(["white", "black", "asian", "mixed", "other", "prefer_not_to_say"])
DRUG_TYPES = np.array(
    ["economic_compulsive", "psychopharmacological", "systemic", "drug_law", "unknown"]
)
RISK = np.array(["low", "medium", "high", "very_high", "not recorded"])
OFFENCES = np.array(["acquisitive", "drug_possession", "drug_supply", "violence", "other"])
EXITS = np.array(["completed", "revoked_breach", "revoked_new_offence", "transferred"])
EXIT_OUTCOMES = np.array(["completed", "unsuccessful", "unsuccessful", "neutral"])
REASONS = np.array(["not_eligible", "declined", "no_show", "other"])
STAGES = (
    "referral",
    "screening",
    "eligibility",
    "assessment",
    "recommendation",
    "decision",
    "episode",
    "exit",
)


def _days(d: datetime.date) -> int:
    return (d - EPOCH).days


def _date_array(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    mask = None if valid is None else ~valid
    return pa.array(days.astype(np.int32), type=pa.int32(), mask=mask).cast(pa.date32())


def _str(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(object), type=pa.string())


def generate(
    participants: int,
    *,
    seed: int = 30,
    start=datetime.date(2016, 1, 1),
    end=datetime.date(2025, 12, 31),
    programmes: int = 8,
    sites: int = 40,
    outcome_events_each: float = 12.0,
) -> Extract:
    """`participants` people with one referral each (every programme, every site), the steps
    each took, an episode for those who started, outcome events (about `outcome_events_each`
    a person) and BARC-10 totals; everything ends by `end`, the extract's day."""
    rng = np.random.default_rng(seed)
    n = participants
    pid = np.arange(1, n + 1, dtype=np.int64)
    lo, hi = _days(start), _days(end)
    referral = rng.integers(lo, hi - 30, n)
    offence = referral - rng.gamma(2.0, 20.0, n).astype(np.int64)
    programme = rng.integers(0, programmes, n)
    site = programme * (sites // programmes) + rng.integers(0, sites // programmes, n)
    age = np.clip(rng.normal(34, 10, n), 16, 80).astype(np.int16)
    band = np.full(n, AGE_BANDS[-1][2], dtype=object)
    for low, high, label in AGE_BANDS:
        band[(age >= low) & (age < high)] = label
    # How far along the pathway each referral got: 0 = referral ... 7 = exit.
    reach = rng.choice(len(STAGES), n, p=[0.05, 0.05, 0.08, 0.07, 0.05, 0.05, 0.25, 0.40])
    gaps = rng.gamma(1.5, 6.0, (n, len(STAGES))).astype(np.int64) + 1
    gaps[:, 0] = 0
    gaps[:, 7] = rng.gamma(2.0, 120.0, n).astype(np.int64) + 1  # time on the programme
    when = referral[:, None] + np.cumsum(gaps, axis=1)
    when = np.minimum(when, hi)
    started = reach >= 6
    ended = reach >= 7
    recommended = np.where(reach >= 4, "programme", "")
    imposed = np.where(reach >= 5, np.where(started, "programme", "other_community"), "")
    tables: dict[str, pa.Table] = {}
    tables["participants"] = pa.Table.from_arrays(
        [
            pa.array(pid),
            _str(rng.choice(GENDERS, n, p=[0.7, 0.25, 0.01, 0.04])),
            _str(rng.choice(ETHNICITIES, n, p=[0.7, 0.1, 0.08, 0.05, 0.03, 0.04])),
        ],
        schema=SCHEMAS["participants"],
    )
    names = np.array([f"programme-{i}" for i in range(programmes)])
    site_names = np.array([f"site-{i:02d}" for i in range(sites)])
    tables["referrals"] = pa.Table.from_arrays(
        [
            pa.array(pid),
            pa.array(pid),
            _str(names[programme]),
            _str(site_names[site]),
            _str(band),
            pa.array(age),
            _str(rng.choice(OFFENCES, n)),
            _str(rng.choice(DRUG_TYPES, n, p=[0.4, 0.2, 0.1, 0.2, 0.1])),
            _date_array(offence),
            _date_array(referral),
            _str(recommended),
            _str(imposed),
            _str(rng.choice(RISK, n, p=[0.2, 0.35, 0.25, 0.1, 0.1])),
        ],
        schema=SCHEMAS["referrals"],
    )
    # Transitions: one row per stage reached after the referral, and a "left" row for those
    # who stopped before starting.
    rows, cols = np.nonzero(np.arange(1, len(STAGES))[None, :] <= reach[:, None])
    cols = cols + 1
    left = ~started
    t_rid = np.concatenate([pid[rows], pid[left]])
    t_from = np.concatenate([np.array(STAGES)[cols - 1], np.array(STAGES)[reach[left]]])
    t_to = np.concatenate([np.array(STAGES)[cols], np.full(left.sum(), "left")])
    t_on = np.concatenate([when[rows, cols], np.minimum(when[left, reach[left]] + 7, hi)])
    t_reason = np.concatenate([np.full(len(rows), ""), rng.choice(REASONS, left.sum())])
    tables["transitions"] = pa.Table.from_arrays(
        [pa.array(t_rid), _str(t_from), _str(t_to), _date_array(t_on), _str(t_reason)],
        schema=SCHEMAS["transitions"],
    )
    e = np.nonzero(started)[0]
    exit_kind = rng.choice(len(EXITS), len(e), p=[0.5, 0.3, 0.1, 0.1])
    e_end = when[e, 7]
    e_ended = ended[e] & (e_end < hi)
    tables["episodes"] = pa.Table.from_arrays(
        [
            pa.array(pid[e]),
            pa.array(pid[e]),
            _str(names[programme[e]]),
            _str(site_names[site[e]]),
            _date_array(when[e, 6]),
            pa.array(rng.integers(1, 4, len(e)).astype(np.int16)),
            _date_array(e_end, e_ended),
            _str(np.where(e_ended, EXITS[exit_kind], "")),
            _str(np.where(e_ended, EXIT_OUTCOMES[exit_kind], "")),
        ],
        schema=SCHEMAS["episodes"],
    )
    # Outcome events: arrests, convictions (some before the referral: prior convictions),
    # housing and employment changes, overdoses.
    m = int(n * outcome_events_each)
    o_pid = rng.integers(1, n + 1, m)
    kinds = np.array(
        ["arrest", "charge", "conviction", "custody", "housing", "employment", "overdose"]
    )
    o_kind = rng.choice(len(kinds), m, p=[0.25, 0.15, 0.2, 0.05, 0.15, 0.15, 0.05])
    o_date = rng.integers(lo - 1500, hi, m)
    justice = o_kind <= 3
    o_offence = np.where(justice, o_date - rng.integers(0, 200, m), 0)
    outcome = np.where(kinds[o_kind] == "conviction", "convicted", np.where(justice, "pending", ""))
    tables["outcome_events"] = pa.Table.from_arrays(
        [
            pa.array(o_pid),
            _str(kinds[o_kind]),
            _date_array(o_offence, justice),
            _date_array(o_date, justice),
            _date_array(o_date, ~justice),
            _str(outcome),
            _str(np.where(justice, "", "settled")),
        ],
        schema=SCHEMAS["outcome_events"],
    )
    # BARC-10 totals (10-60) at intake, exit and follow-up for those on the programme.
    k = len(e)
    base = np.clip(rng.normal(32, 8, k), 10, 60)
    settings = ["intake", "exit", "follow_up"]
    rc_pid = np.concatenate([pid[e]] * 3)
    rc_setting = np.repeat(np.array(settings), k)
    rc_on = np.concatenate([when[e, 6], e_end, np.minimum(e_end + 180, hi)])
    rc_total = np.concatenate(
        [
            base,
            np.clip(base + rng.normal(5, 6, k), 10, 60),
            np.clip(base + rng.normal(4, 7, k), 10, 60),
        ]
    )
    present = np.concatenate(
        [rng.random(k) < 0.9, e_ended & (rng.random(k) < 0.7), e_ended & (rng.random(k) < 0.4)]
    )
    tables["recovery_capital"] = pa.Table.from_arrays(
        [
            pa.array(rc_pid[present]),
            pa.array(rc_pid[present]),
            _str(rc_setting[present]),
            _date_array(rc_on[present]),
            pa.array(np.round(rc_total[present])),
        ],
        schema=SCHEMAS["recovery_capital"],
    )
    # Follow-ups 3, 6 and 12 months after each exit: those due by `end` done, missed or
    # declined; about half the done ones answered with a WHO-5 (a percentage 0-100), which the
    # participant also gave at intake.
    x = e[e_ended]
    x_end = e_end[e_ended]
    f_rid = np.repeat(pid[x], 3)
    f_months = np.tile(np.array([3, 6, 12], dtype=np.int16), len(x))
    f_due = np.repeat(x_end, 3) + np.tile(np.array([91, 182, 365]), len(x))
    past = f_due <= hi
    f_status = np.where(
        past, rng.choice(np.array(["done", "missed", "declined"]), len(f_rid), p=[0.55, 0.3, 0.15]),
        "due",
    )  # fmt: skip
    done = f_status == "done"
    f_done_on = np.minimum(f_due + rng.integers(0, 20, len(f_rid)), hi)
    answered = done & (rng.random(len(f_rid)) < 0.5)
    f_aid = np.zeros(len(f_rid), dtype=np.int64)
    f_aid[answered] = np.arange(1, answered.sum() + 1)
    tables["follow_ups"] = pa.Table.from_arrays(
        [
            pa.array(f_rid),
            pa.array(f_rid),
            pa.array(f_months),
            _date_array(f_due),
            _str(f_status),
            _date_array(f_done_on, done),
            pa.array(f_aid, mask=~answered),
        ],
        schema=SCHEMAS["follow_ups"],
    )
    a = int(answered.sum())
    who = np.clip(rng.normal(52, 20, a), 0, 100).round()
    at_intake = np.unique(f_rid[answered])
    c_aid = np.concatenate([f_aid[answered], np.arange(a + 1, a + 1 + len(at_intake))])
    c_rid = np.concatenate([f_rid[answered], at_intake])
    start_of = dict(zip(pid[e].tolist(), when[e, 6].tolist(), strict=True))
    c_on = np.concatenate(
        [f_done_on[answered], np.array([start_of[r] for r in at_intake.tolist()], dtype=np.int64)]
    )
    c_score = np.concatenate([who, np.clip(rng.normal(40, 20, len(at_intake)), 0, 100).round()])
    tables["client_reported"] = pa.Table.from_arrays(
        [
            pa.array(c_aid),
            pa.array(c_rid),
            pa.array(c_rid),
            _str(np.full(len(c_aid), "who-5")),
            _str(np.concatenate([np.full(a, "follow_up"), np.full(len(at_intake), "intake")])),
            _date_array(c_on),
            _str(np.full(len(c_aid), "percentage")),
            pa.array(c_score.astype(float)),
        ],
        schema=SCHEMAS["client_reported"],
    )
    return Extract(tables, end)
