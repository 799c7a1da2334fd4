"""Withdrawing an identifier or contact detail recorded in error on the staff pages: a Withdraw
link for the roles that may, a confirmation page with a required reason, and the withdrawn ones
listed with who, when and why for those who read their category."""

import pytest

from turnpoint.people.identifiers import contact_add, identifier_add
from turnpoint.people.models import ExternalIdentifier

from .helpers import text


@pytest.fixture
def person(make_referral):
    return make_referral().participant


@pytest.fixture
def prison(person, coordinator):
    return identifier_add(acting_user=coordinator, participant=person, kind="prison",
                          value="A1234BC")  # fmt: skip


def _url(person, kind, row):
    return f"/participants/{person.pk}/details/{kind}/{row.pk}/withdraw/"


def test_a_coordinator_withdraws_a_prison_number_with_a_reason(page_as, person, prison):
    client = page_as("coordinator")
    page = text(client.get(f"/participants/{person.pk}/"))
    assert _url(person, "identifier", prison) in page
    form = client.get(_url(person, "identifier", prison))
    assert form.status_code == 200
    assert "Withdraw Prison number A1234BC" in text(form)
    empty = client.post(_url(person, "identifier", prison), {"reason": "  "})
    assert empty.status_code == 400
    assert "Enter why you are withdrawing it" in text(empty)
    bad = client.post(_url(person, "identifier", prison), {"reason": "Typo\u202e"})
    assert bad.status_code == 400
    assert "Typo" in text(bad)  # the value is kept
    done = client.post(_url(person, "identifier", prison), {"reason": "Mistyped number"})
    assert done.status_code == 302 and done.url == f"/participants/{person.pk}/"
    prison.refresh_from_db()
    assert prison.withdrawn_reason == "Mistyped number"
    after = text(client.get(f"/participants/{person.pk}/", follow=True))
    assert "Prison number withdrawn" in after
    assert "withdrawn by coordinator" in after and "Mistyped number" in after
    assert _url(person, "identifier", prison) not in after
    # Already withdrawn: nothing to withdraw.
    assert client.get(_url(person, "identifier", prison)).status_code == 404


def test_a_judge_reads_but_may_not_withdraw_and_an_outsider_finds_nothing(page_as, person, prison):
    judge = page_as("judge")
    assert _url(person, "identifier", prison) not in text(judge.get(f"/participants/{person.pk}/"))
    assert judge.get(_url(person, "identifier", prison)).status_code == 403
    assert judge.post(_url(person, "identifier", prison), {"reason": "x"}).status_code == 403
    assert page_as("outsider").get(_url(person, "identifier", prison)).status_code == 404
    assert (
        page_as("coordinator")
        .get(f"/participants/{person.pk}/details/other/{prison.pk}/withdraw/")
        .status_code
        == 404
    )
    assert ExternalIdentifier.objects.get(pk=prison.pk).withdrawn_at is None


def test_a_withdrawn_number_is_listed_only_to_those_who_read_its_category(
    page_as, person, prison, users, coordinator
):
    nhs = identifier_add(acting_user=users["clinician"], participant=person, kind="nhs",
                         value="9434765919")  # fmt: skip
    phone = contact_add(acting_user=coordinator, participant=person, kind="phone",
                        value="+44 20 7946 0000")  # fmt: skip
    # The coordinator reads no health number: not found, no link; the clinician withdraws it.
    assert page_as("coordinator").get(_url(person, "identifier", nhs)).status_code == 404
    wrong = page_as("clinician").post(_url(person, "identifier", nhs), {"reason": "Wrong person"})
    assert wrong.status_code == 302
    coordinator_client = page_as("coordinator")
    for row, kind, reason in ((prison, "identifier", "Mistyped"), (phone, "contact", "Old one")):
        done = coordinator_client.post(_url(person, kind, row), {"reason": reason})
        assert done.status_code == 302
    seen = text(coordinator_client.get(f"/participants/{person.pk}/"))
    assert "Mistyped" in seen and "Old one" in seen and "Wrong person" not in seen
    judge = text(page_as("judge").get(f"/participants/{person.pk}/"))
    assert "Mistyped" in judge and "Wrong person" not in judge and "9434765919" not in judge
    # A treatment role does not read legal facts: the withdrawn prison number is not listed.
    clinician = text(page_as("clinician").get(f"/participants/{person.pk}/"))
    assert "Old one" in clinician and "Mistyped" not in clinician and "A1234BC" not in clinician
