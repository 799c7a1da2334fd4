"""The matching page of a referral (docs/matching.md): the facts matching used, with their date
and instrument; each proposal of the programme's rules with why, the rule and the requirement of
the evidence; the net-widening flag; and, for each proposal, accept, change (with a reason) or
reject (with a reason), as plain forms that work without JavaScript. Decisions are listed with
who made them and when.

Who: readers of the recovery plan in the referral's programme (case work and treatment roles);
court roles and the safeguarding lead are refused, and whoever does not reach the referral gets
the same 404 as for a missing one. Each fact is read only when the user may read its category
(`plans.matching_reads`); the page says what was not available to them.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from turnpoint.assessments.domains import LifeDomain, RiskLevel
from turnpoint.errors import Conflict, InvalidInput, Problem
from turnpoint.plans.matching import intensity_label, match
from turnpoint.plans.matching_decisions import REASON_MAX, match_decide, may_decide
from turnpoint.plans.matching_reads import decision_for, matching_read
from turnpoint.plans.models import MatchOutcome
from turnpoint.programmes.matching_rules import (
    INTENSITIES,
    KIND_LABELS,
    MODALITIES,
    REQUIREMENTS,
    SERVICES,
    SUBSTANCE_LABELS,
    value_label,
)
from turnpoint.sharing.categories import Category
from turnpoint.sharing.rules import decide

from .forms import GovukForm, _choose
from .views import _get_referral_for_user

CHOICES = {"intensity": INTENSITIES, "modality": tuple(MODALITIES), "service": tuple(SERVICES)}


class MatchDecisionForm(GovukForm):
    """One proposal's decision. Only parses; the service decides (a reason for a change or a
    rejection, a value that differs, the version read)."""

    decision = forms.ChoiceField(
        label="Your decision",
        choices=[
            (MatchOutcome.ACCEPTED, "Accept"),
            (MatchOutcome.CHANGED, "Change it"),
            (MatchOutcome.REJECTED, "Reject it"),
        ],
        widget=forms.RadioSelect,
        error_messages=_choose("Your decision", "Select accept, change or reject"),
    )
    changed_value = forms.ChoiceField(label="Instead", required=False)
    hours_from = forms.IntegerField(label="Hours a week, from", required=False, min_value=0,
                                    max_value=40)  # fmt: skip
    hours_to = forms.IntegerField(label="Hours a week, to", required=False, min_value=0,
                                  max_value=40)  # fmt: skip
    reason = forms.CharField(
        label="Reason",
        help_text="Required when you change or reject a proposal.",
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, proposal, *args, **kwargs):
        kwargs.setdefault("prefix", f"rule-{proposal.rule_id}")
        super().__init__(*args, **kwargs)
        self.proposal = proposal
        self.fields["changed_value"].choices = [("", "Choose")] + [
            (v, value_label(proposal.kind, v)) for v in CHOICES[proposal.kind]
        ]
        self.fields["changed_value"].help_text = "When you change it: what to do instead."
        if proposal.kind != "intensity":
            del self.fields["hours_from"], self.fields["hours_to"]

    def hours(self):
        low, high = self.cleaned_data.get("hours_from"), self.cleaned_data.get("hours_to")
        if low is None and high is None:
            return None
        return [low if low is not None else -1, high if high is not None else -1]

    def add_problems(self, problems) -> None:
        # The service names the hours as one range; the page asks for them in two boxes.
        hours = "hours_from" in self.fields
        renamed = [
            Problem("hours_from", p.reason) if hours and p.field == "changed_hours" else p
            for p in problems
        ]
        super().add_problems(renamed)

    def errors_list(self):
        return self.error_list(id_prefix=f"id_{self.prefix}-")


def _fact_words(fact: str, value) -> str:
    if fact == "risk_level":
        return f"Risk level {RiskLevel(value).label.lower()}"
    if fact == "need":
        return f"{LifeDomain(value).label} need"
    if fact == "substance":
        return f"{SUBSTANCE_LABELS[value]} in the past 28 days"
    return "Mental health need"


def _sources_words(sources) -> str:
    return "; ".join(f"{s.instrument}, {s.on:%-d %B %Y}" for s in sources)


def _facts_rows(facts, readable) -> list[dict]:
    """The summary of the facts, each with where it came from, or why it is missing."""
    needs = ", ".join(LifeDomain(d).label for d in LifeDomain.values if d in facts.needs)
    substances = ", ".join(SUBSTANCE_LABELS[s] for s in SUBSTANCE_LABELS if s in facts.substances)
    mental_from = {Category.RISK_NEED, Category.MENTAL_HEALTH}
    rows = []
    for label, key, categories, value in (
        ("Risk level", "risk_level", {Category.RISK_NEED},
         RiskLevel(facts.risk_level).label if facts.risk_level else ""),
        ("Needs", "needs", {Category.RISK_NEED}, needs or "None"),
        ("Substances used in the past 28 days", "substances", {Category.CLINICAL},
         substances or "None"),
        ("Mental health need", "mental_health", mental_from, "Yes"),
    ):  # fmt: skip
        sources = facts.sources.get(key, ())
        if not categories & readable:
            value = "Not available to you"
        elif not sources and key == "mental_health" and facts.known("needs"):
            # No need in the checklist; the instruments may say more to those who read them.
            sources = facts.sources["needs"]
            value = "No" if Category.MENTAL_HEALTH in readable else "Not named in the checklist"
        elif not sources:
            value = "Not recorded"
        rows.append({"key": label, "value": value, "source": _sources_words(sources)})
    return rows


def _decision_words(d) -> str:
    if d.outcome == MatchOutcome.CHANGED:
        hours = (
            f", {d.changed_hours[0]} to {d.changed_hours[1]} hours a week"
            if d.changed_hours
            else ""
        )
        return f"Changed to {value_label(d.kind, d.changed_value).lower()}{hours}"
    return d.get_outcome_display()


@login_required
@require_http_methods(["GET", "POST"])
def matching_page(request, pk):
    user = request.user
    referral = _get_referral_for_user(user, pk)
    programme = referral.programme
    if not decide(user, Category.PLAN, programme=programme):
        raise PermissionDenied(decide(user, Category.PLAN, programme=programme).reason)
    read = matching_read(user, referral)
    result = match(programme.definition.get("matching"), read.facts)
    may_write = may_decide(user, referral)
    failed, top_errors = None, []
    if request.method == "POST":
        if not may_write:
            raise PermissionDenied("you cannot change the recovery plan")
        rule_id = request.POST.get("rule_id", "")
        proposal = next((p for p in result.proposals if p.rule_id == rule_id), None)
        if proposal is None:
            top_errors = [("", "That proposal is not made any more: the facts it rested on have "
                           "changed. Nothing was saved.")]  # fmt: skip
        else:
            form = MatchDecisionForm(proposal, request.POST)
            if form.is_valid():
                try:
                    version = int(request.POST.get("version") or 0)
                except ValueError:
                    version = -1
                try:
                    _, changed = match_decide(
                        acting_user=user, referral=referral, proposal=proposal,
                        facts=read.facts, outcome=form.cleaned_data["decision"],
                        changed_value=form.cleaned_data.get("changed_value") or "",
                        changed_hours=form.hours(), reason=form.cleaned_data["reason"],
                        expected_version=version,
                    )  # fmt: skip
                except InvalidInput as exc:
                    form.add_problems(exc.problems)
                except Conflict as exc:
                    form.add_error(None, str(exc))
                else:
                    said = "saved" if changed else "already recorded; nothing changed"
                    messages.success(request, f"Decision on {proposal.label.lower()} {said}.")
                    return redirect("web:matching", pk=referral.pk)
            failed = (rule_id, form)
    rows = []
    for p in result.proposals:
        decision = decision_for(read.decisions, p.rule_id)
        form = failed[1] if failed and failed[0] == p.rule_id else None
        if may_write and form is None:
            initial = {"decision": decision.outcome, "changed_value": decision.changed_value,
                       "reason": decision.reason} if decision else {}  # fmt: skip
            form = MatchDecisionForm(p, initial=initial)
        rows.append({
            "p": p,
            "kind": KIND_LABELS[p.kind],
            "requirement": REQUIREMENTS.get(p.requirement, ""),
            "used": [_fact_words(f, v) for f, v in p.facts_used],
            "decision": decision,
            "decision_words": _decision_words(decision) if decision else "",
            "form": form,
            "open": form is not None and bool(form.errors),
        })  # fmt: skip
    errors = top_errors + (failed[1].errors_list() if failed else [])
    flag = result.net_widening
    context = {
        "participant": referral.participant,
        "referral": referral,
        "programme_intensity": intensity_label(result.programme_intensity),
        "flag": flag,
        "flag_requirement": REQUIREMENTS.get(flag.requirement, "") if flag else "",
        "facts": _facts_rows(read.facts, read.readable),
        "unavailable": read.unavailable,
        "notes": result.notes,
        "rows": rows,
        "may_write": may_write,
        "decisions": [
            {
                "d": d,
                "what": f"{KIND_LABELS[d.kind]}: {value_label(d.kind, d.proposed_value)}",
                "words": _decision_words(d),
            }
            for d in read.decisions
        ],
        "hidden_decisions": read.hidden_decisions,
        "errors": errors,
    }
    return render(request, "web/matching/page.html", context, status=400 if errors else 200)
