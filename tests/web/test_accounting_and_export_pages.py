"""Staff pages: who has seen this record (SEC-14), export this record (SEC-12) and the
data-protection officer's audit log page (SEC-21)."""

import re
from io import BytesIO

from django.urls import reverse
from pypdf import PdfReader

from turnpoint.sharing.documents import notice_for
from turnpoint.sharing.models import AuditEntry, Disclosure

from .helpers import text


def _pdf_text(response) -> str:
    reader = PdfReader(BytesIO(response.content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _accounting(pk):
    return reverse("web:participant_disclosures", args=[pk])


def test_sec_14_who_has_seen_this_record_lists_the_judges_view(page_as, make_referral):
    person = make_referral().participant
    page_as("judge").get(reverse("web:participant", args=[person.pk]))
    html = text(page_as("coordinator").get(_accounting(person.pk)))
    table = html.split('id="disclosures"')[1].split("</table>")[0]
    assert "Ruth Adeyemi" in table and "Magistrates&#x27; court" in table
    assert "Court review" in table.replace("court review", "Court review")
    assert "Statute" in table
    # Looking at the accounting is itself audited.
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.username == "coordinator" and "accounting_of_disclosures" in entry.detail


def test_sec_14_accounting_page_never_shows_another_participants_disclosures(
    page_as, make_referral
):
    robin = make_referral(given_name="Robin").participant
    alex = make_referral(given_name="Alex").participant
    page_as("defence").get(reverse("web:participant", args=[alex.pk]))
    html = text(page_as("coordinator").get(_accounting(robin.pk)))
    assert 'id="no-disclosures"' in html
    assert "Asha Patel" not in html


def test_accounting_page_refuses_roles_that_may_not_read_identity_and_other_teams(
    page_as, make_referral
):
    person = make_referral().participant
    # Roles that may not read identity reach no participant at all: the same 404 as another team.
    for username in ("administrator", "analyst", "outsider"):
        assert page_as(username).get(_accounting(person.pk)).status_code == 404


def test_accounting_page_explains_a_bad_date(page_as, make_referral):
    person = make_referral().participant
    response = page_as("coordinator").get(_accounting(person.pk), {"since": "yesterday"})
    assert response.status_code == 400
    assert "must be a date like 2026-01-31" in text(response)


def test_sec_12_accounting_pdf_carries_notice_scope_and_recipients(
    page_as, make_referral, programme
):
    person = make_referral().participant
    page_as("judge").get(reverse("web:participant", args=[person.pk]))
    response = page_as("coordinator").get(
        reverse("web:participant_disclosures_pdf", args=[person.pk])
    )
    assert response["Content-Type"] == "application/pdf"
    content = _pdf_text(response)
    assert " ".join(notice_for(programme).split()) in content
    assert "The accounting of disclosures of this participant's information" in content
    assert "Ruth Adeyemi" in content


def test_sec_12_export_this_record_as_a_clinician_leaves_out_legal_facts(
    page_as, make_referral, programme
):
    person = make_referral(offence_summary="Shoplifting at the market").participant
    url = reverse("web:participant_export", args=[person.pk, "pdf"])
    response = page_as("clinician").get(url)
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == f'attachment; filename="record-{person.reference}.pdf"'
    )
    content = _pdf_text(response)
    assert " ".join(notice_for(programme).split()) in content
    assert "This export contains only: Identity and demographics; Pathway" in content
    assert "Shoplifting at the market" not in content
    assert AuditEntry.objects.filter(action="export", username="clinician").count() == 1
    assert Disclosure.objects.get(channel="export").notice_attached is True


def test_sec_12_export_this_record_as_json(page_as, make_referral):
    person = make_referral(offence_summary="Shoplifting at the market").participant
    body = page_as("judge").get(reverse("web:participant_export", args=[person.pk, "json"])).json()
    assert body["notice"] and body["scope"].startswith("This export contains only")
    assert "Shoplifting at the market" in str(body["sections"])


def test_export_is_not_found_for_another_team_or_an_unknown_format(page_as, make_referral):
    person = make_referral().participant
    assert (
        page_as("outsider")
        .get(reverse("web:participant_export", args=[person.pk, "pdf"]))
        .status_code
        == 404
    )
    client = page_as("coordinator")
    assert (
        client.get(reverse("web:participant_export", args=[person.pk, "xlsx"])).status_code == 404
    )
    assert (
        page_as("administrator")
        .get(reverse("web:participant_export", args=[person.pk, "pdf"]))
        .status_code
        == 404  # administrators reach no participant at all
    )


def test_participant_page_links_to_who_has_seen_this_record(page_as, make_referral):
    person = make_referral().participant
    html = text(page_as("coordinator").get(reverse("web:participant", args=[person.pk])))
    assert _accounting(person.pk) in html


# The data-protection officer's audit log ---------------------------------------------------------


def test_dpo_sees_log_metadata_but_no_participant_data(page_as, make_referral):
    person = make_referral(
        given_name="Robin", family_name="Example", offence_summary="Shoplifting at the market"
    ).participant
    page_as("judge").get(reverse("web:participant", args=[person.pk]))
    response = page_as("administrator").get(reverse("web:audit_log"))
    assert response.status_code == 200
    html = text(response)
    rows = html.split('id="audit-entries"')[1].split("</table>")[0]
    assert "judge" in rows and str(person.pk) in rows
    for secret in ("Robin", "Example", "Shoplifting"):
        assert secret not in rows
    # The year of birth as a word: request ids are random hex, and one held "1990" by chance.
    assert not re.search(r"\b1990\b", rows)


def test_audit_log_page_is_only_for_administrators(page_as, make_referral):
    for username in ("coordinator", "judge", "analyst", "safeguarding"):
        assert page_as(username).get(reverse("web:audit_log")).status_code == 403


def test_dpo_filters_the_log_by_user_action_and_participant(page_as, make_referral):
    robin = make_referral(given_name="Robin").participant
    alex = make_referral(given_name="Alex").participant
    page_as("judge").get(reverse("web:participant", args=[robin.pk]))
    page_as("defence").get(reverse("web:participant", args=[alex.pk]))
    client = page_as("administrator")

    def shown(**filters):
        html = text(client.get(reverse("web:audit_log"), filters))
        body = html.split('id="audit-entries"')[1].split("</table>")[0]
        return body.count('class="govuk-table__row"') - 1  # less the header row

    expected = AuditEntry.objects.filter(username="judge", action="read").count()
    assert expected >= 1
    assert shown(user="judge", action="read") == expected
    assert shown(participant=robin.reference) == sum(
        robin.pk in e.participant_ids for e in AuditEntry.objects.all()
    )
    assert shown(action="create", user="judge") == 0
    assert client.get(reverse("web:audit_log"), {"from": "soon"}).status_code == 400


def test_dpo_pages_through_the_log(page_as, make_referral):
    for i in range(30):
        make_referral(given_name=f"P{i}")  # two entries each
    client = page_as("administrator")
    first = text(client.get(reverse("web:audit_log")))
    second = text(client.get(reverse("web:audit_log"), {"page": 2}))
    assert "Page 1 of" in first and "Page 2 of" in second
    newest = AuditEntry.objects.order_by("-id").first()
    assert f"<code>{newest.request_id}</code>" in first


def test_sec_21_dpo_verifies_the_chain_on_the_audit_page(page_as, make_referral):
    make_referral()
    html = text(page_as("administrator").get(reverse("web:audit_log"), {"verify": "1"}))
    chain = html.split('id="chain"')[1].split("</div>")[0]
    assert "Intact" in chain
    assert f"All {AuditEntry.objects.count()} entries checked" in chain
