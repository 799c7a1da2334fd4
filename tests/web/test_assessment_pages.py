"""The assessment pages (docs/web.md, docs/assessments.md): giving BARC-10 from the catalogue,
saving and coming back, a refused answer named, finishing and seeing the result, the page handed
to the participant, the printable form, an external assessment, and the profile on the
participant page."""

from datetime import date

import pytest
from django.urls import reverse

from turnpoint.assessments.models import Administration, ExternalAssessment

from .helpers import date_fields, text


@pytest.fixture
def robin(make_referral):
    return make_referral().participant


def start_barc(client, person, *, mode="staff"):
    response = client.post(
        reverse("web:administration_new", args=[person.pk]),
        {"instrument": "barc-10", "setting": "intake", "mode": mode,
         **date_fields("administered_on", date.today()), "referral": ""},
    )  # fmt: skip
    assert response.status_code == 302, text(response)
    return Administration.objects.get(participant=person, instrument_id="barc-10")


@pytest.mark.django_db
def test_give_barc_10_save_come_back_and_finish(page_as, robin):
    client = page_as("coordinator")
    catalogue = text(client.get(reverse("web:administration_new", args=[robin.pk])))
    assert "Brief Assessment of Recovery Capital" in catalogue or "BARC" in catalogue
    assert "Turnpoint's own measure, not validated" in catalogue  # tp-readiness is listed too
    assert "PHQ-9" not in catalogue  # mental health: not the coordinator's to give
    administration = start_barc(client, robin)
    entry = reverse("web:administration", args=[robin.pk, administration.pk])
    page = text(client.get(entry))
    assert 'name="item-barc_1"' in page and "Save and come back later" in page
    saved = client.post(entry, {"expected_version": "1", "item-barc_1": "5", "save": "1"})
    assert saved.status_code == 302
    administration.refresh_from_db()
    assert administration.answers == {"barc_1": 5} and administration.status == "in_progress"
    resumed = text(client.get(entry))
    assert 'id="item-barc_1-4" name="item-barc_1" type="radio" value="5" checked' in resumed
    answers = {f"item-barc_{n}": "4" for n in range(2, 11)}
    done = client.post(entry, {"expected_version": "2", **answers, "finish": "1"})
    assert done.status_code == 302
    administration.refresh_from_db()
    assert administration.status == "complete"
    result = text(client.get(done.headers["Location"]))
    assert "41" in result and 'id="citation"' in result
    # Once complete, the entry page shows the result instead of a form.
    assert client.get(entry).status_code == 302


@pytest.mark.django_db
def test_a_refused_answer_is_named_and_nothing_is_saved(page_as, robin):
    client = page_as("coordinator")
    response = client.post(
        reverse("web:administration_new", args=[robin.pk]),
        {"instrument": "tp-readiness", "setting": "review", "mode": "staff",
         **date_fields("administered_on", date.today())},
    )  # fmt: skip
    administration = Administration.objects.get(instrument_id="tp-readiness")
    entry = reverse("web:administration", args=[robin.pk, administration.pk])
    refused = client.post(entry, {"expected_version": "1", "item-importance": "11",
                                  "item-confidence": "4", "finish": "1"})  # fmt: skip
    assert refused.status_code == 400
    page = text(refused)
    assert "There is a problem" in page and "Question 1: 11 is outside 0 to 10" in page
    assert 'value="11"' in page  # shown again as typed
    administration.refresh_from_db()
    assert administration.answers == {} and administration.version == 1
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_stale_save_is_refused_on_the_page(page_as, robin):
    client = page_as("coordinator")
    administration = start_barc(client, robin)
    entry = reverse("web:administration", args=[robin.pk, administration.pk])
    client.post(entry, {"expected_version": "1", "item-barc_1": "5", "save": "1"})
    stale = client.post(entry, {"expected_version": "1", "item-barc_1": "2", "save": "1"})
    assert stale.status_code == 409
    assert "Someone saved this administration since you opened it" in text(stale)
    administration.refresh_from_db()
    assert administration.answers == {"barc_1": 5}


@pytest.mark.django_db
def test_the_participant_answers_on_the_device_in_their_own_words(page_as, robin):
    client = page_as("coordinator")
    administration = start_barc(client, robin, mode="self")
    page = text(client.get(reverse("web:administration_self", args=[robin.pk, administration.pk])))
    assert "These questions are about you" in page and "I have finished" in page
    assert "Hand the device to the participant" not in page  # no staff links
    answers = {f"item-barc_{n}": "3" for n in range(1, 11)}
    url = reverse("web:administration_self", args=[robin.pk, administration.pk])
    done = client.post(url, {"expected_version": "1", **answers, "finish": "1"})
    assert done.status_code == 200 and "Please hand the device back" in text(done)
    administration.refresh_from_db()
    assert administration.status == "complete"


@pytest.mark.django_db
def test_the_printable_form_lists_every_item_without_the_navigation(page_as, robin):
    client = page_as("coordinator")
    administration = start_barc(client, robin)
    page = text(client.get(reverse("web:administration_print", args=[robin.pk, administration.pk])))
    assert page.count('class="tp-print__item"') == 10
    assert "print.css" in page and "govuk-service-navigation" not in page


@pytest.mark.django_db
def test_an_external_assessment_is_recorded_and_shown_on_the_profile(page_as, robin):
    client = page_as("probation")
    url = reverse("web:external_assessment_new", args=[robin.pk])
    today = date_fields("assessed_on", date.today())
    refused = client.post(url, {"tool": "", "level": "", **today})
    assert refused.status_code == 400 and "Tool is required" in text(refused)
    done = client.post(url, {"tool": "LS/CMI", "level": "high", "total": "27",
                             **date_fields("assessed_on", date.today())})  # fmt: skip
    assert done.status_code == 302
    assert ExternalAssessment.objects.get().level == "high"
    page = text(client.get(reverse("web:participant", args=[robin.pk])))
    assert 'id="profile-risk"' in page and "High" in page and "LS/CMI" in page
    assert 'id="chart-risk"' in page


@pytest.mark.django_db
def test_court_roles_are_refused_giving_an_instrument(page_as, robin):
    client = page_as("judge")
    assert client.get(reverse("web:administration_new", args=[robin.pk])).status_code == 403
    assert client.get(reverse("web:external_assessment_new", args=[robin.pk])).status_code == 403
    assert client.get(reverse("web:assessments", args=[robin.pk])).status_code == 200
