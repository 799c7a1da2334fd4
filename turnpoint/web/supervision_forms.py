"""Forms for the supervision pages: appointments, their outcomes, drug tests with their results
and the interpretation. As elsewhere they only parse what was typed; the services of
`turnpoint.supervision.services` decide, and their problems come back next to the fields."""

from datetime import datetime, time

from django import forms
from django.utils import timezone

from turnpoint.errors import Problem
from turnpoint.supervision.models import AppointmentKind, Outcome, Result, Specimen, TestPurpose
from turnpoint.supervision.panel import PANEL

from .forms import DateInputField, GovukForm, _choose, _required


class TimeInputField(forms.Field):
    """A time of day typed as 24-hour HH:MM (for example 14:30)."""

    widget = forms.TextInput

    def to_python(self, value):
        value = str(value or "").strip()
        if not value:
            return None
        try:
            return datetime.strptime(value.replace(".", ":"), "%H:%M").time()
        except ValueError as exc:
            raise forms.ValidationError(
                f"{self.label} must be a time of day like 09:30 or 14:00"
            ) from exc

    def prepare_value(self, value):
        return value.strftime("%H:%M") if isinstance(value, time) else value


def at(day, when) -> datetime | None:
    """The aware date and time of a day and a time of day typed on a page."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, when or time(0)))


class _Renamed(GovukForm):
    """Service problems named by the service's field go next to this form's own (RENAMED)."""

    RENAMED: dict[str, str] = {}

    def add_problems(self, problems: list[Problem]) -> None:
        super().add_problems(
            [Problem(self.RENAMED.get(p.field, p.field), p.reason) for p in problems]
        )


class AppointmentForm(_Renamed):
    RENAMED = {"starts_at": "on", "with_user": "with_user"}

    referral = forms.ChoiceField(
        label="Programme", error_messages=_choose("Programme", "Select the programme")
    )
    kind = forms.ChoiceField(
        label="What kind of appointment",
        choices=AppointmentKind.choices,
        widget=forms.RadioSelect,
        error_messages=_choose("What kind of appointment", "Select the kind of appointment"),
    )
    on = DateInputField(label="Date", error_messages=_required("Enter the date"))
    at_time = TimeInputField(
        label="Time",
        help_text="24-hour clock, for example 14:30",
        error_messages=_required("Enter the time"),
    )
    place = forms.CharField(label="Place", max_length=200, required=False)
    with_user = forms.ChoiceField(
        label="Who the participant sees",
        required=False,
        help_text="The member of the team they see; choose nobody here to name another worker.",
        error_messages=_choose("Who the participant sees", "Select who they see"),
    )
    with_name = forms.CharField(
        label="Another worker",
        max_length=200,
        required=False,
        help_text="Only when the person they see is not in the list, for example a worker at "
        "another service.",
    )

    def __init__(self, *args, referrals, workers, **kwargs):
        super().__init__(*args, **kwargs)
        self.referrals = {str(r.pk): r for r in referrals}
        choices = [(str(r.pk), r.programme.name) for r in referrals]
        if len(choices) > 1:
            choices.insert(0, ("", "Choose the programme"))
        self.fields["referral"].choices = choices
        self.workers = {str(u.pk): u for u in workers}
        self.fields["with_user"].choices = [("", "Nobody from the team")] + [
            (str(u.pk), u.get_full_name() or u.username) for u in workers
        ]

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            "referral": self.referrals[data["referral"]],
            "kind": data["kind"],
            "starts_at": at(data["on"], data["at_time"]),
            "place": data["place"],
            "with_user": self.workers.get(data["with_user"] or ""),
            "with_name": data["with_name"],
        }


class OutcomeForm(_Renamed):
    RENAMED = {"starts_at": "new_on"}

    outcome = forms.ChoiceField(
        label="What happened",
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages=_choose("What happened", "Select what happened"),
    )
    note = forms.CharField(
        label="Note",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why it was missed, excused or moved. Attendance only: record nothing said in "
        "a treatment session here.",
    )
    new_on = DateInputField(
        label="New date", required=False, help_text="Only when it was rescheduled."
    )
    new_time = TimeInputField(
        label="New time", required=False, help_text="24-hour clock, for example 14:30"
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean(self):
        data = super().clean()
        if data.get("outcome") == Outcome.RESCHEDULED and not data.get("new_on"):
            self.add_error("new_on", "Enter the new date of the rescheduled appointment")
        return data


RESULT_CHOICES = [("", "Not tested"), *Result.choices]


class DrugTestForm(_Renamed):
    RENAMED = {"collected_at": "collected_on", "results_received_at": "received_on"}

    referral = forms.ChoiceField(
        label="Programme", error_messages=_choose("Programme", "Select the programme")
    )
    collected_on = DateInputField(
        label="Date collected", error_messages=_required("Enter the date collected")
    )
    collected_time = TimeInputField(
        label="Time collected",
        help_text="24-hour clock, for example 09:15",
        error_messages=_required("Enter the time collected"),
    )
    specimen = forms.ChoiceField(
        label="Specimen",
        choices=Specimen.choices,
        widget=forms.RadioSelect,
        error_messages=_choose("Specimen", "Select the specimen"),
    )
    purpose = forms.ChoiceField(
        label="Purpose",
        choices=TestPurpose.choices,
        widget=forms.RadioSelect,
        help_text="Only forensic tests can reach the court or lead to a response; a clinical "
        "test stays with the treatment provider.",
        error_messages=_choose("Purpose", "Select the purpose"),
    )
    witnessed = forms.BooleanField(label="The collection was witnessed", required=False)
    received_on = DateInputField(
        label="Date the results came back",
        required=False,
        help_text="Leave empty while the results are awaited.",
    )
    received_time = TimeInputField(label="Time the results came back", required=False)
    appointment = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, referrals, **kwargs):
        super().__init__(*args, **kwargs)
        self.referrals = {str(r.pk): r for r in referrals}
        choices = [(str(r.pk), r.programme.name) for r in referrals]
        if len(choices) > 1:
            choices.insert(0, ("", "Choose the programme"))
        self.fields["referral"].choices = choices
        for code, label in PANEL.items():
            self.fields[f"{code}_result"] = forms.ChoiceField(
                label=f"{label}: result",
                choices=RESULT_CHOICES,
                required=False,
                error_messages=_choose(f"{label}: result", "Select the result"),
            )
            self.fields[f"{code}_confirmed"] = forms.BooleanField(
                label=f"{label}: confirmed by a second method", required=False
            )
            self.fields[f"{code}_method"] = forms.CharField(
                label=f"{label}: confirmation method",
                max_length=100,
                required=False,
                help_text="For example GC/MS or LC/MS",
            )
            self.fields[f"{code}_level"] = forms.CharField(
                label=f"{label}: level", max_length=40, required=False
            )
            self.fields[f"{code}_cut_off"] = forms.CharField(
                label=f"{label}: cut-off", max_length=40, required=False
            )

    # Problems with the results, or with the planned test it answers, go above the form.
    ABOVE = {
        "results": "Results",
        "confirmation_method": "Results",
        "level": "Results",
        "cut_off": "Results",
        "appointment": "The planned test",
    }

    def add_problems(self, problems: list[Problem]) -> None:
        for p in problems:
            if p.field in self.ABOVE:
                self.add_error(None, f"{self.ABOVE[p.field]}: {p.reason}")
        super().add_problems([p for p in problems if p.field not in self.ABOVE])

    def substance_rows(self) -> list[dict]:
        return [
            {
                "label": label,
                "result": self[f"{code}_result"],
                "confirmed": self[f"{code}_confirmed"],
                "method": self[f"{code}_method"],
                "level": self[f"{code}_level"],
                "cut_off": self[f"{code}_cut_off"],
            }
            for code, label in PANEL.items()
        ]

    def service_values(self) -> dict:
        data = self.cleaned_data
        results = [
            {
                "substance": code,
                "result": data[f"{code}_result"],
                "confirmed": data[f"{code}_confirmed"],
                "confirmation_method": data[f"{code}_method"],
                "level": data[f"{code}_level"],
                "cut_off": data[f"{code}_cut_off"],
            }
            for code in PANEL
            if data.get(f"{code}_result")
        ]
        return {
            "referral": self.referrals[data["referral"]],
            "collected_at": at(data["collected_on"], data["collected_time"]),
            "specimen": data["specimen"],
            "purpose": data["purpose"],
            "witnessed": data["witnessed"],
            "results_received_at": at(data["received_on"], data["received_time"]),
            "results": results,
            "appointment": data.get("appointment"),
        }


class InterpretationForm(GovukForm):
    interpretation = forms.CharField(
        label="Interpretation",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="How the result reads alongside the person's wider engagement: attendance, "
        "progress, what they have told you. It is shown wherever the result is shown.",
        error_messages=_required("Enter the interpretation"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
