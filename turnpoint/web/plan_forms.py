"""Forms for the recovery plan pages. They only parse what was typed; the service
(`turnpoint.plans.services`) decides, and its problems come back next to the fields.

The form works without JavaScript: it shows every goal and service of the current version, plus
a fixed number of blank rows (`BLANK_GOALS`, `BLANK_SERVICES`); a blank row is left out. The
number of rows shown travels in hidden fields, so what was posted is read back whole."""

from django import forms

from turnpoint.assessments.domains import LifeDomain
from turnpoint.plans.models import GoalStatus, Modality
from turnpoint.plans.services import (
    GOAL_MAX,
    PROVIDER_MAX,
    SERVICE_NOTE_MAX,
    STAFF_NOTE_MAX,
    SUMMARY_MAX,
    WHO_HELPS_MAX,
    GoalIn,
    ServiceIn,
)

from .forms import STALE_FORM, DateInputField, GovukForm, _choose
from .language_check import keep_wording_field

BLANK_GOALS = 3
BLANK_SERVICES = 2
MAX_ROWS = 40


class PlanForm(GovukForm):
    expected_version = forms.IntegerField(
        widget=forms.HiddenInput, required=False,
        error_messages={"invalid": STALE_FORM},
    )  # fmt: skip
    goal_rows = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=MAX_ROWS)
    service_rows = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=MAX_ROWS)
    agreed_on = DateInputField(label="Date the plan was agreed", required=False)
    review_on = DateInputField(
        label="Next review", help_text="When you will look at the plan again together.",
        required=False,
    )  # fmt: skip
    agreed_with_participant = forms.BooleanField(
        label="The participant agreed this plan", required=False,
        help_text="Make the plan with the participant. Leave this unticked if they have not "
        "agreed it yet.",
    )  # fmt: skip
    summary = forms.CharField(
        label="What the participant wants, in their own words",
        help_text="Optional. Write it as they said it: it is never changed or checked.",
        max_length=SUMMARY_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    staff_note = forms.CharField(
        label="Staff note",
        help_text="Optional. Use person-first words: the note is checked for labels such as "
        "'addict' or 'clean test'.",
        max_length=STAFF_NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    keep_wording = keep_wording_field()

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "agreed_on": data.get("agreed_on"),
            "review_on": data.get("review_on"),
            "agreed_with_participant": data.get("agreed_with_participant", False),
            "summary": data.get("summary", ""),
            "staff_note": data.get("staff_note", ""),
            "keep_wording": data.get("keep_wording", False),
        }


class GoalRowForm(GovukForm):
    key = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    domain = forms.ChoiceField(
        label="Life domain", choices=[("", "Choose a life domain"), *LifeDomain.choices],
        required=False, error_messages=_choose("Life domain", "Select a life domain"),
    )  # fmt: skip
    in_their_words = forms.CharField(
        label="The goal, in the participant's words", max_length=GOAL_MAX, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    harm_reduction = forms.BooleanField(
        label="This is a harm-reduction goal", required=False,
        help_text="For example, using on fewer days, or never using alone.",
    )  # fmt: skip
    who_helps = forms.CharField(label="Who helps", max_length=WHO_HELPS_MAX, required=False)
    by_when = DateInputField(label="By when", required=False)
    status = forms.ChoiceField(
        label="Status", choices=GoalStatus.choices, initial=GoalStatus.OPEN, required=False,
        error_messages=_choose("Status", "Select the status"),
    )  # fmt: skip

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("domain") or (data.get("in_their_words") or "").strip())

    def value(self) -> GoalIn:
        d = self.cleaned_data
        return GoalIn(d.get("domain") or "", d.get("in_their_words") or "",
                      bool(d.get("harm_reduction")), d.get("who_helps") or "", d.get("by_when"),
                      d.get("status") or GoalStatus.OPEN, d.get("key"))  # fmt: skip

    @classmethod
    def initial_of(cls, goal) -> dict:
        return {name: getattr(goal, name) for name in
                ("key", "domain", "in_their_words", "harm_reduction", "who_helps", "by_when",
                 "status")}  # fmt: skip


class ServiceRowForm(GovukForm):
    key = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    modality = forms.ChoiceField(
        label="Kind of service", choices=[("", "Choose a kind of service"), *Modality.choices],
        required=False, error_messages=_choose("Kind of service", "Select a kind of service"),
    )  # fmt: skip
    provider = forms.CharField(label="Provider", max_length=PROVIDER_MAX, required=False)
    intensity_hours_per_week = forms.CharField(
        label="Hours a week", max_length=10, required=False,
        help_text="More than 0, up to 60; for example 1.5",
    )  # fmt: skip
    starts_on = DateInputField(label="Starts", required=False)
    ends_on = DateInputField(label="Ends", help_text="Optional.", required=False)
    note = forms.CharField(
        label="Note", max_length=SERVICE_NOTE_MAX, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("modality") or (data.get("provider") or "").strip())

    def value(self) -> ServiceIn:
        d = self.cleaned_data
        return ServiceIn(d.get("modality") or "", d.get("provider") or "",
                         (d.get("intensity_hours_per_week") or "").strip(), d.get("starts_on"),
                         d.get("ends_on"), d.get("note") or "", d.get("key"))  # fmt: skip

    @classmethod
    def initial_of(cls, service) -> dict:
        return {name: getattr(service, name) for name in
                ("key", "modality", "provider", "intensity_hours_per_week", "starts_on",
                 "ends_on", "note")}  # fmt: skip
