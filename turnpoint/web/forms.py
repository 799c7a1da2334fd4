"""Forms for the staff pages. They only parse what was typed; the service functions decide
whether it is allowed, and their problems come back onto the form through `add_problems`.

Error messages follow the GOV.UK pattern of naming the field ("Enter the family name", "Offence
date is in the future"), because the error summary lists them without the form beside them.
"""

from datetime import date

from django import forms
from django.utils import timezone

from turnpoint.errors import Problem
from turnpoint.journeys.machine import LEAVE_REASONS
from turnpoint.journeys.models import Disposal, DrugRelatedType, OffenceCategory, Source
from turnpoint.people.models import Ethnicity, Sex

PARTS = ("day", "month", "year")


class DateInputWidget(forms.Widget):
    """GOV.UK date input: three boxes named <name>-day, <name>-month, <name>-year."""

    def value_from_datadict(self, data, files, name):
        return tuple(str(data.get(f"{name}-{part}", "")).strip() for part in PARTS)

    def value_omitted_from_data(self, data, files, name):
        return not any(f"{name}-{part}" in data for part in PARTS)


class DateInputField(forms.Field):
    widget = DateInputWidget

    def to_python(self, value):
        if isinstance(value, date) or value in (None, ""):
            return value or None
        day, month, year = value
        label = self.label
        if not (day or month or year):
            return None
        missing = [p for p, v in zip(PARTS, value, strict=True) if not v]
        if missing:
            raise forms.ValidationError(f"{label} must include a {' and '.join(missing)}")
        try:
            result = date(int(year), int(month), int(day))
        except ValueError as exc:
            raise forms.ValidationError(f"{label} must be a real date") from exc
        if len(year) != 4:
            raise forms.ValidationError(f"{label} must include a 4-digit year")
        return result

    def prepare_value(self, value):
        """(day, month, year) strings for the three boxes, from a date or from what was typed."""
        if isinstance(value, date):
            return (str(value.day), str(value.month), str(value.year))
        if isinstance(value, tuple | list) and len(value) == 3:
            return tuple(value)
        return ("", "", "")


def _required(message: str) -> dict:
    return {"required": message}


def _choose(label: str, message: str) -> dict:
    return {"required": message, "invalid_choice": f"{label} must be one of the options shown"}


class GovukForm(forms.Form):
    """A form whose errors can be listed in a GOV.UK error summary."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Length limits say their number as the services do (turnpoint/text.py).
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and field.max_length:
                field.error_messages["max_length"] = (
                    f"{field.label} must be {field.max_length:,} characters or fewer; "
                    "this is %(show_value)s"
                )

    def add_problems(self, problems: list[Problem]) -> None:
        """Put a service's problems next to the fields they name ("Offence date is in the
        future"); a problem about a field this form does not show goes to the top."""
        for problem in problems:
            field = self.fields.get(problem.field)
            if field is not None:
                self.add_error(problem.field, f"{field.label} {problem.reason}")
            else:
                self.add_error(None, str(problem))

    def error_list(self, id_prefix: str = "id_") -> list[tuple[str, str]]:
        """(anchor, message) for the error summary, in the order the fields appear."""
        items = [("", str(e)) for e in self.non_field_errors()]
        for name, field in self.fields.items():
            anchor = f"{id_prefix}{name}"
            if isinstance(field, DateInputField):
                anchor += "-day"
            elif isinstance(field.widget, forms.RadioSelect):
                anchor += "-0"
            items += [(anchor, str(e)) for e in self.errors.get(name, [])]
        return items


class ReferralIntakeForm(GovukForm):
    # The person: only asked when the referral is for someone not yet recorded.
    given_name = forms.CharField(
        label="Given name", max_length=100, error_messages=_required("Enter the given name")
    )
    family_name = forms.CharField(
        label="Family name", max_length=100, error_messages=_required("Enter the family name")
    )
    date_of_birth = DateInputField(
        label="Date of birth",
        help_text="For example, 27 3 1990",
        error_messages=_required("Enter the date of birth"),
    )
    sex = forms.ChoiceField(
        label="Sex",
        choices=Sex.choices,
        initial=Sex.PREFER_NOT_TO_SAY,
        widget=forms.RadioSelect,
        error_messages=_choose("Sex", "Select the participant's sex, or prefer not to say"),
    )
    ethnicity = forms.ChoiceField(
        label="Ethnic group",
        choices=Ethnicity.choices,
        initial=Ethnicity.PREFER_NOT_TO_SAY,
        widget=forms.RadioSelect,
        error_messages=_choose("Ethnic group", "Select the ethnic group, or prefer not to say"),
    )
    demographics_consent = forms.BooleanField(
        label="The participant agrees that their sex and ethnic group are used to check the "
        "programme treats everyone fairly",
        help_text="Ask the participant. They can say no; nothing else changes if they do.",
        required=False,
    )
    # Numbers the justice services know the person by: optional, checked for likely duplicates.
    police_number = forms.CharField(
        label="Police National Computer number or police reference",
        help_text="Optional. For example, 2019/0012345A",
        required=False,
        max_length=40,
    )
    court_case_number = forms.CharField(
        label="Court case number", help_text="Optional.", required=False, max_length=40
    )
    # The referral.
    programme = forms.ChoiceField(
        label="Programme", error_messages=_choose("Programme", "Select the programme")
    )
    source = forms.ChoiceField(
        label="Who made the referral",
        choices=[("", "Choose who made the referral"), *Source.choices],
        error_messages=_choose("Who made the referral", "Select who made the referral"),
    )
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
    referral_date = DateInputField(
        label="Referral date", error_messages=_required("Enter the referral date")
    )
    offence_summary = forms.CharField(
        label="Summary",
        help_text="What happened, in plain words. Do not record treatment information here.",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    PERSON_FIELDS = (
        "given_name",
        "family_name",
        "date_of_birth",
        "sex",
        "ethnicity",
        "demographics_consent",
    )

    def __init__(self, *args, programmes, participant=None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("referral_date", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.programmes = {str(p.pk): p for p in programmes}
        choices = [(str(p.pk), p.name) for p in programmes]
        if len(choices) > 1:
            choices.insert(0, ("", "Choose the programme"))
        self.fields["programme"].choices = choices
        self.participant = participant
        if participant is not None:
            for name in (*self.PERSON_FIELDS, *self.IDENTIFIER_FIELDS):
                del self.fields[name]

    def clean_programme(self):
        return self.programmes[self.cleaned_data["programme"]]

    # Form field -> identifier kind (people.models.IdentifierKind).
    IDENTIFIER_FIELDS = {"police_number": "police", "court_case_number": "court_case"}

    def identifier_values(self) -> list[tuple[str, str, str]]:
        """(field, kind, value) of each identifier typed."""
        return [(name, kind, self.cleaned_data[name].strip())
                for name, kind in self.IDENTIFIER_FIELDS.items()
                if self.cleaned_data.get(name, "").strip()]  # fmt: skip

    def person_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.PERSON_FIELDS}

    def referral_values(self) -> dict:
        names = ("programme", "source", "offence_category", "drug_related_type", "offence_date")
        values = {name: self.cleaned_data[name] for name in names}
        values["referral_date"] = self.cleaned_data["referral_date"]
        values["offence_summary"] = self.cleaned_data["offence_summary"]
        return values


class TransitionForm(GovukForm):
    """One step along the pathway. The view keeps only the fields the step needs."""

    # The step itself comes from the posted action, checked against the referral's state.
    expected_version = forms.IntegerField(widget=forms.HiddenInput)
    occurred_on = DateInputField(
        label="Date it happened", error_messages=_required("Enter the date it happened")
    )
    recommended_disposal = forms.ChoiceField(
        label="Recommended disposal",
        choices=[("", "Choose the recommendation"), *Disposal.choices],
        error_messages=_choose("Recommended disposal", "Select the recommended disposal"),
    )
    imposed_disposal = forms.ChoiceField(
        label="Disposal imposed instead",
        choices=[("", "Choose the disposal"), *Disposal.choices],
        required=False,
        error_messages=_choose("Disposal imposed instead", "Select the disposal imposed instead"),
    )
    reason_code = forms.ChoiceField(
        label="Why the participant left the pathway",
        choices=[("", "Choose the reason"), *LEAVE_REASONS.items()],
        error_messages=_choose(
            "Why the participant left", "Select why the participant left the pathway"
        ),
    )
    exit_type = forms.ChoiceField(
        label="How the episode ended",
        error_messages=_choose("How the episode ended", "Select how the episode ended"),
    )
    phase_number = forms.TypedChoiceField(
        label="New phase", coerce=int, error_messages=_choose("New phase", "Select the new phase")
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        error_messages=_required("Enter the reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    override_reason = forms.CharField(
        label="Override reason",
        required=False,
        help_text="Only when this step breaks one of the programme's rules: say why it goes "
        "ahead all the same. It is recorded with your role and shown on the journey.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, fields, required=(), choices=None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("occurred_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        keep = {"expected_version", *fields}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        for name, options in (choices or {}).items():
            if name in self.fields:
                self.fields[name].choices = options
        for name in required:
            self.fields[name].required = True

    def service_values(self) -> dict:
        values = dict(self.cleaned_data)
        values.pop("expected_version", None)
        return {k: v for k, v in values.items() if v not in (None, "")}


STALE_FORM = "This page is out of date. Reload it and make your change again"


class ParticipantDetailsForm(GovukForm):
    """A participant's identity details, shown with their current values; `changed_values` is
    what differs from the record, which is all the service is asked to change."""

    expected_version = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={"required": STALE_FORM, "invalid": STALE_FORM},
    )
    given_name = forms.CharField(
        label="Given name", max_length=100, error_messages=_required("Enter the given name")
    )
    family_name = forms.CharField(
        label="Family name", max_length=100, error_messages=_required("Enter the family name")
    )
    preferred_name = forms.CharField(
        label="Preferred name",
        help_text="Optional. The name they like to be called, if it is not their given name.",
        required=False,
        max_length=100,
    )
    date_of_birth = DateInputField(
        label="Date of birth",
        help_text="For example, 27 3 1990",
        error_messages=_required("Enter the date of birth"),
    )
    sex = ReferralIntakeForm.base_fields["sex"]
    ethnicity = ReferralIntakeForm.base_fields["ethnicity"]
    demographics_consent = ReferralIntakeForm.base_fields["demographics_consent"]
    reason = forms.CharField(
        label="Why are you changing this?",
        help_text="Kept with the earlier name or date of birth, for those who may see them.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    FIELDS = (
        "given_name",
        "family_name",
        "preferred_name",
        "date_of_birth",
        "sex",
        "ethnicity",
        "demographics_consent",
    )

    @classmethod
    def initial_of(cls, participant) -> dict:
        values = {name: getattr(participant, name) for name in cls.FIELDS}
        return {"expected_version": participant.version, **values}

    def changed_values(self, participant) -> dict:
        """The fields whose typed value differs from the participant's recorded one."""
        return {name: self.cleaned_data[name] for name in self.FIELDS
                if self.cleaned_data[name] != getattr(participant, name)}  # fmt: skip

    def add_problems(self, problems: list[Problem]) -> None:
        """As GovukForm's; the reason's problems read "The reason ...", not the question."""
        for problem in problems:
            if problem.field == "reason":
                self.add_error("reason", f"The reason {problem.reason}")
        super().add_problems([p for p in problems if p.field != "reason"])
