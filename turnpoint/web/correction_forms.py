"""Forms for correcting or withdrawing a recorded step and for editing a referral's offence
facts. They only parse what was typed; `journeys.corrections` decides."""

from django import forms

from turnpoint.journeys.machine import LEAVE_REASONS
from turnpoint.journeys.models import Disposal, DrugRelatedType, OffenceCategory

from .forms import DateInputField, GovukForm, _choose, _required

WHY_CORRECTED = "Why you are correcting it"


class CorrectStepForm(GovukForm):
    """The values of one step a correction may change; the view keeps those the step has."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput)
    occurred_on = DateInputField(
        label="Date it happened", error_messages=_required("Enter the date it happened")
    )
    reason_code = forms.ChoiceField(
        label="Why the participant left the pathway",
        choices=[("", "Choose the reason"), *LEAVE_REASONS.items()],
        error_messages=_choose(
            "Why the participant left", "Select why the participant left the pathway"
        ),
    )
    recommended_disposal = forms.ChoiceField(
        label="Recommended disposal",
        choices=[("", "Choose the recommendation"), *Disposal.choices],
        error_messages=_choose("Recommended disposal", "Select the recommended disposal"),
    )
    imposed_disposal = forms.ChoiceField(
        label="Disposal imposed instead",
        choices=[("", "Choose the disposal"), *Disposal.choices[1:]],
        error_messages=_choose("Disposal imposed instead", "Select the disposal imposed instead"),
    )
    exit_type = forms.ChoiceField(
        label="How the episode ended",
        error_messages=_choose("How the episode ended", "Select how the episode ended"),
    )
    step_reason = forms.CharField(
        label="Reason recorded with the step",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reason = forms.CharField(
        label=WHY_CORRECTED,
        help_text="The step as first recorded stays in the history beside your correction.",
        max_length=2000,
        error_messages=_required("Enter why you are correcting the step"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    override_reason = forms.CharField(
        label="Override reason",
        required=False,
        help_text="Only when the corrected step breaks one of the programme's rules (a phase "
        "change or a completion before the minimum length, a step after the maximum duration): "
        "say why it stands all the same.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, fields, exit_types=(), rules_apply=False, **kwargs):
        """`rules_apply`: the step is on programme, where the programme's rules may need an
        override reason."""
        super().__init__(*args, **kwargs)
        keep = {"expected_version", "reason", *("step_reason" if f == "reason" else f
                                                for f in fields)}  # fmt: skip
        if rules_apply:
            keep.add("override_reason")
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if "exit_type" in self.fields:
            self.fields["exit_type"].choices = [("", "Choose how it ended")] + [
                (e["code"], e["label"]) for e in exit_types
            ]

    def service_values(self) -> dict:
        values = dict(self.cleaned_data)
        values.pop("expected_version", None)
        return values


class WithdrawStepForm(GovukForm):
    expected_version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Why you are withdrawing it",
        help_text="Say what was recorded in error. The step stays in the history, marked "
        "withdrawn.",
        max_length=2000,
        error_messages=_required("Enter why you are withdrawing the step"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OffenceFactsForm(GovukForm):
    expected_version = forms.IntegerField(widget=forms.HiddenInput)
    offence_category = forms.ChoiceField(
        label="Offence category",
        choices=[("", "Choose the offence category"), *OffenceCategory.choices],
        error_messages=_choose("Offence category", "Select the offence category"),
    )
    drug_related_type = forms.ChoiceField(
        label="How the offence relates to drug use",
        choices=DrugRelatedType.choices,
        widget=forms.RadioSelect,
        error_messages=_choose(
            "How the offence relates to drug use", "Select how the offence relates to drug use"
        ),
    )
    offence_date = DateInputField(
        label="Offence date", error_messages=_required("Enter the offence date")
    )
    offence_summary = forms.CharField(
        label="Summary",
        help_text="What happened, in plain words. Do not record treatment information here.",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    reason = forms.CharField(
        label="Why it changed (optional)",
        help_text="Kept with the earlier values.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def service_values(self) -> dict:
        values = dict(self.cleaned_data)
        values.pop("expected_version", None)
        return values
