"""A synthetic caseload: plausible participants and their pathways, for demos and benchmarks.

Every row is marked synthetic. The generator applies the same rules as real use: each step is
planned by `machine.plan_step` (the rule function the services call), the referral is checked by
`services.referral_problems`, and the rows come from the same builders the service functions save
(`referral_build`, `referral_step_rows`, the audit builders). Only the saving differs: rows are
collected for a few thousand participants and written with bulk_create in one transaction.

Randomness is injected (STYLE.md rule 13): one `numpy.random.Generator` built from the seed,
drawn in participant order, so the same seed (and the same `today`) gives the same rows whatever
the batch size. The rates and where they come from are in docs/synth.md.
"""

import time
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from typing import NotRequired, TypedDict

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from turnpoint.errors import InvalidInput, Problem
from turnpoint.outcomes.models import FollowUp, OutcomeEvent
from turnpoint.outcomes.synth import ExitOutcomes, exit_outcomes, exit_outcomes_audit
from turnpoint.people.models import Ethnicity, Participant, Sex
from turnpoint.programmes.eligibility import eligibility_check
from turnpoint.programmes.models import Programme
from turnpoint.sharing import context
from turnpoint.sharing.audit import audit_entry
from turnpoint.sharing.categories import Category
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.participation import (
    ParticipationConsent,
    participation_consent_audit,
    participation_consent_build,
)
from turnpoint.sharing.rules import PolicyDenied, require

from . import machine
from .assignment import episode_assign
from .models import Disposal, Episode, Referral, State, Transition
from .services import (
    referral_audit_create,
    referral_build,
    referral_problems,
    referral_step_rows,
    transition_audit,
)

S = State


class Weighted:
    """Draw one of `items` with the given weights from a uniform number (fast, no rng.choice)."""

    def __init__(self, pairs: dict):
        self.items = list(pairs)
        total = sum(pairs.values())
        self.cumulative = list(accumulate(w / total for w in pairs.values()))

    def pick(self, rng: np.random.Generator):
        return self.items[min(bisect(self.cumulative, rng.random()), len(self.items) - 1)]


# --- Who the participants are -------------------------------------------------------------
GIVEN = {
    Sex.FEMALE: ["Aisha", "Amy", "Chloe", "Claire", "Dana", "Emma", "Fatima", "Grace", "Hannah",
                 "Inès", "Joanne", "Kelly", "Laura", "Lotte", "Maria", "Nadia", "Niamh", "Priya",
                 "Rachel", "Sarah", "Shannon", "Sofie", "Tanya", "Zoe"],
    Sex.MALE: ["Adam", "Ahmed", "Ben", "Callum", "Craig", "Daniel", "Darren", "David", "Jamal",
               "James", "Jordan", "Kevin", "Liam", "Lucas", "Marcus", "Mark", "Michael", "Mohammed",
               "Pieter", "Ryan", "Scott", "Stuart", "Thomas", "Wouter"],
    "other": ["Alex", "Charlie", "Jamie", "Jordan", "Morgan", "Robin", "Sam", "Taylor"],
}  # fmt: skip
FAMILY = ["Ahmed", "Brown", "Campbell", "Clarke", "Davies", "De Smet", "Evans", "Fraser", "Green",
          "Hall", "Hughes", "Jansens", "Johnson", "Jones", "Khan", "Kowalski", "MacDonald",
          "Martin",
          "Mensah", "Murray", "Nowak", "O'Brien", "Patel", "Peeters", "Robertson", "Ross", "Scott",
          "Smith", "Stewart", "Taylor", "Thomson", "Walker", "Watson", "Williams", "Wilson",
          "Wright", "Young"]  # fmt: skip
SEX = Weighted(
    {Sex.MALE: 0.78, Sex.FEMALE: 0.19, Sex.INTERSEX: 0.003, Sex.PREFER_NOT_TO_SAY: 0.027}
)
ETHNICITY = Weighted({Ethnicity.WHITE: 0.78, Ethnicity.BLACK: 0.06, Ethnicity.ASIAN: 0.06,
                      Ethnicity.MIXED: 0.04, Ethnicity.OTHER: 0.02,
                      Ethnicity.PREFER_NOT_TO_SAY: 0.04})  # fmt: skip
DEMOGRAPHICS_CONSENT = 0.85
UNDER_18 = 0.02  # a few referrals every adult programme's age rule turns away

# --- The referral ---------------------------------------------------------------------------
SOURCE_BY_STAGE = {
    # Police stage: tested in police custody after arrest, so every referral comes from the police.
    "police": Weighted({"police": 1.0}),
    "pre-trial": Weighted({"police": 0.45, "prosecutor": 0.4, "court": 0.1, "self": 0.05}),
    "sentencing": Weighted({"court": 0.55, "probation": 0.35, "prosecutor": 0.05, "self": 0.05}),
    # Post-sentence: referred before release by the prison's drug service or a probation officer.
    "post-sentence": Weighted({"prison": 0.75, "probation": 0.25}),
}
OFFENCE = Weighted({"acquisitive": 0.45, "drug_possession": 0.15, "drug_supply": 0.07,
                    "violence": 0.08, "public_order": 0.08, "fraud": 0.07, "motoring": 0.04,
                    "other": 0.06})  # fmt: skip
OFFENCE_BY_STAGE = {
    # Testing on arrest follows mainly acquisitive crimes and Class A possession (seed 004); a few
    # arrests for other offences are referred and turned away at eligibility. Illustrative.
    "police": Weighted({"acquisitive": 0.62, "drug_possession": 0.2, "fraud": 0.05,
                        "drug_supply": 0.04, "violence": 0.03, "public_order": 0.04,
                        "other": 0.02}),
    # People leaving prison: more supply and violence than at the earlier stages. Illustrative.
    "post-sentence": Weighted({"acquisitive": 0.4, "drug_supply": 0.15, "violence": 0.16,
                               "drug_possession": 0.06, "fraud": 0.05, "public_order": 0.05,
                               "motoring": 0.04, "other": 0.09}),
}  # fmt: skip
_ECONOMIC = Weighted({"economic_compulsive": 0.85, "psychopharmacological": 0.1, "unknown": 0.05})
DRUG_RELATED_TYPE = {
    "acquisitive": _ECONOMIC,
    "fraud": _ECONOMIC,
    "drug_possession": Weighted({"drug_law": 0.97, "unknown": 0.03}),
    "drug_supply": Weighted({"drug_law": 0.7, "systemic": 0.27, "unknown": 0.03}),
    "violence": Weighted({"psychopharmacological": 0.5, "systemic": 0.4, "unknown": 0.1}),
    "public_order": Weighted({"psychopharmacological": 0.85, "unknown": 0.15}),
    "motoring": Weighted({"psychopharmacological": 0.8, "unknown": 0.2}),
    "other": Weighted({"psychopharmacological": 0.4, "economic_compulsive": 0.3, "unknown": 0.3}),
}
YEARS_BACK = 3

# --- The pathway: chance of leaving at each state, the reasons, days to the next step -------
LEAVE = {
    S.REFERRAL: (0.06, Weighted({"withdrawn": 4, "did_not_attend": 4, "moved_away": 1,
                                 "custody": 1})),
    S.SCREENING: (0.12, Weighted({"screened_out": 6, "declined": 2, "did_not_attend": 2})),
    S.ELIGIBILITY: (0.05, Weighted({"declined": 6, "did_not_attend": 4})),
    S.ASSESSMENT: (0.15, Weighted({"not_suitable": 9, "declined": 6, "did_not_attend": 4,
                                   "custody": 1})),
    S.RECOMMENDATION: (0.05, Weighted({"declined": 5, "withdrawn": 3, "moved_away": 2})),
}  # fmt: skip
NOT_ELIGIBLE_LEAVE = 0.9  # most leave; a few go on, the coordinator overriding the rule
ELIGIBILITY_OVERRIDE = (
    "The team judged the programme the right response despite the rule; the coordinator agreed"
)
# At the police and post-sentence stages the rules restate conditions the law sets (a conditional
# caution and testing on arrest for adults arrested for a trigger offence; drug conditions on
# release for adults whose drug misuse contributed to the offence): nobody goes on past one.
NOT_ELIGIBLE_LEAVE_BY_STAGE = {"police": 1.0, "post-sentence": 1.0}
# Chance of leaving at a step, where a stage differs from LEAVE. At the police stage screening is
# the test on arrest: 37% of tests were positive in 2006/07 (seed 004), so 63% leave there.
# Before release people are in custody already: nobody is remanded, and few miss a meeting.
LEAVE_BY_STAGE = {
    "police": {S.SCREENING: (0.63, Weighted({"screened_out": 1}))},
    "post-sentence": {
        S.REFERRAL: (0.06, Weighted({"withdrawn": 5, "moved_away": 3, "declined": 2})),
        S.SCREENING: (0.12, Weighted({"screened_out": 6, "declined": 4})),
        S.ELIGIBILITY: (0.05, Weighted({"declined": 1})),
        S.ASSESSMENT: (0.15, Weighted({"not_suitable": 9, "declined": 6, "did_not_attend": 1})),
    },
}
GAP_DAYS = {
    S.REFERRAL: (1, 14),
    S.SCREENING: (1, 10),
    S.ELIGIBILITY: (3, 21),
    S.ASSESSMENT: (7, 28),
    S.RECOMMENDATION: (7, 35),
    S.DECISION: (0, 14),
}
# Police stage: tested the day of arrest, assessed within days, the caution decided within weeks.
GAP_DAYS_BY_STAGE = {
    "police": {S.REFERRAL: (0, 1), S.SCREENING: (0, 2), S.ELIGIBILITY: (1, 7),
               S.ASSESSMENT: (1, 14), S.RECOMMENDATION: (3, 21), S.DECISION: (0, 7)},
}  # fmt: skip
RECOMMEND_PROGRAMME = 0.85
OTHER_DISPOSAL = Weighted({Disposal.OTHER_COMMUNITY: 5, Disposal.CUSTODY: 2,
                           Disposal.FINE_OR_DISCHARGE: 2,
                           Disposal.NO_FURTHER_ACTION: 1})  # fmt: skip
OTHER_DISPOSAL_BY_STAGE = {
    # Charged instead ("other"), another out-of-court disposal, or no further action.
    "police": Weighted({Disposal.OTHER: 5, Disposal.OTHER_COMMUNITY: 3,
                        Disposal.NO_FURTHER_ACTION: 2}),
    # Released on licence without the programme's conditions.
    "post-sentence": Weighted({Disposal.OTHER: 1}),
}  # fmt: skip
# The reason recorded when the programme was recommended but another disposal imposed.
DECISION_LEAVE_BY_STAGE = {
    "police": ("prosecution_declined", ""),  # the prosecutor decided on another course (s.23(2))
    "post-sentence": ("other", "Released on licence without a drug appointment condition"),
}
IMPOSED_AS_RECOMMENDED = 0.8  # evidence.md R3 and simulation.md "Scottish funnel": they diverge
DIVERTED_ANYWAY = 0.3  # another disposal recommended, the programme imposed

# --- The episode ------------------------------------------------------------------------------
COMPLETION = {"england-drr": 0.44, "scotland-dtto": 0.39, "scotland-cpo-dtr": 0.39,  # R23
              # No source gives these two; illustrative (docs/synth.md).
              "england-police-drug-intervention": 0.6,
              "england-prison-to-community": 0.4}  # fmt: skip
COMPLETION_DEFAULT = 0.38  # R23: 28-44% England and Wales, 38-40% Scotland
NEUTRAL_EXIT = 0.06
# Relative weights of exit types within an outcome (default 1; a programme's first completion
# code 6). Illustrative, except that not arriving at community treatment after release is common:
# 43% of people leaving prison with a treatment need started it within 3 weeks (OHID 2022-23).
EXIT_WEIGHTS = {"died": 0.15, "not_prosecuted_after_non_compliance": 0.3, "new_offence": 0.5,
                "not_engaged_after_release": 2.0, "recalled": 1.5, "not_released": 0.3}  # fmt: skip
# Exit types that by their meaning happen in one phase: they end the episode within it.
EXIT_IN_PHASE = {"not_released": 1, "not_engaged_after_release": 2}
PHASE_STRETCH = (1.0, 1.6)  # phases last their minimum length or up to 60% longer
FOLLOW_UP = 0.6
EXIT_REASON = {
    "completed": "Completed the programme",
    "unsuccessful": "Stopped before completion",
    "neutral": "Left the programme for reasons outside it",
}
PHASE_REASON = "Met the goals of the phase; the team agreed to move on"
# Rows per INSERT on PostgreSQL (SQLite's parameter limit caps it lower): smaller statements
# measured faster than one UNNEST insert per model per batch (bench/bench_synth.py).
INSERT_ROWS = 1000
CLOSE_WITHOUT_FOLLOW_UP = "No follow-up possible: could not be contacted after exit"
CONSENT_ALTERNATIVES = "The case continues in the ordinary way: prosecution and sentence."
CONSENT_NON_COMPLETION = "The case returns to the court, which decides as it would have done."
CONSENT_BY_STAGE = {  # (alternatives, what non-completion means)
    "police": ("The case goes to the prosecutor, who decides whether to charge.",
               "Not complying without a reasonable excuse may lead to prosecution for the "
               "original offence."),
    "post-sentence": ("Release on licence without the programme; community treatment stays "
                      "open on a voluntary basis.",
                      "Not keeping the licence's drug appointments may lead to recall to "
                      "custody."),
}  # fmt: skip
# Legal pressure where the consequences are deferred (before charge or trial); mandatory where
# treatment is a condition of an order or a licence.
LEGAL_PRESSURE_STAGES = ("police", "pre-trial")


@dataclass
class _Facts:
    """What the generator needs about one programme, read once per run."""

    programme: Programme
    phase_weeks: list[int]
    max_weeks: int
    exit_types: tuple[str, ...]
    exit_outcomes: dict[str, str]
    override_roles: tuple[str, ...]
    exits: dict[str, Weighted]
    completion: float
    sources: Weighted
    pre_trial: bool
    stage: str
    offences: Weighted
    gaps: dict
    leave: dict
    not_eligible_leave: float
    other_disposal: Weighted


@dataclass
class _Batch:
    participants: list = field(default_factory=list)
    referrals: list = field(default_factory=list)
    transitions: list = field(default_factory=list)  # in order, per participant
    episodes: list = field(default_factory=list)
    consents: dict = field(default_factory=dict)  # id(referral) -> participation consent


class SynthSummary(TypedDict):
    """What `synth_caseload` made: counts, why people left and how episodes ended (each a count
    by reason code or exit type), the seed and the time taken."""

    participants: int
    referrals: int
    transitions: int
    episodes: int
    active_episodes: int
    completions: int
    participation_consents: int
    left: dict[str, int]
    exits: dict[str, int]
    audit_entries: int
    follow_ups: int
    outcome_events: int
    seed: int
    elapsed_seconds: NotRequired[float]


def synth_caseload(
    *,
    participants: int,
    seed: int,
    acting_user,
    programmes=None,
    batch_size: int = 2000,
    today: date | None = None,
    progress=None,
) -> SynthSummary:
    """Generate `participants` synthetic participants with a referral each and their pathway.

    Returns counts of what was written. Refused with InvalidInput for a bad count or no
    programmes, with PolicyDenied when `acting_user` may not write to a programme.
    `progress(done, total)`, if given, is called after each committed batch.
    """
    started = time.perf_counter()
    problems = []
    if not isinstance(participants, int) or participants < 1:
        problems.append(Problem("participants", "must be a whole number of at least 1"))
    if batch_size < 1:
        problems.append(Problem("batch_size", "must be at least 1"))
    programmes = list(Programme.objects.all() if programmes is None else programmes)
    if not programmes:
        problems.append(Problem("programmes", "none are loaded: run `turnpoint programmes load "
                                "--shipped` first"))  # fmt: skip
    if problems:
        raise InvalidInput(problems)
    if not connection.features.can_return_rows_from_bulk_insert:
        # The audit rows name the ids bulk_create returns (SQLite 3.35+, PostgreSQL).
        raise RuntimeError("this database cannot return ids from a bulk insert")
    member_of = set(acting_user.programmes.values_list("pk", flat=True))
    for programme in programmes:
        for category in (Category.IDENTITY, Category.LEGAL, Category.PATHWAY):
            require(acting_user, category, programme=programme, action="write")
        if programme.pk not in member_of:
            raise PolicyDenied(
                f"{acting_user.username} is not a member of the {programme.name} team"
            )
    facts = [_programme_facts(p) for p in programmes]
    rng = np.random.default_rng(seed)
    # Outcomes after exit draw from their own generator: the pathways stay those of the seed.
    after = _After(np.random.default_rng([seed, 30]), today or timezone.localdate(),
                   frozenset(c for f in facts for c, o in f.exit_outcomes.items()
                             if o == "completed"))  # fmt: skip
    today = today or timezone.localdate()
    summary: SynthSummary = {
        "participants": 0,
        "referrals": 0,
        "transitions": 0,
        "episodes": 0,
        "active_episodes": 0,
        "completions": 0,
        "participation_consents": 0,
        "left": {},
        "exits": {},
        "audit_entries": 0,
        "follow_ups": 0,
        "outcome_events": 0,
        "seed": seed,
    }
    # One request context for the run: every audit row carries the same request id.
    token = context.activate(context.current())
    try:
        done = 0
        while done < participants:
            size = min(batch_size, participants - done)
            batch = _Batch()
            for _ in range(size):
                _one_participant(rng, facts, today, acting_user, batch, summary)
            _write(batch, acting_user, summary, after)
            done += size
            if progress is not None:
                progress(done, participants)
    finally:
        context.deactivate(token)
    summary["left"] = dict(sorted(summary["left"].items()))
    summary["exits"] = dict(sorted(summary["exits"].items()))
    summary["elapsed_seconds"] = round(time.perf_counter() - started, 2)
    return summary


def _programme_facts(programme: Programme) -> _Facts:
    exit_types = programme.exit_types
    exits = {}
    for outcome in ("completed", "unsuccessful", "neutral"):
        codes = [e["code"] for e in exit_types if e["outcome"] == outcome]
        # The first completion code is the usual one (e.g. 'completed', 'graduated').
        weights = {c: EXIT_WEIGHTS.get(c, 6.0 if i == 0 and outcome == "completed" else 1.0)
                   for i, c in enumerate(codes)}  # fmt: skip
        if weights:
            exits[outcome] = Weighted(weights)
    return _Facts(
        programme=programme,
        phase_weeks=list(programme.phases.order_by("number").values_list("min_weeks", flat=True)),
        max_weeks=programme.max_duration_weeks,
        exit_types=tuple(e["code"] for e in exit_types),
        exit_outcomes={e["code"]: e["outcome"] for e in exit_types},
        override_roles=programme.override_roles,
        exits=exits,
        completion=COMPLETION.get(programme.slug, COMPLETION_DEFAULT),
        sources=SOURCE_BY_STAGE.get(programme.stage, SOURCE_BY_STAGE["sentencing"]),
        pre_trial=programme.stage == "pre-trial",
        stage=programme.stage,
        offences=OFFENCE_BY_STAGE.get(programme.stage, OFFENCE),
        gaps=GAP_DAYS | GAP_DAYS_BY_STAGE.get(programme.stage, {}),
        leave=LEAVE | LEAVE_BY_STAGE.get(programme.stage, {}),
        not_eligible_leave=NOT_ELIGIBLE_LEAVE_BY_STAGE.get(programme.stage, NOT_ELIGIBLE_LEAVE),
        other_disposal=OTHER_DISPOSAL_BY_STAGE.get(programme.stage, OTHER_DISPOSAL),
    )


def _offence_to_referral_days(rng, stage: str) -> int:
    """Days from the offence to the referral (illustrative): a few days at the police stage
    (arrest, then the test in custody); about a year after sentence (charge, sentence, part of
    the sentence served before release is near); otherwise median about seven weeks."""
    if stage == "police":
        return min(60, int(rng.lognormal(0.7, 1.0)))
    if stage == "post-sentence":
        return min(1500, 120 + int(rng.lognormal(5.3, 0.5)))
    return min(700, int(7 + rng.lognormal(3.8, 0.8)))


def _days(rng, low: int, high: int) -> timedelta:
    return timedelta(days=int(low + rng.random() * (high - low + 1)))


def _one_participant(rng, facts: list[_Facts], today: date, user, batch: _Batch, summary) -> None:
    f = facts[int(rng.random() * len(facts))]
    referral_date = today - _days(rng, 0, YEARS_BACK * 365)
    offence_date = referral_date - timedelta(days=_offence_to_referral_days(rng, f.stage))
    if rng.random() < UNDER_18:
        age_years = 16 + rng.random() * 2
    else:
        age_years = 18 + min(rng.gamma(2.5, 6.0), 52)
    born = offence_date - timedelta(days=int(age_years * 365.25))
    sex = SEX.pick(rng)
    consent = rng.random() < DEMOGRAPHICS_CONSENT
    ethnicity = ETHNICITY.pick(rng) if consent else Ethnicity.PREFER_NOT_TO_SAY
    names = GIVEN.get(sex, GIVEN["other"])
    participant = Participant(
        given_name=names[int(rng.random() * len(names))],
        family_name=FAMILY[int(rng.random() * len(FAMILY))],
        date_of_birth=born,
        sex=sex if consent else Sex.PREFER_NOT_TO_SAY,
        ethnicity=ethnicity,
        demographics_consent=consent,
        synthetic=True,
    )
    offence = f.offences.pick(rng)
    values = dict(
        participant=participant,
        source=f.sources.pick(rng),
        offence_category=offence,
        drug_related_type=DRUG_RELATED_TYPE[offence].pick(rng),
        offence_date=offence_date,
        referral_date=referral_date,
    )
    problems = referral_problems(today=today, **values)
    if problems:  # a bug in the generator, never bad luck
        raise AssertionError(f"synthetic referral refused: {problems}")
    referral, created = referral_build(
        acting_user=user, programme=f.programme, synthetic=True, **values
    )
    batch.participants.append(participant)
    batch.referrals.append(referral)
    batch.transitions.append(created)
    summary["participants"] += 1
    summary["referrals"] += 1
    _walk(rng, f, referral, today, user, batch, summary)


class _Walker:
    """Plans each step with the state machine and collects the rows it writes."""

    def __init__(self, f: _Facts, referral, today: date, user, batch: _Batch):
        self.f, self.referral, self.today, self.user, self.batch = f, referral, today, user, batch
        self.last = referral.referral_date
        self.episode: Episode | None = None
        self.phase_started_on: date | None = None

    def step(self, to_state: str, on: date, **kwargs) -> bool:
        """Take one step if its date has come; False when it lies in the future."""
        if on > self.today:
            return False
        if self.episode is not None and self.referral.state == S.EPISODE:
            kwargs.update(
                started_on=self.episode.started_on, phase_started_on=self.phase_started_on,
                phase_min_weeks=self.f.phase_weeks, max_duration_weeks=self.f.max_weeks,
                exit_outcomes=self.f.exit_outcomes,
            )  # fmt: skip
        step, problems = machine.plan_step(
            state=self.referral.state,
            to_state=to_state,
            occurred_on=on,
            last_occurred_on=self.last,
            today=self.today,
            exit_types=self.f.exit_types,
            current_phase=self.episode.phase_number if self.episode else None,
            phase_count=len(self.f.phase_weeks),
            override_role=self.user.role,
            override_roles=self.f.override_roles,
            **kwargs,
        )
        if problems or step is None:  # the generator asked for an illegal step: a bug, never data
            raise AssertionError(f"synthetic step refused: {problems}")
        rows = referral_step_rows(self.referral, self.episode, step, acting_user=self.user)
        self.batch.transitions.append(rows.transition)
        if rows.episode is not None and not rows.episode_fields:
            self.episode = rows.episode
            self.batch.episodes.append(rows.episode)
        if step.to_state == S.EPISODE:
            self.phase_started_on = on
        self.last = on
        return True


def _walk(rng, f: _Facts, referral, today: date, user, batch: _Batch, summary) -> None:
    w = _Walker(f, referral, today, user, batch)
    left = summary["left"]
    recommended = ""
    for state in (S.REFERRAL, S.SCREENING, S.ELIGIBILITY, S.ASSESSMENT, S.RECOMMENDATION):
        on = w.last + _days(rng, *f.gaps[state])
        chance, reasons = f.leave[state]
        code = reasons.pick(rng) if rng.random() < chance else ""
        if state == S.ELIGIBILITY and not code:
            results = eligibility_check(f.programme, referral)
            failed = [r.reason for r in results if not r.passed]
            may_override = user.role in f.override_roles
            if failed and (rng.random() < f.not_eligible_leave or not may_override):
                if not w.step(S.LEFT, on, reason_code="not_eligible", reason="; ".join(failed)):
                    return
                left["not_eligible"] = left.get("not_eligible", 0) + 1
                return
            # Every rule met, or the coordinator overrides the failed ones with a reason.
            if not w.step(S.ASSESSMENT, on, eligibility=results,
                          override_reason=ELIGIBILITY_OVERRIDE if failed else ""):  # fmt: skip
                return
            continue
        if code:
            if w.step(S.LEFT, on, reason_code=code):
                left[code] = left.get(code, 0) + 1
            return
        nxt = machine.FORWARD[state]
        if nxt == S.DECISION:
            recommended = (
                Disposal.PROGRAMME
                if rng.random() < RECOMMEND_PROGRAMME
                else f.other_disposal.pick(rng)
            )
            if not w.step(nxt, on, recommended_disposal=recommended):
                return
        elif not w.step(nxt, on):
            return
    on = w.last + _days(rng, *f.gaps[S.DECISION])
    reason = ""
    if recommended == Disposal.PROGRAMME:
        diverted = rng.random() < IMPOSED_AS_RECOMMENDED
        imposed = Disposal.PROGRAMME if diverted else f.other_disposal.pick(rng)
        if f.stage in DECISION_LEAVE_BY_STAGE:
            code, reason = DECISION_LEAVE_BY_STAGE[f.stage]
        else:
            code = "prosecution_declined" if f.pre_trial and rng.random() < 0.5 else (
                "court_other_disposal")  # fmt: skip
    else:
        diverted = rng.random() < DIVERTED_ANYWAY
        imposed = Disposal.PROGRAMME if diverted else recommended
        code = "recommended_other"
    if not diverted:
        if w.step(S.LEFT, on, reason_code=code, reason=reason, imposed_disposal=imposed):
            left[code] = left.get(code, 0) + 1
        return
    if on > w.today:
        return  # the decision lies in the future: the referral waits at the decision stage
    consent = _participation_consent(f, w, on)
    if not w.step(S.EPISODE, on, imposed_disposal=Disposal.PROGRAMME,
                  has_participation_consent=True):  # fmt: skip
        return
    w.batch.consents[id(w.referral)] = consent
    summary["episodes"] += 1
    _episode(rng, f, w, summary)


def _participation_consent(f: _Facts, w: _Walker, on: date):
    """The informed consent the service requires before an episode (R12). No random draw, so
    the rest of the caseload is what it was before consent was recorded."""
    programme = w.referral.programme
    weeks = programme.max_duration_weeks
    alternatives, non_completion = CONSENT_BY_STAGE.get(
        f.stage, (CONSENT_ALTERNATIVES, CONSENT_NON_COMPLETION)
    )
    return participation_consent_build(
        acting_user=w.user, referral=w.referral,
        alternatives_explained=alternatives,
        coercion="legal_pressure" if f.stage in LEGAL_PRESSURE_STAGES else "mandatory",
        agreed_max_weeks=weeks, custodial_weeks_replaced=weeks,
        non_completion_explained=non_completion, right_to_withdraw_explained=True,
        signed_by=w.referral.participant.display_name, signed_on=on,
    )  # fmt: skip


def _episode(rng, f: _Facts, w: _Walker, summary) -> None:
    start = w.last
    weeks = [m * (PHASE_STRETCH[0] + rng.random() * (PHASE_STRETCH[1] - PHASE_STRETCH[0]))
             for m in f.phase_weeks]  # fmt: skip
    # Squeeze only the stretch beyond each minimum, so phases keep their minimum lengths and the
    # episode ends within the maximum duration (the programme's rules, applied by plan_step).
    room, stretch = f.max_weeks * 0.95 - sum(f.phase_weeks), sum(weeks) - sum(f.phase_weeks)
    if stretch > max(room, 0):
        squeeze = max(room, 0) / stretch
        weeks = [m + (x - m) * squeeze for m, x in zip(f.phase_weeks, weeks, strict=True)]
    full = sum(weeks)
    draw = rng.random()
    if draw < f.completion:
        outcome, length = "completed", full
    else:
        outcome = "neutral" if draw < f.completion + NEUTRAL_EXIT else "unsuccessful"
        length = full * (0.05 + rng.random() * 0.85)
    exit_type = f.exits[outcome].pick(rng)
    in_phase = EXIT_IN_PHASE.get(exit_type, 0)
    if 0 < in_phase <= len(weeks):  # e.g. did not arrive at treatment in the weeks after release
        length = sum(weeks[: in_phase - 1]) + weeks[in_phase - 1] * (0.1 + rng.random() * 0.8)
    exit_on = start + timedelta(days=max(1, int(length * 7)))
    boundary = 0.0
    for number in range(2, len(weeks) + 1):
        boundary += weeks[number - 2]
        on = start + timedelta(days=int(boundary * 7))
        if on >= exit_on or not w.step(S.EPISODE, on, phase_number=number, reason=PHASE_REASON):
            break
    if not w.step(S.EXIT, exit_on, exit_type=exit_type, reason=EXIT_REASON[outcome]):
        summary["active_episodes"] += 1
        return
    summary["completions"] += outcome == "completed"
    summary["exits"][exit_type] = summary["exits"].get(exit_type, 0) + 1
    if exit_type == "died":
        w.step(S.CLOSED, exit_on + _days(rng, 1, 14), reason="Died; no follow-up is possible")
        return
    if rng.random() < FOLLOW_UP:
        if w.step(S.FOLLOW_UP, exit_on + _days(rng, 60, 120)):
            w.step(S.CLOSED, w.last + _days(rng, 180, 365))
    else:
        w.step(S.CLOSED, exit_on + _days(rng, 14, 60), reason=CLOSE_WITHOUT_FOLLOW_UP)


@dataclass
class _After:
    """What the outcomes after exit need: their generator, today and the exit types that are
    completions."""

    rng: np.random.Generator
    today: date
    completed: frozenset


def _write(batch: _Batch, user, summary, after: _After) -> None:
    """Save one batch as the services would, in bulk: the same rows, one transaction, with the
    follow-ups the exit step schedules and some reoffending after exit (outcomes/synth.py).

    bulk_create fills each foreign key from the (now saved) object it points to."""
    with transaction.atomic():
        Participant.objects.bulk_create(batch.participants, batch_size=INSERT_ROWS)
        Referral.objects.bulk_create(batch.referrals, batch_size=INSERT_ROWS)
        Transition.objects.bulk_create(batch.transitions, batch_size=INSERT_ROWS)
        for episode in batch.episodes:
            episode.participant_id = episode.referral.participant_id
        Episode.objects.bulk_create(batch.episodes, batch_size=INSERT_ROWS)
        for consent in batch.consents.values():
            consent.participant_id = consent.referral.participant_id
        ParticipationConsent.objects.bulk_create(batch.consents.values(), batch_size=INSERT_ROWS)
        entries = []
        for t in batch.transitions:  # in the order the services would write them
            if t.kind == Transition.Kind.CREATED:
                referral = t.referral
                entries.append(_participant_audit_create(referral.participant, acting_user=user))
                entries.append(referral_audit_create(referral, acting_user=user))
            else:
                if t.to_state == S.EPISODE and t.kind == Transition.Kind.ADVANCE:
                    consent = batch.consents[id(t.referral)]
                    entries.append(participation_consent_audit(consent, acting_user=user))
                entries.append(transition_audit(t, acting_user=user))
        outcomes = ExitOutcomes()
        for episode in batch.episodes:
            if episode.ended_on is not None:
                exit_outcomes(after.rng, episode, completed=episode.exit_type in after.completed,
                              offence_category=episode.referral.offence_category,
                              today=after.today, acting_user=user, out=outcomes)  # fmt: skip
        FollowUp.objects.bulk_create(outcomes.follow_ups, batch_size=INSERT_ROWS)
        OutcomeEvent.objects.bulk_create(outcomes.events, batch_size=INSERT_ROWS)
        entries += exit_outcomes_audit(outcomes, acting_user=user)
        AuditEntry.objects.bulk_create(entries, batch_size=INSERT_ROWS)
    summary["follow_ups"] += len(outcomes.follow_ups)
    summary["outcome_events"] += len(outcomes.events)
    summary["transitions"] += len(batch.transitions)
    summary["participation_consents"] += len(batch.consents)
    summary["audit_entries"] += len(entries)


def _participant_audit_create(participant, *, acting_user):
    """The audit row people.services.participant_create writes."""
    return audit_entry(
        acting_user=acting_user,
        action="create",
        categories=[Category.IDENTITY],
        participant_ids=[participant.pk],
        obj=participant,
    )


def synth_assign(*, acting_user, key_workers: list, case_manager) -> int:
    """Give every running synthetic episode a key worker (taking `key_workers` in turn) and the
    case manager, through the service staff use (checked and audited), so each worker's own
    caseload holds people. Returns how many episodes were assigned."""
    running = Episode.objects.filter(participant__synthetic=True, ended_on__isnull=True)
    assigned = 0
    for i, episode in enumerate(running.select_related("programme").order_by("pk")):
        episode_assign(
            episode,
            acting_user=acting_user,
            key_worker=key_workers[i % len(key_workers)],
            case_manager=case_manager,
        )
        assigned += 1
    return assigned
