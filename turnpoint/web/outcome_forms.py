"""Forms for the outcome pages. They only parse what was typed; the outcomes service decides,
and its problems come back next to the fields (docs/outcomes.md)."""

from django import forms

from turnpoint.dates import spoken
from turnpoint.journeys.models import OffenceCategory
from turnpoint.outcomes.models import (
    EmploymentStatus,
    EventKind,
    FollowUpStatus,
    HousingStatus,
    JusticeOutcome,
)
from turnpoint.outcomes.services import NOTE_MAX, REASON_MAX

from .forms import DateInputField, GovukForm, _choose

NONE = [("", "Choose one")]


class OutcomeEventForm(GovukForm):
    """Every field but the kind is optional here, so the service names everything missing for
    the kind chosen at once, next to its field."""

    kind = forms.ChoiceField(
        label="What happened", widget=forms.RadioSelect,
        error_messages=_choose("What happened", "Select what happened"),
    )  # fmt: skip
    referral = forms.ChoiceField(label="Programme it is recorded for", required=False)
    offence_date = DateInputField(label="Offence date", required=False,
                                  help_text="Arrests, charges and convictions: when the offence "
                                            "took place.")  # fmt: skip
    outcome_date = DateInputField(label="Date of the arrest, charge, decision or custody",
                                  required=False)  # fmt: skip
    offence_category = forms.ChoiceField(label="Offence", required=False,
                                         choices=NONE + OffenceCategory.choices)  # fmt: skip
    outcome = forms.ChoiceField(label="Outcome", required=False,
                                choices=NONE + JusticeOutcome.choices)  # fmt: skip
    effective_on = DateInputField(
        label="Date it happened or took effect", required=False,
        help_text="Overdoses, deaths, housing and employment.",
    )  # fmt: skip
    housing_status = forms.ChoiceField(label="Housing status", required=False,
                                       choices=NONE + HousingStatus.choices)  # fmt: skip
    employment_status = forms.ChoiceField(label="Employment status", required=False,
                                          choices=NONE + EmploymentStatus.choices)  # fmt: skip
    note = forms.CharField(label="Note (optional)", required=False, max_length=NOTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip

    def __init__(self, *args, kinds, referrals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, EventKind(k).label) for k in kinds]
        self.fields["referral"].choices = [("", "Not for a particular programme")] + [
            (str(r.pk), f"{r.programme.name}, referred {spoken(r.referral_date)}")
            for r in referrals
        ]
        self._referrals = {str(r.pk): r for r in referrals}

    def service_values(self) -> dict:
        data = self.cleaned_data
        kind = data["kind"]
        status = {EventKind.HOUSING: data["housing_status"],
                  EventKind.EMPLOYMENT: data["employment_status"]}.get(kind, "")  # fmt: skip
        return {
            "kind": kind, "referral": self._referrals.get(data.get("referral") or ""),
            "offence_date": data["offence_date"], "outcome_date": data["outcome_date"],
            "offence_category": data["offence_category"], "outcome": data["outcome"],
            "effective_on": data["effective_on"], "status": status, "note": data["note"],
        }  # fmt: skip

    def add_problems(self, problems) -> None:
        # The service's `status` is the field of the kind chosen.
        kind = self.cleaned_data.get("kind") if hasattr(self, "cleaned_data") else ""
        field = {EventKind.HOUSING: "housing_status",
                 EventKind.EMPLOYMENT: "employment_status"}.get(kind, "status")  # fmt: skip
        renamed = [type(p)(field, p.reason) if p.field == "status" else p for p in problems]
        super().add_problems(renamed)


class FollowUpForm(GovukForm):
    status = forms.ChoiceField(
        label="What happened", widget=forms.RadioSelect,
        choices=[(s, FollowUpStatus(s).label) for s in ("done", "missed", "declined")],
        error_messages=_choose("What happened", "Select done, missed or declined"),
    )  # fmt: skip
    done_on = DateInputField(label="Date it was done", required=False,
                             help_text="Only when it was done.")  # fmt: skip
    reason = forms.CharField(label="Why it was missed or declined", required=False,
                             max_length=REASON_MAX,
                             widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
