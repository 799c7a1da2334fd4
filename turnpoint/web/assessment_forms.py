"""Forms of the assessment pages. They parse what was typed; the services
(`turnpoint.assessments.services`) decide, and their problems come back next to the fields.

The answers of an administration are not a Django form: one radio group (or number box) per item
of the instrument, built from the instrument file by `answer_rows` so the staff page, the page
handed to the participant and the printed form all show the same items and options."""

from django import forms
from django.utils import timezone

from turnpoint.assessments.domains import RiskLevel
from turnpoint.assessments.models import Mode, Setting

from .forms import DateInputField, GovukForm, _choose


class AdministrationStartForm(GovukForm):
    instrument = forms.ChoiceField(
        label="Instrument",
        widget=forms.RadioSelect,
        error_messages=_choose("Instrument", "Select the instrument to give"),
    )
    setting = forms.ChoiceField(
        label="When in the programme",
        choices=Setting.choices,
        initial=Setting.INTAKE,
        widget=forms.RadioSelect,
        error_messages=_choose("When in the programme", "Select when in the programme"),
    )
    mode = forms.ChoiceField(
        label="Who answers",
        choices=[
            (Mode.STAFF, "You ask the questions and record the answers"),
            (Mode.SELF, "The participant answers on this device"),
        ],
        initial=Mode.STAFF,
        widget=forms.RadioSelect,
        error_messages=_choose("Who answers", "Select who answers"),
    )
    administered_on = DateInputField(
        label="Date given", help_text="For example, 27 3 2026", required=False
    )
    referral = forms.ChoiceField(label="Programme", required=False)

    def __init__(self, *args, catalogue, referrals, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("administered_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = [(i.id, i.title) for i in catalogue]
        self.fields["referral"].choices = [("", "Not for a programme")] + [
            (str(r.pk), f"{r.programme.name}, referred {r.referral_date:%d %B %Y}")
            for r in referrals
        ]
        if referrals:
            self.fields["referral"].initial = str(referrals[0].pk)


class ExternalAssessmentForm(GovukForm):
    tool = forms.CharField(
        label="Tool",
        help_text="The name of the tool given, for example LS/CMI, LSI-R, ORAS or OASys.",
        max_length=100,
        required=False,
    )
    tool_version = forms.CharField(
        label="Edition of the tool", help_text="Optional.", max_length=100, required=False
    )
    level = forms.ChoiceField(
        label="Risk and need level it gave",
        choices=[*RiskLevel.choices, ("", "The tool gave no level")],
        widget=forms.RadioSelect,
        required=False,
        error_messages=_choose("Risk and need level it gave", "Select the level"),
    )
    total = forms.CharField(
        label="Total score", help_text="Optional. As the tool gave it.", max_length=20,
        required=False,
    )  # fmt: skip
    assessed_on = DateInputField(label="Date it was given", required=False)
    assessed_by = forms.CharField(
        label="Who gave it",
        help_text="Optional. For example, the probation officer who completed it.",
        max_length=200,
        required=False,
    )
    note = forms.CharField(
        label="Note",
        help_text="Optional. Anything that helps read the result.",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    referral = forms.ChoiceField(label="Programme", required=False)

    def __init__(self, *args, referrals, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("assessed_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["referral"].choices = [("", "Not for a programme")] + [
            (str(r.pk), f"{r.programme.name}, referred {r.referral_date:%d %B %Y}")
            for r in referrals
        ]
        if referrals:
            self.fields["referral"].initial = str(referrals[0].pk)


def _shown(value) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def answer_rows(instrument, answers: dict, problems=(), *, typed: dict | None = None) -> list:
    """One row per item of `instrument` for the answer pages: its number, text, options (each
    with whether it is chosen) or number range, what was answered and any problem naming it.
    `typed` (item id -> text) is what a refused form posted, shown again as typed."""
    errors: dict[str, list] = {}
    for p in problems:
        errors.setdefault(p.field, []).append(p.reason)
    rows = []
    for item in instrument.items:
        current = (typed or {}).get(item.id, _shown((answers or {}).get(item.id)))
        options = [
            {"value": _shown(o.value), "label": o.label, "index": i,
             "selected": current != "" and _shown(o.value) == current}
            for i, o in enumerate(item.options)
        ]  # fmt: skip
        numeric = not item.options and (item.minimum is not None or item.maximum is not None)
        rows.append(
            {"id": item.id, "number": item.number, "text": item.text, "options": options,
             "numeric": numeric, "minimum": _shown(item.minimum), "maximum": _shown(item.maximum),
             "value": current, "errors": errors.get(item.id, []),
             "display_only": not item.options and not numeric}
        )  # fmt: skip
    return rows


def posted_answers(instrument, data) -> tuple[dict, dict]:
    """(answers, typed) from a posted answer form: item id -> the text posted (None when left
    empty), for the service to check; and the same text to show again if refused."""
    answers, typed = {}, {}
    for item in instrument.items:
        name = f"item-{item.id}"
        if name in data:
            text = str(data.get(name, "")).strip()
            answers[item.id] = text or None
            typed[item.id] = text
    return answers, typed
