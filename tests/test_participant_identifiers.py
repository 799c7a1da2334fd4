"""External identifiers and contact details: checked, each in its data category, read only by
roles that may read that category (turnpoint/people/identifiers.py)."""

import pytest

from turnpoint.errors import InvalidInput, Problem
from turnpoint.people.identifiers import contact_add, identifier_add, modulus_11_ok
from turnpoint.people.models import ExternalIdentifier
from turnpoint.sharing.models import AuditEntry
from turnpoint.sharing.reads import participant_details_read
from turnpoint.sharing.rules import PolicyDenied


def _check_digit(nine: str) -> str:
    """Computed here by the NHS Data Dictionary's method, independently of the code."""
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return "" if check == 10 else str(check)


def test_the_published_nhs_test_number_passes_and_a_changed_digit_fails():
    # 943 476 5919: 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299; 299 mod 11 = 2; 11 - 2 = 9.
    assert _check_digit("943476591") == "9"
    assert modulus_11_ok("9434765919")
    assert not modulus_11_ok("9434765918")
    assert not modulus_11_ok("9434765991")  # two digits swapped


def test_nine_digits_whose_check_would_be_ten_make_no_valid_number():
    nine = next(f"{n:09d}" for n in range(100000000, 100001000) if _check_digit(f"{n:09d}") == "")
    assert not any(modulus_11_ok(nine + str(d)) for d in range(10))


@pytest.fixture
def participant(make_referral):
    return make_referral().participant


def test_a_wrong_nhs_check_digit_is_refused_by_name(participant, users):
    with pytest.raises(InvalidInput) as refused:
        identifier_add(acting_user=users["clinician"], participant=participant, kind="nhs",
                       value="943 476 5918")  # fmt: skip
    assert refused.value.problems == [
        Problem("value", "has a wrong check digit: check the NHS number and try again")
    ]
    assert not ExternalIdentifier.objects.exists()


def test_a_chi_number_needs_a_date_of_birth_and_its_check_digit(participant, users):
    # 170590 (17 May 1990), serial 123, check digit computed independently.
    chi = "170590123" + _check_digit("170590123")
    assert len(chi) == 10
    row = identifier_add(acting_user=users["clinician"], participant=participant, kind="chi",
                         value=chi)  # fmt: skip
    assert row.category == "clinical"
    with pytest.raises(InvalidInput) as refused:
        identifier_add(acting_user=users["clinician"], participant=participant, kind="chi",
                       value="3102901234")  # fmt: skip
    assert refused.value.problems == [Problem("value", "must begin with a date of birth as DDMMYY")]


def test_the_same_identifier_twice_on_one_record_is_refused(participant, coordinator):
    identifier_add(acting_user=coordinator, participant=participant, kind="prison",
                   value="A1234BC")  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        identifier_add(acting_user=coordinator, participant=participant, kind="prison",
                       value="a1234 bc")  # fmt: skip
    assert refused.value.problems == [Problem("value", "is already recorded for this participant")]
    assert ExternalIdentifier.objects.count() == 1


def test_a_health_number_is_written_by_treatment_not_by_the_coordinator(participant, coordinator):
    with pytest.raises(PolicyDenied):
        identifier_add(acting_user=coordinator, participant=participant, kind="nhs",
                       value="9434765919")  # fmt: skip
    assert not ExternalIdentifier.objects.exists()


def test_a_bad_email_is_refused_by_name(participant, coordinator):
    with pytest.raises(InvalidInput) as refused:
        contact_add(acting_user=coordinator, participant=participant, kind="email", value="robin")
    assert refused.value.problems == [
        Problem("value", "must be an email address, like name@example.com")
    ]


def test_each_role_reads_the_identifiers_of_the_categories_it_may_read(participant, users):
    identifier_add(acting_user=users["clinician"], participant=participant, kind="nhs",
                   value="9434765919")  # fmt: skip
    identifier_add(acting_user=users["coordinator"], participant=participant, kind="court_case",
                   value="T20240001")  # fmt: skip
    contact_add(acting_user=users["coordinator"], participant=participant, kind="phone",
                value="+44 20 7946 0000")  # fmt: skip

    def kinds(username):
        identifiers, contacts = participant_details_read(users[username], participant)
        return sorted(i.kind for i in identifiers), [c.kind for c in contacts]

    assert kinds("judge") == (["court_case"], ["phone"])
    assert kinds("clinician") == (["nhs"], ["phone"])
    assert kinds("coordinator") == (["court_case"], ["phone"])
    # The judge's read of a legal identifier is audited.
    entry = AuditEntry.objects.filter(
        detail__page="identifiers and contact details", username="judge"
    ).get()
    assert "legal" in entry.categories


def test_a_contact_detail_with_an_invisible_character_is_refused(participant, coordinator):
    with pytest.raises(InvalidInput) as refused:
        contact_add(acting_user=coordinator, participant=participant, kind="address",
                    value="1 High Street\n\u202eLeeds")  # fmt: skip
    assert [p.field for p in refused.value.problems] == ["value"]
    assert "U+202E" in refused.value.problems[0].reason
    row = contact_add(acting_user=coordinator, participant=participant, kind="address",
                      value="1 High Street\nLeeds")  # fmt: skip
    assert row.value == "1 High Street\nLeeds"
