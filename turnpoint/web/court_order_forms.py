"""Forms for the court-order pages. As elsewhere they only parse what was typed; the service
(`turnpoint.sharing.court_orders`) decides, and its problems come back next to the fields."""

from datetime import datetime, time

from django import forms
from django.utils import timezone

from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.court_orders import CourtOrderKind

from .consent_forms import Reworded, recipient_agency_field, recipient_role_field
from .forms import DateInputField, GovukForm, _choose, _required


class CourtOrderForm(Reworded):
    """A court order needs every field; a subpoena only the court, its reference and date (what
    it asks for is recorded when known). Every field is optional here so that the service names
    everything missing at once, next to its field; the form only parses dates and choices."""

    REWORD = {
        "recipients": (
            "recipient_role",
            "Recipients are required: select a recipient role, a recipient agency, or both",
        )
    }

    kind = forms.ChoiceField(
        label="What the court issued",
        choices=CourtOrderKind.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text="A subpoena on its own opens nothing: only an order authorising disclosure "
        "does (42 CFR 2.61, 2.64).",
        error_messages=_choose("What the court issued", "Select an order or a subpoena"),
    )
    court = forms.CharField(
        label="Issuing court",
        max_length=200,
        required=False,
    )
    reference = forms.CharField(
        label="Court reference",
        max_length=100,
        required=False,
    )
    made_on = DateInputField(label="Date made", required=False)
    categories = forms.MultipleChoiceField(
        label="Information it covers",
        help_text="Select each kind of information the order names. Never 'all'.",
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages=_choose("Information it covers", "Select the information it covers"),
    )
    covers_from = DateInputField(
        label="Information dated from",
        help_text="The first day of the information the order covers.",
        required=False,
    )
    covers_to = DateInputField(
        label="Information dated up to",
        help_text="The last day of the information the order covers.",
        required=False,
    )
    recipient_role = recipient_role_field()
    recipient_agency = recipient_agency_field()
    purposes = forms.MultipleChoiceField(
        label="What it may be used for",
        choices=Purpose.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages=_choose("What it may be used for", "Select what it may be used for"),
    )
    expires_at = DateInputField(
        label="Date its authority ends",
        help_text="The day it ends, nothing more is opened under it.",
        required=False,
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("made_on", timezone.localdate())
        super().__init__(*args, **kwargs)

    def service_values(self) -> dict:
        values = dict(self.cleaned_data)
        if values.get("expires_at"):
            values["expires_at"] = timezone.make_aware(
                datetime.combine(values["expires_at"], time.min)
            )
        return values


class EndCourtOrderForm(GovukForm):
    reason = forms.CharField(
        label="Why it ends",
        help_text="For example, 'Discharged on appeal on 3 March' or 'Recorded in error'.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_required("Enter why it ends"),
    )
