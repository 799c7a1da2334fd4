"""Creating a participant looks for likely duplicates: the rules, and the query that keeps to the
user's reach (turnpoint/people/duplicates.py, sharing.reads.duplicate_candidates)."""

from datetime import date

import pytest

from turnpoint.people.duplicates import Person, match_reasons, name_key, name_similarity
from turnpoint.people.identifiers import identifier_add
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.reads import duplicate_candidates

BORN = date(1990, 5, 17)


def test_names_are_compared_without_case_accents_hyphens_or_extra_spaces():
    assert name_key("  Zoë   Smith-Jones ") == name_key("zoe smith jones") == "zoe smith jones"


@pytest.mark.parametrize(
    ("given", "family", "why"),
    [
        ("robin", "EXAMPLE", "the same name"),
        ("Example", "Robin", "the same name with given and family names swapped"),
        ("R", "Example", "the same family name and first initial"),
        ("Robyn", "Examble", "a name spelled nearly the same"),
    ],
)
def test_each_name_rule_finds_a_likely_duplicate(given, family, why):
    assert name_similarity("Robin", "Example", given, family) == why
    new = Person(given, family, BORN)
    assert match_reasons(new, Person("Robin", "Example", BORN)) == [
        f"{why} and the same date of birth"
    ]


def test_a_similar_name_born_on_another_day_is_not_a_duplicate():
    next_day = Person("Robin", "Example", date(1990, 5, 18))
    assert match_reasons(Person("Robin", "Example", BORN), next_day) == []


def test_a_different_name_born_the_same_day_is_not_a_duplicate():
    assert name_similarity("Robin", "Example", "Samira", "Haddad") == ""
    assert match_reasons(Person("Samira", "Haddad", BORN), Person("Robin", "Example", BORN)) == []


def test_the_same_identifier_is_a_duplicate_whatever_the_name():
    police = frozenset({("police", "20190012345A")})
    new = Person("Samira", "Haddad", date(1970, 1, 1), police)
    assert match_reasons(new, Person("Robin", "Example", BORN, police)) == [
        "the same Police National Computer number or police reference"
    ]
    other_kind = frozenset({("court_case", "20190012345A")})
    assert match_reasons(new, Person("Robin", "Example", BORN, other_kind)) == []


def test_the_query_finds_records_in_reach_by_name_and_by_identifier(make_referral, coordinator):
    robin = make_referral(given_name="Robin", family_name="Example").participant
    sam = make_referral(given_name="Sam", family_name="Other").participant
    identifier_add(acting_user=coordinator, participant=sam, kind="police", value="2019/12345A")
    found = duplicate_candidates(
        coordinator, given_name="Robyn", family_name="Examble", date_of_birth=BORN,
        identifiers=[("police", "2019 12345a")],
    )  # fmt: skip
    assert {p.pk: reasons for p, reasons in found} == {
        robin.pk: ["a name spelled nearly the same and the same date of birth"],
        sam.pk: ["the same Police National Computer number or police reference"],
    }
    # Matching on a legal identifier showed it: the read is audited (a sensitive category).
    entry = AuditEntry.objects.filter(detail__page="likely duplicates").get()
    assert set(entry.participant_ids) == {robin.pk, sam.pk}
    assert "legal" in entry.categories


def test_no_candidate_outside_the_users_reach_is_found(make_referral, coordinator, outsider):
    make_referral(given_name="Robin", family_name="Example")
    sam = make_referral(given_name="Sam", family_name="Other").participant
    identifier_add(acting_user=coordinator, participant=sam, kind="police", value="2019/12345A")
    found = duplicate_candidates(
        outsider, given_name="Robin", family_name="Example", date_of_birth=BORN,
        identifiers=[("police", "2019/12345A")],
    )  # fmt: skip
    assert found == []
    assert not AuditEntry.objects.filter(detail__page="likely duplicates").exists()


def test_an_identifier_of_a_category_the_user_cannot_read_is_not_compared(make_referral, users):
    sam = make_referral(given_name="Sam", family_name="Other").participant
    identifier_add(acting_user=users["clinician"], participant=sam, kind="nhs", value="9434765919")
    by_number = {"given_name": "X", "family_name": "Y", "date_of_birth": date(1970, 1, 1),
                 "identifiers": [("nhs", "943 476 5919")]}  # fmt: skip
    # The judge may not read health numbers: matching on one would tell them who has it.
    assert duplicate_candidates(users["judge"], **by_number) == []
    assert [p.pk for p, _ in duplicate_candidates(users["clinician"], **by_number)] == [sam.pk]
