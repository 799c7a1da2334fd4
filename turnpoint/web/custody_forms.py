"""Forms for the custody and release pages. They only parse what was typed; the services
(`turnpoint.supervision.custody`) decide, and their problems come back next to the fields."""

from django import forms

from turnpoint.supervision.custody import NOTE_MAX
from turnpoint.supervision.models import CustodyKind, ItemStatus

from .forms import STALE_FORM, DateInputField, GovukForm, _choose


class CustodyForm(GovukForm):
    kind = forms.ChoiceField(
        label="Kind of custody",
        choices=CustodyKind.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages=_choose("Kind of custody", "Select the kind of custody"),
    )
    establishment = forms.CharField(
        label="Establishment", help_text="The prison or other place of custody.",
        max_length=200, required=False,
    )  # fmt: skip
    referral = forms.ChoiceField(
        label="Programme", required=False,
        help_text="The referral the custody belongs to, if any.",
        error_messages=_choose("Programme", "Select a programme"),
    )  # fmt: skip
    started_on = DateInputField(label="Date custody started", required=False)
    expected_release_on = DateInputField(
        label="Expected release date", required=False,
        help_text="A release plan is started 12 weeks before it.",
    )  # fmt: skip
    released_on = DateInputField(
        label="Release date", required=False,
        help_text="Only if the participant has already left custody.",
    )  # fmt: skip

    def __init__(self, *args, referrals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.referrals = {str(r.pk): r for r in referrals}
        self.fields["referral"].choices = [("", "Not linked to a referral")] + [
            (str(r.pk), f"{r.programme.name}, referred {r.referral_date:%d %B %Y}")
            for r in referrals
        ]

    def service_values(self) -> dict:
        values = dict(self.cleaned_data)
        values["referral"] = self.referrals.get(values.get("referral") or "")
        return values


class ReleaseForm(GovukForm):
    expected_version = forms.IntegerField(
        widget=forms.HiddenInput, error_messages={"required": STALE_FORM, "invalid": STALE_FORM}
    )
    released_on = DateInputField(label="Release date", required=False)


class ReleaseTaskForm(GovukForm):
    expected_version = forms.IntegerField(
        widget=forms.HiddenInput, error_messages={"required": STALE_FORM, "invalid": STALE_FORM}
    )
    status = forms.ChoiceField(
        label="Status",
        choices=ItemStatus.choices,
        widget=forms.RadioSelect,
        error_messages=_choose("Status", "Select open, done or not needed"),
    )
    appointment_on = DateInputField(label="Appointment date", required=False)
    note = forms.CharField(
        label="Note", required=False, max_length=NOTE_MAX,
        help_text="Who, where, or why it is not needed.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip

    def __init__(self, *args, appointment: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if appointment:
            self.fields["appointment_on"].label = f"Date of {appointment}"
        else:
            del self.fields["appointment_on"]
