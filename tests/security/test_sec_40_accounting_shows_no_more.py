"""SEC-40 the accounting shows no more than the reader may see: the participant sees every
disclosure of their own record; a member of staff only disclosures of categories they may read,
to recipients in the programmes through which they reach the participant, never a break-glass,
and never what another party to the proceedings read (42 CFR 2.24; ASVS V8)."""

from datetime import date
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from turnpoint.accounts.models import Agency, AgencyKind, Role, User
from turnpoint.journeys.services import referral_create
from turnpoint.sharing.accounting import disclosure_accounting
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.models import AuditEntry, LegalBasis
from turnpoint.sharing.record import disclosure_write

C = Category


def disclose(participant, recipient=None, *, categories, basis=LegalBasis.STATUTE,
             reference="Ghent statute", agency=None) -> None:  # fmt: skip
    disclosure_write(
        recipient=recipient, recipient_agency=agency, participant_ids=[participant.pk],
        categories=categories, purpose=Purpose.COURT_REVIEW, legal_basis=basis,
        basis_reference=reference, notice_attached=False, channel="web",
    )  # fmt: skip


@pytest.fixture
def disclosed(world, users, coordinator, other_programme):
    """Robinette's information read by each side of the proceedings, by a clinician, on a
    break-glass, sent as a report to the court, and read by a judge of another programme she
    is also referred to (on the coordinator's team too, not on the case manager's)."""
    person = world["participant"]
    coordinator.programmes.add(other_programme)
    referral_create(
        acting_user=coordinator, participant=person, programme=other_programme, source="police",
        offence_category="acquisitive", drug_related_type="economic_compulsive",
        offence_date=date.today().replace(day=1), referral_date=date.today(),
    )  # fmt: skip
    elsewhere = Agency.objects.create(name="Another court", kind=AgencyKind.COURT)
    other_judge = User.objects.create(
        username="other-judge", first_name="Olu", last_name="Bankole", role=Role.JUDGE,
        agency=elsewhere,
    )  # fmt: skip
    other_judge.programmes.add(other_programme)
    disclose(person, users["judge"], categories=[C.IDENTITY, C.DRUG_TESTS])
    disclose(person, users["prosecutor"], categories=[C.IDENTITY, C.LEGAL])
    disclose(person, users["defence"], categories=[C.IDENTITY, C.LEGAL])
    disclose(person, users["clinician"], categories=[C.PLAN, C.HOUSEHOLD])
    disclose(person, users["safeguarding"], categories=[C.HOUSEHOLD, C.SAFEGUARDING],
             basis=LegalBasis.SAFEGUARDING, reference="break-glass 1")  # fmt: skip
    disclose(person, agency="Magistrates' court", categories=[C.IDENTITY, C.PATHWAY])
    disclose(person, other_judge, categories=[C.IDENTITY], reference="Other statute")
    disclose(person, agency="Another court", categories=[C.IDENTITY], reference="Other statute")
    return person


def seen(person, user) -> list[tuple[str, str, set[str]]]:
    """(recipient, agency, categories) of each row `user` is shown, newest first."""
    return [(r.recipient, r.agency, set(r.categories))
            for r in disclosure_accounting(person, acting_user=user)]  # fmt: skip


ID, LEGAL, PATH = C.IDENTITY.label, C.LEGAL.label, C.PATHWAY.label
PLAN, HOME, GLASS = C.PLAN.label, C.HOUSEHOLD.label, C.SAFEGUARDING.label


@pytest.mark.django_db
def test_sec_40_the_participant_sees_every_disclosure_of_their_record(disclosed, portal_user):
    rows = seen(disclosed, portal_user)
    assert len(rows) == 8
    assert ("Morag Fraser", "Community drug service", {HOME, GLASS}) in rows
    assert ("Olu Bankole", "Another court", {ID}) in rows
    assert ("Asha Patel", "Defence solicitors", {ID, LEGAL}) in rows
    assert seen(disclosed, None) == rows  # a paper copy for the participant
    page = as_text(_client(portal_user).get(reverse("portal:disclosures")))
    assert "Morag Fraser" in page and "Olu Bankole" in page and "Tom Hughes" in page


@pytest.mark.django_db
def test_sec_40_staff_never_see_a_break_glass(disclosed, users):
    for username in ("coordinator", "casemanager", "safeguarding", "clinician"):
        assert all(r[0] != "Morag Fraser" for r in seen(disclosed, users[username])), username


@pytest.mark.django_db
def test_sec_40_staff_see_only_the_programmes_through_which_they_reach_the_participant(
    disclosed, users
):
    # The case manager works in the Ghent programme only: the other court's reads and the
    # report sent there would tell them of a programme they have no part in.
    rows = seen(disclosed, users["casemanager"])
    assert all("Another court" not in r[1] for r in rows)
    assert ("", "Magistrates' court", {ID, PATH}) in rows
    # The coordinator is on both teams.
    assert ("Olu Bankole", "Another court", {ID}) in seen(disclosed, users["coordinator"])


@pytest.mark.django_db
def test_sec_40_staff_see_only_the_categories_they_may_read(disclosed, users):
    # The judge reads neither the plan nor the household: the clinician's read of both is no row
    # at all, and the judge's own read shows identity without the drug test results.
    judge_rows = seen(disclosed, users["judge"])
    assert all(r[0] != "Lena Peeters" for r in judge_rows)
    assert ("Ruth Adeyemi", "Magistrates' court", {ID}) in judge_rows  # not the drug tests
    # The prosecutor reads identity, legal status and the pathway only.
    prosecutor_rows = seen(disclosed, users["prosecutor"])
    assert ("Tom Hughes", "Prosecution service", {ID, LEGAL}) in prosecutor_rows
    assert all(r[0] != "Lena Peeters" for r in prosecutor_rows)
    # Case work reads both: the whole row.
    assert ("Lena Peeters", "Community drug service", {PLAN, HOME}) in seen(
        disclosed, users["casemanager"]
    )


@pytest.mark.django_db
def test_sec_40_no_party_to_the_proceedings_sees_what_another_read(disclosed, users):
    names = {"Ruth Adeyemi", "Tom Hughes", "Asha Patel", ""}

    def parties(username) -> set[str]:
        return {r[0] for r in seen(disclosed, users[username]) if r[0] in names
                and r[1] != "Another court"}  # fmt: skip

    # The report sent to the court ("") is the court's.
    assert parties("prosecutor") == {"Tom Hughes"}
    assert parties("defence") == {"Asha Patel"}
    assert parties("judge") == {"Ruth Adeyemi", ""}
    # Outside the proceedings, the programme team sees every side's reads.
    assert parties("coordinator") == names


@pytest.mark.django_db
def test_sec_40_the_accounting_page_and_its_pdf_show_only_what_the_reader_may_see(
    disclosed, users, page_as
):
    url = reverse("web:participant_disclosures", args=[disclosed.pk])
    html = as_text(page_as("prosecutor").get(url))
    assert "Tom Hughes" in html and 'id="accounting-scope"' in html
    for hidden in ("Asha Patel", "Ruth Adeyemi", "Morag Fraser", "Olu Bankole"):
        assert hidden not in html, hidden
    entry = AuditEntry.objects.filter(action="read").order_by("-id").first()
    assert entry.detail["accounting_of_disclosures"]["rows"] == 1
    assert entry.detail["accounting_of_disclosures"]["withheld"] == 7
    pdf = page_as("defence").get(reverse("web:participant_disclosures_pdf", args=[disclosed.pk]))
    assert pdf.status_code == 200
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
                    .split())  # fmt: skip
    assert "Asha Patel (Defence lawyer, Defence solicitors)" in text  # her own read
    assert "It lists only what Asha Patel, who produced it, may see" in text
    for hidden in ("Tom Hughes", "Ruth Adeyemi", "Morag Fraser", "Olu Bankole"):
        assert hidden not in text, hidden


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def as_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode().replace("&#x27;", "'")
