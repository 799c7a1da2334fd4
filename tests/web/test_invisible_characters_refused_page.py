"""A page refuses free text with an invisible character that changes how it displays: the
error sits next to the field, the form comes back with what was typed, nothing is saved."""

import html
import re
from datetime import date, timedelta

from django.utils import timezone

from turnpoint.journeys.models import Referral
from turnpoint.people.models import Participant

from .helpers import date_fields, text

URL = "/referrals/new/"
REASON = (
    "Given name contains an invisible character that changes the direction of text (U+202E) "
    "at character 6 — remove it"
)


def intake_form(programme, **overrides):
    today = timezone.localdate()
    form = {
        "given_name": "Robin", "family_name": "Example",
        **date_fields("date_of_birth", date(1990, 5, 17)), "sex": "female",
        "ethnicity": "prefer_not_to_say", "programme": programme.pk, "source": "police",
        "offence_category": "acquisitive", "drug_related_type": "economic_compulsive",
        **date_fields("offence_date", today - timedelta(days=40)),
        **date_fields("referral_date", today - timedelta(days=2)),
        "offence_summary": "Took bread from a shop.",
    }  # fmt: skip
    form.update(overrides)
    return form


def test_a_direction_override_in_a_name_is_shown_next_to_the_field(page_as, programme):
    response = page_as("coordinator").post(URL, intake_form(programme, given_name="Robin\u202e"))
    assert response.status_code == 400
    page = html.unescape(text(response))
    # In the summary, linked to the field, and in the field's own error message.
    assert f'<a href="#id_given_name">{REASON}</a>' in page
    assert re.search(r'id="id_given_name-error"[^>]*>.*?' + re.escape(REASON), page, re.S)
    # What was typed comes back, so nothing has to be typed again.
    assert 'value="Example"' in page and "Took bread from a shop." in page
    assert not Participant.objects.exists() and not Referral.objects.exists()


def test_a_hebrew_name_goes_through_the_page(page_as, programme):
    response = page_as("coordinator").post(URL, intake_form(programme, given_name="שרה"))
    assert response.status_code == 302
    assert Participant.objects.get().given_name == "שרה"


def test_an_over_long_name_says_the_limit_and_its_length(page_as, programme):
    response = page_as("coordinator").post(URL, intake_form(programme, family_name="E" * 134))
    assert response.status_code == 400
    page = html.unescape(text(response))
    assert (
        '<a href="#id_family_name">Family name must be 100 characters or fewer; this is 134</a>'
        in page
    )
    assert not Participant.objects.exists()
