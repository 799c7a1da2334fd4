"""Staff pages for responses and phases (docs/supervision.md, docs/web.md): recording a response
to a behaviour from the programme's response guide (the options in the order the guide proposes
them, with a note when early substance use puts a service adjustment first), a participant's
responses with their ratio of incentives to sanctions, each programme's ratio, and the phase
proposals of the daily evaluation with the team's decision.

Who: a response is written by the roles that write its category in the programme (a response to
substance use or a test is drug test information, any other pathway information); proposals are
seen by the roles that read the pathway and decided by those who write it. Everything is read
through the selectors of `turnpoint.sharing.reads`.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from turnpoint.errors import Conflict, InvalidInput
from turnpoint.programmes.responses import BEHAVIOURS, KIND_WORDS
from turnpoint.sharing.categories import Category
from turnpoint.sharing.reach import participant_for_user, team_programmes
from turnpoint.sharing.reads import phase_proposals_read, responses_read
from turnpoint.sharing.rules import PolicyDenied, decide
from turnpoint.supervision.models import ProposalStatus
from turnpoint.supervision.phases import phase_proposal_decide
from turnpoint.supervision.response_services import (
    programme_ratio,
    response_options,
    response_record,
)
from turnpoint.supervision.responses import TARGET_SOURCE, incentive_sanction_ratio

from .forms import DateInputField, GovukForm, _choose, _required

C = Category
KIND_LABELS = {
    "incentive": "Incentive",
    "service_adjustment": "Service adjustment",
    "sanction": "Sanction",
}


def _responding_referrals(user, person, referrals=None) -> list:
    """The participant's referrals with a running episode in the user's team whose programme
    lets the user write pathway or drug test information, newest first (of `referrals`, the
    team's referrals the participant page holds, when given)."""
    if referrals is None:
        team = team_programmes(user)
        referrals = person.referrals.filter(programme__in=list(team)).select_related(
            "programme", "episode"
        )
    return [
        r
        for r in referrals
        if getattr(r, "episode", None) is not None
        and r.episode.ended_on is None
        and any(
            decide(user, c, programme=r.programme, action="write")
            for c in (C.PATHWAY, C.DRUG_TESTS)
        )
    ]


class BehaviourForm(GovukForm):
    referral = forms.ChoiceField(
        label="Programme",
        required=False,
        error_messages=_choose("Programme", "Choose the programme"),
    )
    behaviour = forms.ChoiceField(
        label="Behaviour",
        error_messages=_choose("Behaviour", "Choose the behaviour"),
        choices=[("", "Choose a behaviour")] + [(k, b.label) for k, b in BEHAVIOURS.items()],
    )
    behaviour_on = DateInputField(
        label="When it happened",
        help_text="For example, 27 3 2027",
        error_messages=_required("Enter the date it happened"),
    )

    def __init__(self, *args, referrals, **kwargs):
        super().__init__(*args, **kwargs)
        self.referrals = {str(r.pk): r for r in referrals}
        self.fields["referral"].choices = [(str(r.pk), r.programme.name) for r in referrals]

    def clean_referral(self):
        """The programme chosen; the newest when none is (one programme is the usual case)."""
        return self.cleaned_data.get("referral") or next(iter(self.referrals))


class OptionForm(GovukForm):
    option = forms.ChoiceField(
        label="Response",
        widget=forms.RadioSelect,
        error_messages=_choose("Response", "Choose the response"),
    )
    responded_on = DateInputField(
        label="Date of the response", error_messages=_required("Enter the date of the response")
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was agreed with the participant.",
    )

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["option"].choices = [
            (o.text, f"{KIND_LABELS[o.kind]} ({o.grade}): {o.text}") for o in options
        ]


@login_required
@require_http_methods(["GET", "POST"])
def response_new(request, pk):
    """Record a response: choose the behaviour and its date, then one of the options in the
    order the guide proposes them."""
    user = request.user
    person = participant_for_user(user, pk)
    referrals = _responding_referrals(user, person)
    if not referrals:
        raise PermissionDenied("you may not record responses in this participant's programmes")
    data = request.POST if request.method == "POST" else request.GET
    asked = "behaviour" in data
    first = BehaviourForm(
        data if asked else None, referrals=referrals, initial={"referral": str(referrals[0].pk)}
    )
    proposal, second = None, None
    if asked and first.is_valid():
        referral = first.referrals[first.cleaned_data["referral"]]
        try:
            proposal = response_options(
                referral, first.cleaned_data["behaviour"], first.cleaned_data["behaviour_on"]
            )
        except InvalidInput as exc:
            first.add_problems(exc.problems)
    if proposal is not None:
        second = OptionForm(
            request.POST if request.method == "POST" else None,
            options=proposal.options,
            initial={"responded_on": timezone.localdate()},
        )
        if request.method == "POST" and second.is_valid():
            try:
                response_record(
                    acting_user=user,
                    referral=referral,
                    behaviour=first.cleaned_data["behaviour"],
                    behaviour_on=first.cleaned_data["behaviour_on"],
                    option=second.cleaned_data["option"],
                    responded_on=second.cleaned_data["responded_on"],
                    note=second.cleaned_data["note"],
                )
            except InvalidInput as exc:
                second.add_problems(exc.problems)
            except PolicyDenied as exc:
                second.add_error(None, f"You may not record this response: {exc}")
            else:
                messages.success(request, f"Response recorded for {person.display_name}.")
                return redirect("web:responses", pk=person.pk)
    errors = first.error_list() + (second.error_list() if second is not None else [])
    context = {
        "participant": person,
        "first": first,
        "second": second,
        "proposal": proposal,
        "kind_words": KIND_WORDS,
        "errors": errors,
    }
    return render(
        request, "web/responses/response_new.html", context, status=400 if errors else 200
    )


def _ratio_row(ratio) -> dict:
    return {"ratio": ratio, "shown": f"{ratio.ratio:.1f}" if ratio.ratio is not None else ""}


@login_required
def responses(request, pk):
    """A participant's responses the user may read, with their ratio of incentives to
    sanctions against the standard's target, and their phase proposals."""
    user = request.user
    person = participant_for_user(user, pk)
    read = responses_read(user, person)
    if not read.readable:
        raise PermissionDenied(decide(user, C.PATHWAY).reason)
    context = {
        "participant": person,
        "rows": read.responses,
        "ratio": _ratio_row(incentive_sanction_ratio(read.responses)),
        "target_source": TARGET_SOURCE,
        "may_record": bool(_responding_referrals(user, person)),
        "proposals": phase_proposals_read(user, participant=person, status=None),
    }
    return render(request, "web/responses/responses.html", context)


@login_required
def response_ratios(request):
    """Each of the team's programmes: its ratio of incentives to sanctions (counts only)."""
    user = request.user
    programmes = [p for p in team_programmes(user).values() if decide(user, C.PATHWAY, programme=p)]
    if not programmes:
        raise PermissionDenied(decide(user, C.PATHWAY).reason)
    rows = [{"programme": p, **_ratio_row(programme_ratio(p))} for p in programmes]
    context = {"rows": rows, "target_source": TARGET_SOURCE}
    return render(request, "web/responses/ratios.html", context)


@login_required
def phase_proposals(request):
    """The open phase proposals of the participants the user reaches."""
    user = request.user
    if not decide(user, C.PATHWAY):
        raise PermissionDenied(decide(user, C.PATHWAY).reason)
    context = {
        "rows": phase_proposals_read(user),
        "may_decide": bool(decide(user, C.PATHWAY, action="write")),
    }
    return render(request, "web/responses/phase_proposals.html", context)


class DecisionForm(GovukForm):
    decision = forms.ChoiceField(
        label="Decision",
        widget=forms.RadioSelect,
        choices=[("accept", "Accept: move to the next phase"), ("decline", "Decline for now")],
        error_messages=_choose("Decision", "Choose whether to accept the proposal"),
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when you decline. Shown on the timeline when you accept.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


@login_required
@require_http_methods(["GET", "POST"])
def phase_proposal_decision(request, proposal_pk):
    user = request.user
    if not decide(user, C.PATHWAY, action="write"):
        raise PermissionDenied(decide(user, C.PATHWAY, action="write").reason)
    proposal = next(
        (p for p in phase_proposals_read(user, status=None) if p.pk == proposal_pk), None
    )
    if proposal is None:
        raise Http404("No such proposal")
    form = DecisionForm(
        request.POST if request.method == "POST" else None, initial={"version": proposal.version}
    )
    if request.method == "POST" and form.is_valid():
        accept = form.cleaned_data["decision"] == "accept"
        try:
            phase_proposal_decide(
                proposal,
                acting_user=user,
                accept=accept,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except InvalidInput as exc:
            form.add_problems(exc.problems)
        except Conflict as exc:
            form.add_error(None, f"Someone else decided this proposal: {exc}. Nothing was saved.")
        except PolicyDenied as exc:
            form.add_error(None, f"You may not decide this proposal: {exc}")
        else:
            done = "accepted: the phase changed" if accept else "declined"
            messages.success(request, f"Proposal {done}.")
            return redirect("web:responses", pk=proposal.participant_id)
    errors = form.error_list()
    context = {
        "proposal": proposal,
        "form": form,
        "errors": errors,
        "open": proposal.status == ProposalStatus.OPEN,
    }
    return render(
        request,
        "web/responses/phase_proposal_decision.html",
        context,
        status=400 if errors else 200,
    )


def participant_page_context(user, person, referrals, openings) -> dict:
    """The participant page's responses section: the ratio and the open phase proposals. Read
    with the referrals and openings the page already holds: two queries more."""
    read = responses_read(user, person, referrals=referrals, openings=openings)
    if not read.readable:
        return {"responses_section": None}
    return {
        "responses_section": {
            "ratio": _ratio_row(incentive_sanction_ratio(read.responses)),
            "count": len(read.responses),
            "proposals": phase_proposals_read(user, participant=person, referrals=referrals),
            "may_record": bool(_responding_referrals(user, person, referrals)),
        }
    }
