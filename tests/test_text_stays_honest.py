"""Text that stays honest (issue 27): free text refuses the invisible characters that change how
text displays, and length limits say their number; letters of every script, accents and emoji
are kept as typed. Every service that stores free text asks `turnpoint.text.text_problems`."""

import io
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from turnpoint.accounts.models import ApiToken
from turnpoint.errors import InvalidInput
from turnpoint.journeys.models import Referral, Transition
from turnpoint.journeys.services import referral_create, referral_transition
from turnpoint.people.models import Participant
from turnpoint.people.services import household_child_add, participant_create
from turnpoint.sharing.consents import ShareConsent, share_consent_create
from turnpoint.sharing.court_orders import CourtOrder, court_order_end, court_order_record
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.safeguarding import break_glass_open
from turnpoint.text import text_problems

RLO = "\u202e"  # right-to-left override: "gpj.exe" shows as "exe.jpg"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Robin\u202egpj.exe", "contains an invisible character that changes the direction of "
         "text (U+202E) at character 6 — remove it"),
        ("Ro\u2067bin", "contains an invisible character that changes the direction of text "
         "(U+2067) at character 3 — remove it"),
        ("Robin\u200f", "contains an invisible direction mark (U+200F) at character 6 — remove it"),
        ("Ro\u200bbin", "contains an invisible zero-width character (U+200B) at character 3 — "
         "remove it"),
        ("Ro\u200dbin", "contains an invisible zero-width character (U+200D) at character 3 — "
         "remove it"),
        ("\ufeffRobin", "contains an invisible zero-width character (U+FEFF) at character 1 — "
         "remove it"),
        ("Ro\u00adbin", "contains an invisible formatting character (U+00AD) at character 3 — "
         "remove it"),
        ("Rob\U000e0069in", "contains an invisible formatting character (U+E0069) at character "
         "4 — remove it"),
        ("Ro\x00bin", "contains a control character (U+0000) at character 3 — remove it"),
        ("Ro\x85bin", "contains a control character (U+0085) at character 3 — remove it"),
        ("Ro\tbin", "contains a tab at character 3 — use a space instead"),
        ("Ro\nbin", "contains a line break at character 3 — keep it on one line"),
        ("Ro\u2028bin", "contains a line or paragraph separator (U+2028) at character 3 — keep "
         "it on one line"),
        ("x" * 134, "must be 100 characters or fewer; this is 134"),
    ],
)  # fmt: skip
def test_each_kind_of_refusal_names_the_character_in_words(value, reason):
    assert [p.reason for p in text_problems("given_name", value, max_length=100)] == [reason]


@pytest.mark.parametrize(
    "value",
    [
        "שרה כהן",  # Hebrew
        "محمد عبد الله",  # Arabic
        "فرشته می\u200cخواهم",  # noqa: RUF001 - Persian writes the non-joiner inside words
        "क्\u200dष",  # Devanagari: a joiner after a virama
        "Zoë Ångström-Núñez",
        "Robin 😀 👍🏽 👩\u200d🔬 👨\u200d👩\u200d👧",  # emoji, skin tone, joined sequences
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # flag of Scotland
        "Robin\u00a0Example",  # a no-break space is visible as a space
        "x" * 100,
    ],
)
def test_letters_of_every_script_accents_and_emoji_are_accepted(value):
    assert text_problems("given_name", value, max_length=100) == []


def test_a_multi_line_field_keeps_line_breaks_and_tabs_but_not_other_controls():
    assert text_problems("reason", "One.\r\nTwo.\n\tThree.", max_length=50, multiline=True) == []
    [problem] = text_problems("reason", "One.\x1bTwo.", max_length=50, multiline=True)
    assert problem.reason == "contains a control character (U+001B) at character 5 — remove it"


# Through the services: refused, nothing written ------------------------------------------------


def assert_refused(call, field, reason_start, **values):
    before = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as excinfo:
        call(**values)
    reasons = {p.field: p.reason for p in excinfo.value.problems}
    assert reasons[field].startswith(reason_start), reasons
    assert AuditEntry.objects.count() == before


def test_participant_names_refuse_direction_controls_and_keep_right_to_left_letters(coordinator):
    assert_refused(
        participant_create, "family_name", "contains an invisible character that changes",
        acting_user=coordinator, given_name="Robin", family_name=f"Example{RLO}",
        date_of_birth=date(1990, 5, 17),
    )  # fmt: skip
    assert not Participant.objects.exists()
    arabic = "عبد الله 😀"
    person = participant_create(
        acting_user=coordinator,
        given_name="שרה",
        family_name=arabic,
        date_of_birth=date(1990, 5, 17),
    )
    person.refresh_from_db()
    assert (person.given_name, person.family_name) == ("שרה", arabic)


def test_offence_summary_and_step_reason_refuse_invisible_characters(
    make_referral, coordinator, programme
):
    referral = make_referral(offence_summary="Took bread.\nPaid back the shop.")
    assert referral.offence_summary == "Took bread.\nPaid back the shop."
    today = timezone.localdate()
    assert_refused(
        referral_create, "offence_summary", "contains an invisible zero-width",
        acting_user=coordinator, participant=referral.participant, programme=programme,
        source="police", offence_category="acquisitive", drug_related_type="drug_law",
        offence_date=today - timedelta(days=9), offence_summary="Took\u200b bread.",
    )  # fmt: skip
    assert Referral.objects.count() == 1
    assert_refused(
        referral_transition, "reason", "must be 2,000 characters or fewer; this is 2,001",
        referral=referral, acting_user=coordinator, to_state="left", reason_code="other",
        reason="x" * 2001,
    )  # fmt: skip
    assert referral.transitions.count() == 1 and not Transition.objects.filter(kind="left")


def test_consent_court_order_and_household_texts_are_checked(make_referral, users):
    person = make_referral().participant
    now = timezone.now()
    assert_refused(
        share_consent_create, "revocation_method", "contains a control character (U+0007)",
        acting_user=users["clinician"], participant=person,
        disclosing_agency=users["clinician"].agency, recipient_role="judge",
        recipient_agency=users["judge"].agency, categories=["clinical"],
        purposes=["court_review"], starts_at=now, expires_at=now + timedelta(days=30),
        revocation_statement="Any time.", revocation_method="Tell us\x07.",
        signature_method="written", signed_by="Robin", signed_on=timezone.localdate(),
    )  # fmt: skip
    assert not ShareConsent.objects.exists()
    order = dict(
        acting_user=users["clinician"], participant=person, kind="subpoena",
        reference="S-1", made_on=timezone.localdate(),
    )  # fmt: skip
    assert_refused(court_order_record, "court", "must be 200 characters or fewer; this is 201",
                   court="C" * 201, **order)  # fmt: skip
    assert not CourtOrder.objects.exists()
    recorded = court_order_record(court="Ghent court", **order)
    assert_refused(
        court_order_end, "reason", "contains an invisible character that changes",
        order=recorded, acting_user=users["clinician"], reason=f"Dis{RLO}charged",
    )  # fmt: skip
    assert_refused(
        household_child_add, "relationship", "contains an invisible direction mark (U+200E)",
        acting_user=users["coordinator"], participant=person, first_name="Sam",
        year_of_birth=timezone.localdate().year - 5, relationship="\u200eStepchild",
    )  # fmt: skip


def test_break_glass_justification_refuses_invisible_characters(make_referral, users):
    person = make_referral().participant
    assert_refused(
        break_glass_open, "justification", "contains an invisible zero-width character (U+2060)",
        acting_user=users["safeguarding"], participant=person, reason_code="child_at_risk",
        justification="A teacher reported bruising\u2060 on the child today.",
    )  # fmt: skip


def test_the_command_line_refuses_a_reason_with_invisible_characters(users):
    with pytest.raises(CommandError) as excinfo:
        call_command("tokens", "create", "coordinator", "--reason", "New\u200b laptop",
                     stdout=io.StringIO())  # fmt: skip
    assert "--reason: contains an invisible zero-width character (U+200B)" in str(excinfo.value)
    assert not ApiToken.objects.exists()
    with pytest.raises(CommandError) as excinfo:
        call_command("unlock", "coordinator", "--reason", "r" * 201, stdout=io.StringIO())
    assert "--reason: must be 200 characters or fewer; this is 201" in str(excinfo.value)
