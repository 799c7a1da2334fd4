"""Forms for the review pages: scheduling a docket by rule and recording a hearing. They only
parse what was typed; the services of `turnpoint.supervision.reviews` decide, and their problems
come back next to the fields."""

from django import forms

from turnpoint.supervision.models import DecisionOutcome

from .forms import GovukForm, _choose


class ScheduleForm(GovukForm):
    place = forms.CharField(
        label="Court or place", max_length=200,
        help_text="Where the hearings are held, for example Court 3.",
    )  # fmt: skip


RECORD_STATUSES = [
    ("held", "Held: the participant was before the judge"),
    ("adjourned", "Adjourned"),
    ("cancelled", "Cancelled"),
]


class HearingForm(GovukForm):
    status = forms.ChoiceField(
        label="What happened", choices=RECORD_STATUSES, widget=forms.RadioSelect,
        error_messages=_choose("What happened", "Select what happened"),
    )  # fmt: skip
    minutes_with_judge = forms.CharField(
        label="Minutes with the judge", required=False, max_length=10,
        help_text="How long the participant spoke with the judge, for example 3.5. On average "
        "at least about 3 minutes each.",
    )  # fmt: skip
    outcome = forms.ChoiceField(
        label="The court's decision", required=False, widget=forms.RadioSelect,
        choices=DecisionOutcome.choices,
        error_messages=_choose("The court's decision", "Select the court's decision"),
    )  # fmt: skip
    decision = forms.CharField(
        label="The decision in words", required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the judge said and decided, as it will be read back to the participant.",
    )  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RequestForm(GovukForm):
    referral = forms.ChoiceField(
        label="Participant", error_messages=_choose("Participant", "Select the participant")
    )
    place = forms.CharField(label="Court or place of this hearing", max_length=200)

    def __init__(self, *args, referrals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referral"].choices = [("", "Choose the participant")] + [
            (str(r.pk), f"{r.participant.display_name}, {r.programme.name}") for r in referrals
        ]
