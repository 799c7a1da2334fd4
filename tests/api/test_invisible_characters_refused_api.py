"""The API refuses free text with an invisible character that changes how it displays, naming
the field and the character; nothing is saved. Right-to-left letters and emoji are kept."""

from turnpoint.journeys.models import Referral
from turnpoint.people.models import Participant

from .helpers import errors_by_field, new_participant_body


def test_a_direction_override_in_a_name_is_refused_by_field(api_as, programme):
    response = api_as("coordinator").post(
        "/api/participants", new_participant_body(family_name="Sample\u202e")
    )
    # Invalid input is answered 400 (docs/api.md, "Errors").
    assert response.status_code == 400
    assert errors_by_field(response) == {
        "family_name": "contains an invisible character that changes the direction of text "
        "(U+202E) at character 7 — remove it",
    }
    assert not Participant.objects.exists() and not Referral.objects.exists()


def test_a_zero_width_space_in_the_offence_summary_is_refused_by_field(api_as, programme):
    body = new_participant_body()
    body["referral"]["offence_summary"] = "Took\u200b bread."
    response = api_as("coordinator").post("/api/participants", body)
    assert response.status_code == 400
    assert errors_by_field(response) == {
        "referral.offence_summary": "contains an invisible zero-width character (U+200B) at "
        "character 5 — remove it",
    }
    assert not Participant.objects.exists() and not Referral.objects.exists()


def test_an_over_long_name_says_the_limit_and_its_length(api_as, programme):
    response = api_as("coordinator").post("/api/participants", new_participant_body(
        given_name="J" * 101
    ))  # fmt: skip
    assert response.status_code == 400
    assert errors_by_field(response) == {
        "given_name": "must be 100 characters or fewer; this is 101"
    }


def test_arabic_letters_and_emoji_are_kept(api_as, programme):
    name = "\u0645\u062d\u0645\u062f \U0001f600"  # "Muhammad" in Arabic letters, and a smile
    response = api_as("coordinator").post("/api/participants", new_participant_body(
        given_name=name
    ))  # fmt: skip
    assert response.status_code == 201, response.content
    assert Participant.objects.get().given_name == name
