"""Forms for the consent, household and safeguarding pages. As in `forms.py`, they only parse
what was typed; the services decide, and their problems come back through `add_problems`, worded
so that each message names its field."""

from datetime import datetime, time

from django import forms
from django.utils import timezone

from turnpoint.accounts.models import STAFF_ROLES, Agency, Role
from turnpoint.errors import Problem
from turnpoint.programmes.models import ConsentRevocation
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.consents import RevocableEvent, SignatureMethod
from turnpoint.sharing.participation import Coercion
from turnpoint.sharing.rules import holding_kinds
from turnpoint.sharing.safeguarding import MIN_JUSTIFICATION, REASONS

from .forms import DateInputField, GovukForm, _choose, _required

DEFAULT_REVOCATION_STATEMENT = (
    "You can change your mind. You can withdraw this consent at any time, except for information "
    "already shared before you withdrew it. Withdrawing it does not change your treatment."
)
DEFAULT_REVOCATION_METHOD = "Tell your key worker or the programme team, in person or in writing."
# 42 CFR 2.35(c): a consent to the referring criminal justice agency may be irrevocable for a time.
CRIMINAL_JUSTICE_REVOCATION_STATEMENT = (
    "You can withdraw this consent once it becomes withdrawable, on the date or after the event "
    "stated on this form, except for information already shared before you withdrew it. Until "
    "then it cannot be withdrawn. Withdrawing it does not change your treatment."
)


def recipient_role_field() -> forms.ChoiceField:
    """Who may receive information, by role: the same question on a consent to share and on a
    court order (either may leave it to the agency)."""
    return forms.ChoiceField(
        label="Recipient role",
        choices=[("", "Any role"), *((r.value, r.label) for r in STAFF_ROLES)],
        required=False,
        error_messages=_choose("Recipient role", "Select the recipient role"),
    )


def recipient_agency_field(*, required: bool = False) -> forms.ModelChoiceField:
    """Who may receive information, by agency (see `recipient_role_field`). A consent to share
    must name one (SEC-39); a court order may leave it to the role."""
    return forms.ModelChoiceField(
        label="Recipient agency",
        queryset=Agency.objects.all(),
        required=required,
        empty_label="Select an agency" if required else "Any agency",
        error_messages=_choose("Recipient agency", "Select the recipient agency"),
    )


class Reworded(GovukForm):
    """A form whose service problems may need other words, or another field, to read well:
    REWORD maps a problem's field to (the form field it belongs next to, the message)."""

    REWORD: dict[str, tuple[str, str]] = {}

    def add_problems(self, problems: list[Problem]) -> None:
        for problem in problems:
            if problem.field in self.REWORD:
                self.add_error(*self.REWORD[problem.field])
            else:
                super().add_problems([problem])


class ParticipationConsentForm(Reworded):
    REWORD = {
        "right_to_withdraw_explained": (
            "right_to_withdraw_explained",
            "Confirm that the participant was told they can withdraw their consent",
        )
    }

    alternatives_explained = forms.CharField(
        label="Other options explained to the participant",
        help_text="What happens if they do not take part, for example the sentence they would "
        "otherwise face.",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_required("Enter the other options explained to the participant"),
    )
    coercion = forms.ChoiceField(
        label="How much choice the participant has",
        choices=Coercion.choices,
        widget=forms.RadioSelect,
        error_messages=_choose(
            "How much choice the participant has", "Select how much choice the participant has"
        ),
    )
    agreed_max_weeks = forms.IntegerField(
        label="Longest the programme can last, in weeks",
        min_value=1,
        error_messages={
            "required": "Enter the longest the programme can last, in weeks",
            "invalid": "Longest the programme can last must be a whole number of weeks",
            "min_value": "Longest the programme can last must be at least 1 week",
        },
    )
    custodial_weeks_replaced = forms.IntegerField(
        label="Weeks of custody the programme replaces",
        help_text="Leave empty if it does not replace a custodial sentence.",
        required=False,
        min_value=0,
        error_messages={
            "invalid": "Weeks of custody the programme replaces must be a whole number",
            "min_value": "Weeks of custody the programme replaces cannot be negative",
        },
    )
    non_completion_explained = forms.CharField(
        label="What happens if the participant does not finish",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_required("Enter what happens if the participant does not finish"),
    )
    right_to_withdraw_explained = forms.BooleanField(
        label="The participant was told they can withdraw their consent at any time",
        required=False,
    )
    signed_by = forms.CharField(
        label="Signed by",
        max_length=200,
        error_messages=_required("Enter who signed the consent"),
    )
    signed_on = DateInputField(
        label="Date signed", error_messages=_required("Enter the date the consent was signed")
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("signed_on", timezone.localdate())
        super().__init__(*args, **kwargs)

    def service_values(self) -> dict:
        return dict(self.cleaned_data)


class WithdrawForm(GovukForm):
    how = forms.CharField(
        label="How the participant withdrew",
        help_text="For example, 'Told her key worker in person on 3 March'.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_required("Enter how the participant withdrew"),
    )


class RevokeForm(GovukForm):
    how = forms.CharField(
        label="How the participant revoked the consent",
        help_text="For example, 'Wrote to the programme team on 3 March'.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_required("Enter how the participant revoked the consent"),
    )

    def add_problems(self, problems: list[Problem]) -> None:
        # "Consent cannot be revoked until ..." reads as a sentence at the top of the page.
        for problem in problems:
            if problem.field == "consent":
                self.add_error(None, f"Consent {problem.reason}")
            else:
                super().add_problems([problem])


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


class ShareConsentForm(Reworded):
    """The agency that shares is the user's own (SEC-39), so it is not asked; the categories
    offered are those it holds (`disclosures.holding_kinds`)."""

    recipient_agency = recipient_agency_field(required=True)
    recipient_role = recipient_role_field()
    categories = forms.MultipleChoiceField(
        label="Information that may be shared",
        help_text="Select each kind of information your agency holds. Counselling notes need a "
        "consent of their own.",
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Select the information that may be shared",
            "invalid_choice": "Information that may be shared must be among the options shown: "
            "your agency records consents only to share what it holds",
        },
    )
    purposes = forms.MultipleChoiceField(
        label="What it may be used for",
        choices=Purpose.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages=_choose("What it may be used for", "Select what it may be used for"),
    )
    starts_at = DateInputField(
        label="Starts on", error_messages=_required("Enter the date the consent starts")
    )
    expires_at = DateInputField(
        label="Ends on",
        help_text="A consent must end. The day it ends, sharing stops.",
        error_messages=_required("Enter the date the consent ends"),
    )
    # 42 CFR 2.35 (security.md SEC-09): only in programmes whose consents are irrevocable until a
    # stated date or event; elsewhere these two fields are removed and a consent is revocable at
    # any time.
    revocable_from = DateInputField(
        label="Date it becomes revocable",
        help_text="The participant cannot withdraw the consent before this date, unless the event "
        "below happens first. No later than the expected final disposition of the case.",
        required=False,
    )
    revocable_after_event = forms.ChoiceField(
        label="Event after which it becomes revocable",
        choices=[("", "No event"), *RevocableEvent.choices],
        required=False,
        error_messages=_choose(
            "Event after which it becomes revocable",
            "Select the event after which it becomes revocable",
        ),
    )
    revocation_statement = forms.CharField(
        label="Right to withdraw, as explained to the participant",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_required("Enter the right to withdraw, as explained to the participant"),
    )
    revocation_method = forms.CharField(
        label="How the participant can withdraw it",
        max_length=500,
        error_messages=_required("Enter how the participant can withdraw it"),
    )
    signature_method = forms.ChoiceField(
        label="How it was signed",
        choices=SignatureMethod.choices,
        widget=forms.RadioSelect,
        error_messages=_choose("How it was signed", "Select how it was signed"),
    )
    signed_by = forms.CharField(
        label="Signed by", max_length=200, error_messages=_required("Enter who signed the consent")
    )
    representative_authority = forms.CharField(
        label="Authority of a representative who signed for the participant",
        help_text="Only if someone signed on the participant's behalf, for example 'Power of "
        "attorney'.",
        max_length=200,
        required=False,
    )
    signed_on = DateInputField(
        label="Date signed", error_messages=_required("Enter the date the consent was signed")
    )

    def __init__(self, *args, user, criminal_justice_programme=None, **kwargs):
        """`criminal_justice_programme`: the participant's open criminal-justice-referral
        programme (`criminal_justice_referral_for`), whose 2.35 rules the form explains."""
        self.criminal_justice_programme = criminal_justice_programme
        self.irrevocable_for_a_time = bool(
            criminal_justice_programme
            and criminal_justice_programme.consent_revocation
            == ConsentRevocation.AFTER_STATED_EVENT
        )
        initial = kwargs.setdefault("initial", {})
        today = timezone.localdate()
        initial.setdefault("starts_at", today)
        initial.setdefault("signed_on", today)
        initial.setdefault(
            "revocation_statement",
            CRIMINAL_JUSTICE_REVOCATION_STATEMENT
            if self.irrevocable_for_a_time
            else DEFAULT_REVOCATION_STATEMENT,
        )
        initial.setdefault("revocation_method", DEFAULT_REVOCATION_METHOD)
        super().__init__(*args, **kwargs)
        self.disclosing_agency = user.agency if user.agency_id else None
        kind = self.disclosing_agency.kind if self.disclosing_agency else ""
        self.fields["categories"].choices = [
            (value, label) for value, label in Category.choices if kind in holding_kinds(value)
        ]
        if criminal_justice_programme is not None:
            roles = ", ".join(
                str(Role(r).label) for r in criminal_justice_programme.monitoring_roles
            )
            self.fields["recipient_role"].help_text = (
                f"In {criminal_justice_programme.name}, only a role with a duty to monitor the "
                f"participant's progress: {roles} (42 CFR 2.35(a))."
            )
        if not self.irrevocable_for_a_time:
            del self.fields["revocable_from"], self.fields["revocable_after_event"]

    def service_values(self) -> dict:
        values = dict(self.cleaned_data)
        values["starts_at"] = _start_of(values["starts_at"])
        values["expires_at"] = _start_of(values["expires_at"])
        values["representative_authority"] = values["representative_authority"].strip()
        return values


class HouseholdChildForm(GovukForm):
    first_name = forms.CharField(
        label="Child's first name",
        max_length=100,
        error_messages=_required("Enter the child's first name"),
    )
    year_of_birth = forms.IntegerField(
        label="Year of birth",
        help_text="For example, 2016",
        error_messages={
            "required": "Enter the child's year of birth",
            "invalid": "Year of birth must be a year, like 2016",
        },
    )
    lives_with_participant = forms.BooleanField(
        label="The child lives with the participant", required=False, initial=True
    )
    relationship = forms.CharField(
        label="Relationship to the participant",
        help_text="For example, daughter, stepson, partner's child",
        max_length=100,
        required=False,
    )


class BreakGlassForm(GovukForm):
    reason_code = forms.ChoiceField(
        label="Reason for opening the safeguarding record",
        choices=list(REASONS.items()),
        widget=forms.RadioSelect,
        error_messages=_choose(
            "Reason for opening the safeguarding record",
            "Select the reason for opening the safeguarding record",
        ),
    )
    justification = forms.CharField(
        label="Why you need to open it now",
        help_text=f"Say what happened and why it cannot wait. At least {MIN_JUSTIFICATION} "
        "characters.",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages=_required("Enter why you need to open it now"),
    )


class ReviewForm(GovukForm):
    note = forms.CharField(
        label="What the review found",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=_required("Enter what the review found"),
    )
