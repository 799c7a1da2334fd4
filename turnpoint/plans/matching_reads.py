"""The matching page's read (docs/matching.md): the facts matching uses and the decisions already
made, for one referral, decided, fetched and recorded in one transaction like every selector of
`turnpoint.sharing.reads` (docs/sharing.md). It sits beside the matching rules it serves.

Each kind of fact is decided by the data category of the record it comes from, with the rules
for the referral's programme and the participant's openings (a court order opens nothing here,
as on the participant page): the risk level and the needs checklist are risk and need
assessments, days of substance use are clinical, a mental-health instrument is mental health. A
fact the user may not read is not used, and the page says which category was not available. A
decision is shown only to a reader of the recovery plan who may read every category of the facts
it rested on.

Only what was recorded without a referral, or for a referral to a programme of the user's team,
is used: an assessment made for another team's programme stays with that team.
"""

import re
from dataclasses import dataclass, field, replace

from django.db import transaction
from django.db.models import Q

from turnpoint.assessments.domains import LifeDomain
from turnpoint.assessments.models import Administration, ExternalAssessment, Status
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import openings_of, team_programme_ids
from turnpoint.sharing.record import read_recorded
from turnpoint.sharing.rules import decide

from .matching import FactSource, MatchingFacts

C = Category
LIFE_DOMAINS = "tp-life-domains"
SUBSTANCE_DAYS = "tp-substance-days"
SUBSTANCE_ITEMS = {
    "days_opioids": "opioids", "days_crack_cocaine": "crack_cocaine", "days_cocaine": "cocaine",
    "days_amphetamines": "amphetamines", "days_cannabis": "cannabis",
    "days_benzodiazepines": "benzodiazepines", "days_alcohol": "alcohol", "days_other": "other",
}  # fmt: skip
NAMES = {LIFE_DOMAINS: "Needs checklist", SUBSTANCE_DAYS: "Days of substance use"}
# A mental-health scale signals a need at a band of moderate or above, or when a cutoff is met.
_MODERATE_OR_ABOVE = re.compile(r"moderate|severe", re.IGNORECASE)
# What each category gives matching, in the words the page uses when it is not available.
CATEGORY_FACTS = {
    C.RISK_NEED: "risk level and needs",
    C.CLINICAL: "substance use",
    C.MENTAL_HEALTH: "mental health assessments",
}


def instrument_name(instrument_id: str) -> str:
    return NAMES.get(instrument_id, instrument_id.upper())


@dataclass
class MatchingRead:
    facts: MatchingFacts
    # Categories matching would use that the user may not read here: (category, what it gives).
    unavailable: list = field(default_factory=list)
    decisions: list = field(default_factory=list)  # MatchDecision rows the user may see
    hidden_decisions: int = 0  # decisions resting on information the user may not read
    readable: frozenset = frozenset()


def _latest(rows):
    return rows.order_by("-administered_on", "-completed_at", "-id").first()


def mental_health_signal(scores: dict) -> bool:
    """A complete mental-health administration's scores (Administration.scores) show a need: a
    scale's band at moderate or above, or a cutoff met."""
    for scale in (scores or {}).get("scales", []):
        if any(c.get("met") for c in scale.get("cutoffs") or []):
            return True
        if scale.get("band") and _MODERATE_OR_ABOVE.search(str(scale["band"])):
            return True
    return False


def _number(value) -> float:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def matching_read(user, referral) -> MatchingRead:
    """The facts matching uses for `referral` (already reached by the caller, e.g.
    `sharing.reach.referrals_visible_to`) and the decisions made on its proposals, each decided
    by category and recorded as one read."""
    participant = referral.participant
    programme = referral.programme
    openings = replace(openings_of(user, participant), court_orders=())
    may = {c: bool(decide(user, c, programme=programme, openings=openings))
           for c in (C.RISK_NEED, C.CLINICAL, C.MENTAL_HEALTH, C.PLAN)}  # fmt: skip
    readable = frozenset(c for c, ok in may.items() if ok)
    within = Q(referral__isnull=True) | Q(referral__programme__in=team_programme_ids(user))
    shown: set[str] = set()
    sources: dict[str, tuple] = {}
    risk_level, needs, substances, mental = None, frozenset(), frozenset(), False
    with transaction.atomic():
        done = Administration.objects.filter(within, participant=participant,
                                             status=Status.COMPLETE)  # fmt: skip
        if may[C.RISK_NEED]:
            external = (
                ExternalAssessment.objects.filter(within, participant=participant,
                                                  category=C.RISK_NEED)
                .exclude(level="")
                .order_by("-assessed_on", "-recorded_at", "-id")
                .first()
            )  # fmt: skip
            if external is not None:
                risk_level = external.level
                sources["risk_level"] = (FactSource(external.tool, external.assessed_on,
                                                    C.RISK_NEED),)  # fmt: skip
                shown.add(C.RISK_NEED)
            checklist = _latest(done.filter(instrument_id=LIFE_DOMAINS, category=C.RISK_NEED))
            if checklist is not None:
                answers = checklist.answers or {}
                needs = frozenset(
                    d for d in LifeDomain.values if _number(answers.get(f"need_{d}")) >= 1
                )
                source = FactSource(instrument_name(LIFE_DOMAINS), checklist.administered_on,
                                    C.RISK_NEED)  # fmt: skip
                sources["needs"] = (source,)
                if LifeDomain.MENTAL_HEALTH in needs:
                    mental = True
                    sources["mental_health"] = (source,)
                shown.add(C.RISK_NEED)
        if may[C.CLINICAL]:
            days = _latest(done.filter(instrument_id=SUBSTANCE_DAYS, category=C.CLINICAL))
            if days is not None:
                answers = days.answers or {}
                substances = frozenset(
                    s for item, s in SUBSTANCE_ITEMS.items() if _number(answers.get(item)) >= 1
                )
                sources["substances"] = (FactSource(instrument_name(SUBSTANCE_DAYS),
                                                    days.administered_on, C.CLINICAL),)  # fmt: skip
                shown.add(C.CLINICAL)
        if may[C.MENTAL_HEALTH]:
            latest: dict[str, Administration] = {}
            for row in done.filter(category=C.MENTAL_HEALTH).order_by(
                "-administered_on", "-completed_at", "-id"
            ):
                latest.setdefault(row.instrument_id, row)
            signals = [
                FactSource(instrument_name(row.instrument_id), row.administered_on,
                           C.MENTAL_HEALTH)
                for row in latest.values() if mental_health_signal(row.scores)
            ]  # fmt: skip
            if latest:
                shown.add(C.MENTAL_HEALTH)
            if signals:
                mental = True
                sources["mental_health"] = (*sources.get("mental_health", ()), *signals)
        decisions, hidden = [], 0
        if may[C.PLAN]:
            for row in referral.match_decisions.select_related("decided_by").order_by(
                "-decided_at", "-id"
            ):
                if set(row.categories) <= readable:
                    decisions.append(row)
                    shown.update(row.categories)
                else:
                    hidden += 1
            if decisions:
                shown.add(C.PLAN)
        if shown:
            read_recorded(
                user, participants=[participant], categories=sorted(shown), obj=referral,
                detail={"page": "matching"},
                programme_by_participant={participant.pk: programme},
                openings={participant.pk: openings},
            )  # fmt: skip
    facts = MatchingFacts(risk_level, needs, substances, mental, sources)
    unavailable = [(Category(c).label, words) for c, words in CATEGORY_FACTS.items() if not may[c]]
    return MatchingRead(facts, unavailable, decisions, hidden, readable)


def decision_for(decisions, rule_id: str):
    return next((d for d in decisions if d.rule_id == rule_id), None)
