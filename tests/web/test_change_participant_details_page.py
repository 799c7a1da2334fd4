"""Changing a participant's name and date of birth on a page (docs/web.md): offered to the roles
that may write identity, refused (403, audited) to the others who reach the participant and not
found (404) for anyone else; a refused value is named beside its field with nothing saved, a stale
page is refused (409) with nothing saved, and the earlier value is kept with the reason."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from turnpoint.people.history import ParticipantFieldChange
from turnpoint.people.models import Participant
from turnpoint.sharing.models import AuditEntry

from .helpers import date_fields, text


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 6, 15, 12, 0), tick=False):
        yield


@pytest.fixture
def person(make_referral):
    return make_referral(given_name="Robin", family_name="Example").participant


def url(person) -> str:
    return reverse("web:participant_edit", args=[person.pk])


def form(person, **changes) -> dict:
    """What the page posts: the participant's current values, with `changes`."""
    values = {
        "expected_version": person.version, "given_name": person.given_name,
        "family_name": person.family_name, "preferred_name": person.preferred_name,
        "date_of_birth": person.date_of_birth, "sex": person.sex,
        "ethnicity": person.ethnicity, "reason": "",
    }  # fmt: skip
    values.update(changes)
    values.update(date_fields("date_of_birth", values.pop("date_of_birth")))
    if person.demographics_consent:
        values["demographics_consent"] = "on"
    return values


def unchanged(person) -> bool:
    now = Participant.objects.get(pk=person.pk)
    same = (now.family_name, now.given_name, now.date_of_birth, now.version) == (
        person.family_name, person.given_name, person.date_of_birth, person.version
    )  # fmt: skip
    return same and not ParticipantFieldChange.objects.filter(participant=person).exists()


def test_a_coordinator_changes_the_family_name_and_the_earlier_one_is_kept(page_as, person):
    client = page_as("coordinator")
    participant_page = text(client.get(reverse("web:participant", args=[person.pk])))
    assert f'href="{url(person)}"' in participant_page and "Change details" in participant_page
    shown = client.get(url(person))
    assert shown.status_code == 200
    html = text(shown)
    assert "Change Robin Example's details" in html
    assert 'value="Example"' in html and f'name="expected_version" value="{person.version}"' in html
    assert "Why are you changing this?" in html

    response = client.post(url(person), form(person, family_name="Exemple",
                                             reason="Misspelt at intake"))  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == reverse("web:participant", args=[person.pk])
    saved = Participant.objects.get(pk=person.pk)
    assert saved.family_name == "Exemple" and saved.version == person.version + 1
    change = ParticipantFieldChange.objects.get(participant=person)
    assert (change.field, change.old_value, change.new_value, change.reason) == (
        "family_name", "Example", "Exemple", "Misspelt at intake"
    )  # fmt: skip
    audit = AuditEntry.objects.filter(action="update", object_type="participant",
                                      object_id=str(person.pk)).get()  # fmt: skip
    assert audit.username == "coordinator" and audit.detail["fields"] == ["family_name"]

    page = text(client.get(response["Location"]))
    assert "Details changed for Robin Exemple" in page
    assert 'id="earlier-identity"' in page
    assert '<td class="govuk-table__cell">Example</td>' in page and "Misspelt at intake" in page


def test_only_the_changed_fields_are_sent(page_as, person):
    client = page_as("casemanager")
    response = client.post(url(person), form(person, preferred_name="Rob"))
    assert response.status_code == 302
    assert Participant.objects.get(pk=person.pk).preferred_name == "Rob"
    audit = AuditEntry.objects.get(action="update", object_id=str(person.pk))
    assert audit.detail["fields"] == ["preferred_name"]
    change = ParticipantFieldChange.objects.get(participant=person)
    assert (change.field, change.old_value, change.new_value) == ("preferred_name", "", "Rob")


@pytest.mark.parametrize("username", ["judge", "clinician", "safeguarding"])
def test_a_role_that_cannot_write_identity_is_refused_and_not_offered_the_link(
    page_as, person, username
):
    client = page_as(username)
    participant_page = text(client.get(reverse("web:participant", args=[person.pk])))
    assert f'href="{url(person)}"' not in participant_page
    assert "Change details" not in participant_page
    assert client.get(url(person)).status_code == 403
    refused = client.post(url(person), form(person, family_name="Exemple"))
    assert refused.status_code == 403
    assert unchanged(person)
    denied = AuditEntry.objects.filter(action="denied", username=username)
    assert denied.count() == 2


def test_someone_out_of_reach_gets_not_found(page_as, person):
    client = page_as("outsider")
    assert client.get(url(person)).status_code == 404
    assert client.post(url(person), form(person, family_name="Exemple")).status_code == 404
    missing = reverse("web:participant_edit", args=[999999])
    assert page_as("coordinator").get(missing).status_code == 404
    assert unchanged(person)


def test_a_date_of_birth_in_the_future_is_refused_beside_its_field(page_as, person):
    future = date(2026, 6, 15) + timedelta(days=1)
    response = page_as("coordinator").post(url(person), form(person, date_of_birth=future,
                                                             family_name="Exemple"))  # fmt: skip
    assert response.status_code == 400
    html = text(response)
    assert 'href="#id_date_of_birth-day">Date of birth is in the future</a>' in html
    assert 'value="Exemple"' in html  # what was typed is kept
    assert f'value="{future.day}"' in html and f'value="{future.year}"' in html
    assert unchanged(person)


def test_a_date_of_birth_after_a_recorded_offence_is_refused(page_as, person):
    offence = person.referrals.get().offence_date
    response = page_as("coordinator").post(
        url(person), form(person, date_of_birth=offence + timedelta(days=1))
    )
    assert response.status_code == 400
    assert "Date of birth is after the date of an offence recorded for them" in text(response)
    assert unchanged(person)


def test_a_stale_page_is_refused_with_nothing_saved(page_as, person, coordinator):
    client = page_as("coordinator")
    stale = form(person, family_name="Exemple", reason="Spelling")
    Participant.objects.filter(pk=person.pk).update(version=person.version + 1)
    response = client.post(url(person), stale)
    assert response.status_code == 409
    assert "Someone else changed these details since you opened the page" in text(response)
    now = Participant.objects.get(pk=person.pk)
    assert now.family_name == "Example"
    assert not ParticipantFieldChange.objects.filter(participant=person).exists()
    assert not AuditEntry.objects.filter(action="update", object_id=str(person.pk)).exists()


@pytest.mark.parametrize("field", ["given_name", "family_name", "preferred_name"])
def test_invisible_characters_in_a_name_are_refused(page_as, person, field):
    response = page_as("coordinator").post(url(person), form(person, **{field: "Ex\u202eample"}))
    assert response.status_code == 400
    html = text(response)
    assert "U+202E" in html and f'href="#id_{field}"' in html
    assert unchanged(person)


def test_invisible_characters_in_the_reason_are_refused(page_as, person):
    response = page_as("coordinator").post(
        url(person), form(person, family_name="Exemple", reason="Spelling\u202e")
    )
    assert response.status_code == 400
    assert 'href="#id_reason">The reason contains' in text(response)
    assert unchanged(person)


def test_a_required_name_left_empty_is_named(page_as, person):
    response = page_as("coordinator").post(url(person), form(person, family_name=""))
    assert response.status_code == 400
    assert "Enter the family name" in text(response)
    assert unchanged(person)


def test_a_form_without_its_version_is_refused_in_words(page_as, person):
    values = form(person, family_name="Exemple")
    del values["expected_version"]
    response = page_as("coordinator").post(url(person), values)
    assert response.status_code == 400
    assert "This page is out of date. Reload it and make your change again" in text(response)
    assert unchanged(person)
