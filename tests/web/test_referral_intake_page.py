"""Recording a referral: a new participant and their referral together, or a new referral for
someone already known. Refused input names each field and changes nothing."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from turnpoint.journeys.models import Referral, Transition
from turnpoint.people.models import Participant
from turnpoint.sharing.models import AuditEntry

from .helpers import date_fields, text

URL = "/referrals/new/"


@pytest.fixture
def form(programme):
    today = timezone.localdate()
    return {
        "given_name": "Robin",
        "family_name": "Example",
        **date_fields("date_of_birth", date(1990, 5, 17)),
        "sex": "female",
        "ethnicity": "prefer_not_to_say",
        "demographics_consent": "on",
        "programme": programme.pk,
        "source": "police",
        "offence_category": "acquisitive",
        "drug_related_type": "economic_compulsive",
        **date_fields("offence_date", today - timedelta(days=40)),
        **date_fields("referral_date", today - timedelta(days=2)),
        "offence_summary": "Took bread from a shop.",
    }


def summary(response) -> list[tuple[str, str]]:
    """(anchor, message) of each item in the GOV.UK error summary."""
    body = text(response).split('class="govuk-error-summary"')[1].split("</ul>")[0]
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', body)


def counts():
    return Participant.objects.count(), Referral.objects.count(), Transition.objects.count()


def test_coordinator_records_a_new_participant_and_referral(page_as, form, coordinator, programme):
    response = page_as("coordinator").post(URL, form)
    person = Participant.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/participants/{person.pk}/"
    assert (person.given_name, person.family_name) == ("Robin", "Example")
    assert person.date_of_birth == date(1990, 5, 17)
    assert (person.sex, person.ethnicity, person.demographics_consent) == (
        "female",
        "prefer_not_to_say",
        True,
    )
    referral = Referral.objects.get()
    assert referral.participant == person and referral.programme == programme
    assert referral.source == "police" and referral.offence_category == "acquisitive"
    assert referral.referral_date == timezone.localdate() - timedelta(days=2)
    assert referral.offence_summary == "Took bread from a shop."
    assert referral.created_by == coordinator
    assert referral.transitions.get().to_state == "referral"
    assert AuditEntry.objects.filter(action="create", object_type="referral").count() == 1


def test_success_message_names_the_participant(page_as, form):
    response = page_as("coordinator").post(URL, form, follow=True)
    person = Participant.objects.get()
    assert f"Referral received for Robin Example ({person.reference})." in text(response)


def test_new_referral_for_an_existing_participant_adds_no_person(page_as, form, make_referral):
    known = make_referral().participant
    for name in ("given_name", "family_name", "sex", "ethnicity"):
        form.pop(name)
    response = page_as("coordinator").post(f"{URL}?participant={known.pk}", form)
    assert response.status_code == 302
    assert Participant.objects.count() == 1
    assert known.referrals.count() == 2


def test_form_field_errors_are_listed_by_field_and_nothing_is_saved(page_as, form):
    form["given_name"] = " "
    form.pop("drug_related_type")
    form["offence_date-month"] = "13"
    response = page_as("coordinator").post(URL, form)
    assert response.status_code == 400
    assert summary(response) == [
        ("id_given_name", "Enter the given name"),
        ("id_drug_related_type-0", "Select how the offence relates to drug use"),
        ("id_offence_date-day", "Offence date must be a real date"),
    ]
    assert counts() == (0, 0, 0)


def test_service_problems_name_each_field_and_nothing_is_saved(page_as, form):
    today = timezone.localdate()
    form.update(date_fields("date_of_birth", today + timedelta(days=3)))
    form.update(date_fields("offence_date", today + timedelta(days=1)))
    response = page_as("coordinator").post(URL, form)
    assert response.status_code == 400
    errors = summary(response)
    assert ("id_date_of_birth-day", "Date of birth is in the future") in errors
    assert ("id_offence_date-day", "Offence date is in the future") in errors
    assert counts() == (0, 0, 0)
    # The typed values come back so nothing has to be typed again.
    assert 'value="Robin"' in text(response)


def test_a_refused_referral_leaves_no_half_written_participant(page_as, form):
    """The person is valid; only the referral service refuses (offence after referral)."""
    today = timezone.localdate()
    form.update(date_fields("offence_date", today - timedelta(days=1)))
    form.update(date_fields("referral_date", today - timedelta(days=5)))
    response = page_as("coordinator").post(URL, form)
    assert response.status_code == 400
    assert ("id_offence_date-day", "Offence date is after the referral date") in summary(response)
    assert counts() == (0, 0, 0)


def test_programme_choices_are_only_the_users_programmes(page_as, form, other_programme, programme):
    client = page_as("coordinator")
    html = text(client.get(URL))
    assert programme.name in html and other_programme.name not in html
    form["programme"] = other_programme.pk
    response = client.post(URL, form)
    assert response.status_code == 400
    assert summary(response) == [("id_programme", "Programme must be one of the options shown")]
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize("username", ["judge", "clinician", "analyst"])
def test_roles_that_do_not_refer_are_told_why(page_as, form, username):
    client = page_as(username)
    assert client.get(URL).status_code == 403
    response = client.post(URL, form)
    assert response.status_code == 403
    assert "You cannot make referrals" in text(response)
    assert counts() == (0, 0, 0)


def test_outsider_cannot_refer_another_teams_participant(page_as, form, make_referral):
    known = make_referral().participant
    response = page_as("outsider").get(f"{URL}?participant={known.pk}")
    assert response.status_code == 404


def test_intake_form_labels_every_input(page_as):
    html = text(page_as("coordinator").get(URL))
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html)
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
    assert ids and set(ids) <= labelled
    assert html.count("<h1") == 1
