"""Matching (docs/matching.md): a referral's facts, the proposals of its programme's rules with
why, the rule and the requirement of the evidence, the net-widening flag, and the decisions on
them; and deciding a proposal. The same selector, engine and service as the matching page
(`plans.matching_reads`, `plans.matching`, `plans.matching_decisions`), the same rules: readers
of the recovery plan in the referral's programme see it, and the same roles decide; each fact
only when the reader may read its category."""

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, Router

from turnpoint.errors import Problem
from turnpoint.plans.matching import match
from turnpoint.plans.matching_decisions import REASON_MAX, match_decide
from turnpoint.plans.matching_reads import decision_for, matching_read
from turnpoint.plans.models import MatchOutcome
from turnpoint.programmes.matching_rules import INTENSITIES, MODALITIES, SERVICES
from turnpoint.sharing.categories import Category
from turnpoint.sharing.rules import require

from .access import referral_for_user
from .common import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    MAX_VERSION,
    OutSchema,
    WriteSchema,
    as_json,
    etag,
    expected_version,
    header_params,
    responses,
)
from .errors import ApiError
from .idempotency import idempotent

router = Router(tags=["matching"])
C = Category


class SourceOut(OutSchema):
    fact: str = Field(description="risk_level, needs, substances or mental_health.")
    instrument: str
    on: date
    category: str = Field(description="The data category of the record it came from.")


class FactsOut(OutSchema):
    """Each fact is null when the reader may not read the category it comes from."""

    risk_level: str | None = Field(None, description="Null also when none is recorded.")
    needs: list[str] | None = None
    substances: list[str] | None = None
    mental_health_need: bool | None = None
    sources: list[SourceOut]


class FactUsedOut(OutSchema):
    fact: str
    value: str | bool


class DecisionOut(OutSchema):
    id: int
    rule_id: str
    kind: str
    proposed_value: str
    proposed_hours: list[float] | None = None
    why: str
    requirement: str
    facts: list[dict] = Field(description="The facts the proposal used, as shown when deciding.")
    decision: str = Field(json_schema_extra={"enum": MatchOutcome.values})
    changed_value: str
    changed_hours: list[float] | None = None
    reason: str
    decided_by: str = Field(description="Username of who decided.")
    decided_at: datetime
    version: int


class ProposalOut(OutSchema):
    rule_id: str
    kind: str = Field(json_schema_extra={"enum": ["intensity", "modality", "service"]})
    value: str
    label: str
    hours_per_week: list[float] | None = Field(None, description="[from, to], an intensity's.")
    why: str
    requirement: str = Field(description="The requirement of the evidence the rule rests on.")
    facts_used: list[FactUsedOut]
    decision: DecisionOut | None = None


class NetWideningOut(OutSchema):
    raised: bool
    why: str
    requirement: str


class MatchingOut(OutSchema):
    referral_id: int
    programme: str
    programme_intensity: str | None
    facts: FactsOut
    unavailable: list[str] = Field(description="Categories matching uses that you may not read.")
    notes: list[str]
    net_widening: NetWideningOut | None
    proposals: list[ProposalOut]
    decisions: list[DecisionOut]
    hidden_decisions: int = Field(description="Decisions resting on what you may not read.")


class DecisionIn(WriteSchema):
    rule_id: str = Field(max_length=80, description="The proposal's rule.")
    decision: str = Field(json_schema_extra={"enum": MatchOutcome.values})
    changed_value: str = Field(
        "",
        max_length=60,
        description="What to do instead, for a change: an intensity, modality or service of the "
        "proposal's kind.",
        json_schema_extra={"enum": ["", *INTENSITIES, *MODALITIES, *SERVICES]},
    )
    changed_hours: list[float] = Field(None, description="[from, to] hours a week, an intensity's.")
    reason: str = Field("", max_length=REASON_MAX, description="Required to change or reject.")
    version: int = Field(None, ge=0, le=MAX_VERSION, description="The decision's version read; "
                         "0 or absent when there was none.")  # fmt: skip


def dump_decision(d) -> dict:
    return {
        "id": d.pk, "rule_id": d.rule_id, "kind": d.kind, "proposed_value": d.proposed_value,
        "proposed_hours": d.proposed_hours, "why": d.why, "requirement": d.requirement,
        "facts": d.facts, "decision": d.outcome, "changed_value": d.changed_value,
        "changed_hours": d.changed_hours, "reason": d.reason,
        "decided_by": d.decided_by.username, "decided_at": d.decided_at, "version": d.version,
    }  # fmt: skip


def _reached(user, referral_id: int):
    """The referral (404 when not reached), for a reader of its recovery plan (403, audited)."""
    referral = referral_for_user(user, referral_id)
    require(user, C.PLAN, programme=referral.programme)
    return referral


@router.get(
    "/{referral_id}/matching",
    response=responses({200: MatchingOut}, 403, 404),
    summary="A referral's matching facts, proposals and decisions",
)
def get_matching(request: HttpRequest, referral_id: int):
    """For readers of the recovery plan in the referral's programme (403 otherwise, audited).
    The read is recorded; facts of a category you may not read are null and named in
    `unavailable`."""
    user = request.auth
    referral = _reached(user, referral_id)
    read = matching_read(user, referral)
    result = match(referral.programme.definition.get("matching"), read.facts)
    facts, readable = read.facts, read.readable
    mental_readable = bool({C.RISK_NEED, C.MENTAL_HEALTH} & readable)
    body = {
        "referral_id": referral.pk,
        "programme": referral.programme.slug,
        "programme_intensity": result.programme_intensity,
        "facts": {
            "risk_level": facts.risk_level,
            "needs": sorted(facts.needs) if C.RISK_NEED in readable else None,
            "substances": sorted(facts.substances) if C.CLINICAL in readable else None,
            "mental_health_need": facts.mental_health_need if mental_readable else None,
            "sources": [
                {"fact": name, "instrument": s.instrument, "on": s.on, "category": s.category}
                for name, sources in facts.sources.items()
                for s in sources
            ],
        },
        "unavailable": [c for c in (C.RISK_NEED, C.CLINICAL, C.MENTAL_HEALTH) if c not in readable],
        "notes": list(result.notes),
        "net_widening": (
            {
                "raised": result.net_widening.raised,
                "why": result.net_widening.why,
                "requirement": result.net_widening.requirement,
            }
            if result.net_widening
            else None
        ),
        "proposals": [
            {
                "rule_id": p.rule_id,
                "kind": p.kind,
                "value": p.value,
                "label": p.label,
                "hours_per_week": list(p.hours) if p.hours else None,
                "why": p.why,
                "requirement": p.requirement,
                "facts_used": [{"fact": f, "value": v} for f, v in p.facts_used],
                "decision": (
                    dump_decision(d) if (d := decision_for(read.decisions, p.rule_id)) else None
                ),
            }
            for p in result.proposals
        ],
        "decisions": [dump_decision(d) for d in read.decisions],
        "hidden_decisions": read.hidden_decisions,
    }
    return as_json(MatchingOut, body)


@router.post(
    "/{referral_id}/matching/decisions",
    response=responses({200: DecisionOut, 201: DecisionOut}, 400, 403, 404, 409, 422),
    summary="Accept, change or reject a matching proposal",
    openapi_extra=header_params(IDEMPOTENCY_KEY, IF_MATCH),
)
def decide_proposal(request: HttpRequest, referral_id: int, payload: DecisionIn):
    """For the roles that write the recovery plan in the referral's programme (403 otherwise,
    audited). The proposal must be one the rules make now from what you may read (409
    otherwise). A change or a rejection needs a `reason` (400). Send the decision's `version`
    (or If-Match) when changing one: a stale one is 409 and changes nothing. The same decision
    again changes nothing (200, same version); a new one is 201. Accepts `Idempotency-Key`."""
    user = request.auth
    values = payload.model_dump()
    version = expected_version(request, values.pop("version"), required=False)

    def effect():
        referral = _reached(user, referral_id)
        require(user, C.PLAN, programme=referral.programme, action="write")
        read = matching_read(user, referral)
        result = match(referral.programme.definition.get("matching"), read.facts)
        proposal = next((p for p in result.proposals if p.rule_id == values["rule_id"]), None)
        if proposal is None:
            raise ApiError(409, Problem("rule_id", "is not proposed now for this referral: the "
                                        "facts it rested on have changed, or you may not read "
                                        "them. Nothing was saved."))  # fmt: skip
        row, changed = match_decide(
            acting_user=user, referral=referral, proposal=proposal, facts=read.facts,
            outcome=values["decision"], changed_value=values["changed_value"],
            changed_hours=values["changed_hours"], reason=values["reason"],
            expected_version=version,
        )  # fmt: skip
        status = 201 if changed and row.version == 1 else 200
        return status, as_json(DecisionOut, dump_decision(row)), {"ETag": etag(row.version)}

    return idempotent(request, effect)
