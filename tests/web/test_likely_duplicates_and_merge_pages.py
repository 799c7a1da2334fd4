"""The staff pages of "one person, one record": likely duplicates shown before a participant is
created, identifiers on the participant page, and a coordinator merging and unmerging records."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from turnpoint.people.identifiers import identifier_add
from turnpoint.people.models import Participant, ParticipantMerge
from turnpoint.sharing.models import AuditEntry

from .helpers import date_fields, text

URL = "/referrals/new/"


@pytest.fixture
def form(programme):
    today = timezone.localdate()
    return {
        "given_name": "Robyn", "family_name": "Example",
        **date_fields("date_of_birth", date(1990, 5, 17)),
        "sex": "female", "ethnicity": "prefer_not_to_say", "programme": programme.pk,
        "source": "police", "offence_category": "acquisitive",
        "drug_related_type": "economic_compulsive",
        **date_fields("offence_date", today - timedelta(days=40)),
        **date_fields("referral_date", today - timedelta(days=2)),
    }  # fmt: skip


def test_a_likely_duplicate_is_shown_before_saving_and_the_form_keeps_its_values(
    page_as, form, make_referral
):
    known = make_referral(given_name="Robin", family_name="Example").participant
    response = page_as("coordinator").post(URL, form)
    assert response.status_code == 200
    html = text(response)
    assert "Nothing has been saved yet" in html
    assert f'href="/participants/{known.pk}/"' in html and "Open this record" in html
    assert "the same family name and first initial and the same date of birth" in html
    assert 'value="Robyn"' in html  # the form keeps what was typed
    assert "This is a different person" in html
    assert Participant.objects.count() == 1


def test_confirming_a_different_person_creates_the_record(page_as, form, make_referral):
    make_referral(given_name="Robin", family_name="Example")
    response = page_as("coordinator").post(URL, {**form, "different_person": "yes"})
    assert response.status_code == 302
    assert Participant.objects.filter(given_name="Robyn").exists()


def test_no_one_out_of_reach_is_shown_or_named(page_as, form, make_referral, outsider, users):
    known = make_referral(given_name="Robin", family_name="Example").participant
    outsider.role = "coordinator"
    outsider.save()
    client = page_as("outsider")
    response = client.post(URL, {**form, "programme": outsider.programmes.get().pk})
    assert response.status_code == 302  # nothing to show: created at once
    assert known.reference not in text(client.get(response["Location"]))


def test_the_participant_page_shows_only_identifiers_the_role_may_read(
    page_as, make_referral, users
):
    person = make_referral().participant
    identifier_add(acting_user=users["clinician"], participant=person, kind="nhs",
                   value="943 476 5919")  # fmt: skip
    identifier_add(acting_user=users["coordinator"], participant=person, kind="court_case",
                   value="T20240001")  # fmt: skip
    judge = text(page_as("judge").get(f"/participants/{person.pk}/"))
    assert "T20240001" in judge and "943 476 5919" not in judge
    clinician = text(page_as("clinician").get(f"/participants/{person.pk}/"))
    assert "943 476 5919" in clinician and "T20240001" not in clinician


@pytest.fixture
def pair(make_referral):
    kept = make_referral(given_name="Robin", family_name="Example").participant
    duplicate = make_referral(given_name="Robyn", family_name="Example").participant
    return kept, duplicate


def test_a_coordinator_merges_after_seeing_both_records_side_by_side(page_as, pair):
    kept, duplicate = pair
    client = page_as("coordinator")
    page = text(client.get(f"/participants/{kept.pk}/"))
    assert f'href="/participants/{kept.pk}/merge/"' in page
    choose = text(client.get(f"/participants/{kept.pk}/merge/"))
    assert f'href="/participants/{kept.pk}/merge/{duplicate.pk}/"' in choose
    chosen = client.post(f"/participants/{kept.pk}/merge/", {"other": duplicate.reference})
    assert chosen["Location"] == f"/participants/{kept.pk}/merge/{duplicate.pk}/"
    confirm = text(client.get(chosen["Location"]))
    assert (
        f"Keep: {kept.reference}" in confirm and f"Merge into it: {duplicate.reference}" in confirm
    )
    assert ParticipantMerge.objects.count() == 0
    done = client.post(chosen["Location"])
    assert done["Location"] == f"/participants/{kept.pk}/"
    assert Participant.objects.get(pk=duplicate.pk).merged_into == kept
    assert client.get(f"/participants/{duplicate.pk}/").status_code == 404
    assert AuditEntry.objects.filter(action="merge").count() == 1
    merge = ParticipantMerge.objects.get()
    page = text(client.get(f"/participants/{kept.pk}/"))
    assert f'href="/participants/{kept.pk}/merges/{merge.pk}/undo/"' in page
    undone = client.post(f"/participants/{kept.pk}/merges/{merge.pk}/undo/")
    assert undone.status_code == 302
    assert client.get(f"/participants/{duplicate.pk}/").status_code == 200


def test_a_reference_out_of_reach_is_refused_like_a_missing_one(page_as, pair, make_referral):
    kept, _ = pair
    response = page_as("coordinator").post(f"/participants/{kept.pk}/merge/", {"other": "TP-999"})
    assert response.status_code == 400
    assert "enter the reference of a record on your caseload" in text(response)


@pytest.mark.parametrize("username", ["casemanager", "judge", "clinician"])
def test_only_a_coordinator_sees_and_uses_the_merge_action(page_as, pair, username):
    kept, duplicate = pair
    client = page_as(username)
    assert "Merge with another record" not in text(client.get(f"/participants/{kept.pk}/"))
    assert client.post(f"/participants/{kept.pk}/merge/{duplicate.pk}/").status_code == 403
    assert not ParticipantMerge.objects.exists()


def test_unmerge_after_thirty_days_is_refused_in_plain_words(page_as, pair, coordinator):
    kept, duplicate = pair
    client = page_as("coordinator")
    client.post(f"/participants/{kept.pk}/merge/{duplicate.pk}/")
    merge = ParticipantMerge.objects.get()
    with time_machine.travel(merge.merged_at + timedelta(days=31), tick=False):
        client = page_as("coordinator")  # signed in again: idle sessions end
        page = text(client.get(f"/participants/{kept.pk}/merges/{merge.pk}/undo/"))
        assert "can be undone only within 30 days; this one is older" in page
        refused = client.post(f"/participants/{kept.pk}/merges/{merge.pk}/undo/")
    assert refused.status_code == 400
    assert Participant.objects.get(pk=duplicate.pk).merged_into == kept


def test_a_clinician_records_an_nhs_number_and_a_wrong_one_is_named(page_as, make_referral):
    person = make_referral().participant
    client = page_as("clinician")
    form = text(client.get(f"/participants/{person.pk}/details/new/"))
    # A clinician records health numbers, not justice numbers or contact details.
    assert 'value="nhs"' in form and 'value="police"' not in form and 'value="phone"' not in form
    wrong = client.post(f"/participants/{person.pk}/details/new/",
                        {"kind": "nhs", "value": "943 476 5918"})  # fmt: skip
    assert wrong.status_code == 400
    assert "NHS number has a wrong check digit" in text(wrong)
    assert 'value="943 476 5918"' in text(wrong)
    assert not person.identifiers.exists()
    done = client.post(f"/participants/{person.pk}/details/new/",
                       {"kind": "nhs", "value": "943 476 5919"})  # fmt: skip
    assert done.status_code == 302
    assert person.identifiers.get().normalised == "9434765919"
    assert page_as("judge").get(f"/participants/{person.pk}/details/new/").status_code == 403


def test_the_same_police_number_on_intake_is_a_likely_duplicate(
    page_as, form, make_referral, coordinator
):
    known = make_referral(given_name="Sam", family_name="Other").participant
    identifier_add(acting_user=coordinator, participant=known, kind="police",
                   value="2019/0012345A")  # fmt: skip
    born = date_fields("date_of_birth", date(1970, 1, 1))
    other = {**form, "given_name": "Kim", "family_name": "Jansen", **born,
             "police_number": "2019 0012345a"}  # fmt: skip
    html = text(page_as("coordinator").post(URL, other))
    assert f'href="/participants/{known.pk}/"' in html
    assert "the same Police National Computer number or police reference" in html
    assert not Participant.objects.filter(given_name="Kim").exists()
    done = page_as("coordinator").post(URL, {**other, "different_person": "yes"})
    assert done.status_code == 302
    kim = Participant.objects.get(given_name="Kim")
    assert kim.identifiers.get().value == "2019 0012345a"


def test_a_bad_police_number_on_intake_is_named_and_nothing_is_saved(page_as, form):
    response = page_as("coordinator").post(URL, {**form, "police_number": "2019/12?"})
    assert response.status_code == 400
    assert "Police National Computer number or police reference may contain only letters" in text(
        response
    )
    assert not Participant.objects.exists()
