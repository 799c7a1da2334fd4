"""Court orders are scoped records, subpoenas grant nothing (security.md SEC-16; 42 CFR 2.61,
2.64): recording them, what `decide` opens on them, the disclosures they are the basis of and
the export limited to their scope."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from turnpoint.accounts.models import Agency, Role
from turnpoint.errors import InvalidInput
from turnpoint.journeys.services import referral_create
from turnpoint.sharing.categories import Category, Purpose
from turnpoint.sharing.court_orders import CourtOrder, court_order_end, court_order_record
from turnpoint.sharing.exports import participant_record_export
from turnpoint.sharing.models import AuditEntry, Disclosure, LegalBasis
from turnpoint.sharing.reach import active_court_orders, decide_for
from turnpoint.sharing.record import disclosures_for_read
from turnpoint.sharing.rules import PolicyDenied, decide

C = Category
# The old referral's facts fall inside the order's range (2024); the new referral's do not.
OLD_OFFENCE, OLD_REFERRAL = date(2024, 3, 4), date(2024, 4, 1)
RANGE = (date(2024, 1, 1), date(2024, 12, 31))


@pytest.fixture
def participant(make_referral):
    return make_referral().participant


def order_values(participant, users, **overrides):
    values = dict(
        participant=participant,
        kind="order",
        court="Ghent court of first instance",
        reference="ORD-2026-17",
        made_on=date.today(),
        categories=[C.CLINICAL],
        covers_from=date.today() - timedelta(days=365),
        covers_to=date.today(),
        recipient_role=Role.JUDGE,
        recipient_agency=users["judge"].agency,
        purposes=[Purpose.COURT_REVIEW],
        expires_at=timezone.now() + timedelta(days=30),
    )
    values.update(overrides)
    return values


def record(users, participant, **overrides):
    return court_order_record(
        acting_user=users["coordinator"], **order_values(participant, users, **overrides)
    )


@pytest.fixture
def two_referrals(make_referral, coordinator, programme):
    """One participant referred in 2024 (inside the order's range) and again this year."""
    old = make_referral(
        given_name="Morgan",
        offence_date=OLD_OFFENCE,
        referral_date=OLD_REFERRAL,
        offence_summary="Took tools from a shed in 2024.",
    )
    new = referral_create(
        acting_user=coordinator,
        participant=old.participant,
        programme=programme,
        source="court",
        offence_category="acquisitive",
        drug_related_type="economic_compulsive",
        offence_date=date.today() - timedelta(days=10),
        referral_date=date.today(),
        offence_summary="Took a phone from a car this year.",
    )
    return old, new


def lead_order(users, participant, **overrides):
    """An order opening legal and pathway facts of 2024 to the safeguarding lead (a family
    court's order, say): the lead's role reads neither, so only the order opens them."""
    values = dict(
        categories=[C.LEGAL, C.PATHWAY],
        covers_from=RANGE[0],
        covers_to=RANGE[1],
        recipient_role=Role.SAFEGUARDING_LEAD,
        recipient_agency=None,
        purposes=[Purpose.SAFEGUARDING],
    )
    values.update(overrides)
    return record(users, participant, **values)


# Recording ---------------------------------------------------------------------------------------


def test_sec_16_order_missing_fields_names_each_field(users, participant):
    with pytest.raises(InvalidInput) as excinfo:
        court_order_record(acting_user=users["coordinator"], participant=participant,
                           kind="order", categories=[], purposes=[])  # fmt: skip
    fields = {p.field for p in excinfo.value.problems}
    assert fields == {"court", "reference", "made_on", "categories", "covers_from", "covers_to",
                      "recipients", "purposes", "expires_at"}  # fmt: skip
    assert not CourtOrder.objects.exists()
    assert not AuditEntry.objects.filter(object_type="courtorder").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"categories": ["all"]}, "categories", "'all' is not one"),
        ({"covers_from": date(2025, 2, 1), "covers_to": date(2025, 1, 1)}, "covers_to",
         "on or after the start"),
        ({"made_on": date.today() + timedelta(days=1)}, "made_on", "in the future"),
        ({"expires_at": timezone.now() - timedelta(days=400)}, "expires_at",
         "after the date the order was made"),
        ({"recipient_role": "bailiff"}, "recipient_role", "'bailiff' is not one"),
        ({"purposes": ["curiosity"]}, "purposes", "'curiosity' is not one"),
        ({"kind": "warrant"}, "kind", "court order or a subpoena"),
    ],
)  # fmt: skip
def test_sec_16_an_invalid_order_field_is_named_with_its_reason(
    users, participant, overrides, field, reason
):
    with pytest.raises(InvalidInput) as excinfo:
        record(users, participant, **overrides)
    assert [(p.field, reason in p.reason) for p in excinfo.value.problems] == [(field, True)]
    assert not CourtOrder.objects.exists()


def test_sec_16_recording_an_order_is_audited(users, participant):
    order = record(users, participant)
    stored = CourtOrder.objects.get()
    assert stored.created_by == users["coordinator"] and stored.categories == [C.CLINICAL]
    entry = AuditEntry.objects.get(object_type="courtorder", object_id=str(order.pk))
    assert entry.action == "create" and entry.participant_ids == [participant.pk]


# What it opens -----------------------------------------------------------------------------------


def test_sec_16_court_order_opens_only_its_categories_for_its_recipients(users, participant):
    judge = users["judge"]
    assert not decide_for(judge, C.CLINICAL, participant).allowed
    order = record(users, participant)
    decision = decide_for(judge, C.CLINICAL, participant)
    assert decision.allowed and decision.basis == f"court_order:{order.pk}"
    assert "ORD-2026-17" in decision.reason
    # Not its category, not its recipients, not without the participant.
    assert not decide_for(judge, C.MENTAL_HEALTH, participant).allowed
    assert not decide_for(judge, C.COUNSELLING_NOTES, participant).allowed
    assert not decide_for(users["prosecutor"], C.CLINICAL, participant).allowed
    assert not decide_for(users["defence"], C.CLINICAL, participant).allowed
    assert not decide(judge, C.CLINICAL).allowed
    # A judge of another court is not the named agency.
    other_court = Agency.objects.create(name="Another court", kind="court")
    judge.agency = other_court
    assert not decide_for(judge, C.CLINICAL, participant).allowed


def test_sec_16_subpoena_alone_opens_nothing(users, participant):
    """A subpoena naming every element an order would still authorises nothing (2.61)."""
    subpoena = record(users, participant, kind="subpoena")
    assert CourtOrder.objects.get().kind == "subpoena"
    assert not decide_for(users["judge"], C.CLINICAL, participant).allowed
    assert active_court_orders([participant.pk]) == {}
    # A bare subpoena (court, reference, date) may be recorded: it is a fact of the case.
    bare = court_order_record(acting_user=users["coordinator"], participant=participant,
                              kind="subpoena", court="District court", reference="SUB-9",
                              made_on=date.today())  # fmt: skip
    assert bare.pk != subpoena.pk and not bare.categories
    assert not decide_for(users["judge"], C.CLINICAL, participant).allowed


def test_sec_16_expired_order_opens_nothing(users, participant):
    expires = timezone.now() + timedelta(days=30)
    record(users, participant, expires_at=expires)
    with time_machine.travel(expires - timedelta(seconds=1), tick=False):
        assert decide_for(users["judge"], C.CLINICAL, participant).allowed
    with time_machine.travel(expires, tick=False):
        assert not decide_for(users["judge"], C.CLINICAL, participant).allowed


def test_sec_16_ended_order_opens_nothing_on_the_next_decision(users, participant):
    order = record(users, participant)
    assert decide_for(users["judge"], C.CLINICAL, participant).allowed
    court_order_end(order, acting_user=users["coordinator"], reason="Discharged on appeal")
    assert not decide_for(users["judge"], C.CLINICAL, participant).allowed
    stored = CourtOrder.objects.get(pk=order.pk)
    assert stored.ended_by == users["coordinator"] and stored.end_reason == "Discharged on appeal"
    with pytest.raises(InvalidInput, match="already ended"):
        court_order_end(stored, acting_user=users["coordinator"], reason="again")
    with pytest.raises(InvalidInput, match="reason"):
        court_order_end(record(users, participant), acting_user=users["coordinator"], reason=" ")


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    category=st.sampled_from([C.CLINICAL, C.MENTAL_HEALTH]),
    order_category=st.sampled_from([C.CLINICAL, C.MENTAL_HEALTH]),
    kind=st.sampled_from(["order", "subpoena"]),
    role=st.sampled_from([Role.JUDGE, Role.PROSECUTOR, ""]),
    same_agency=st.booleans(),
    purpose=st.sampled_from([Purpose.COURT_REVIEW, Purpose.EVALUATION]),
    expiry_days=st.integers(-3, 3).filter(bool),
    ended=st.booleans(),
)
def test_sec_16_an_order_opens_a_read_only_when_every_element_matches(
    users, participant, category, order_category, kind, role, same_agency, purpose, expiry_days,
    ended,
):  # fmt: skip
    CourtOrder.objects.all().delete()
    judge = users["judge"]
    other, _ = Agency.objects.get_or_create(name="Elsewhere", defaults={"kind": "court"})
    now = timezone.now()
    made_on = date.today() - timedelta(days=10)
    order = record(
        users, participant, kind=kind, categories=[order_category], recipient_role=role,
        recipient_agency=judge.agency if same_agency else other, purposes=[purpose],
        made_on=made_on, expires_at=now + timedelta(days=expiry_days),
    )  # fmt: skip
    if ended:
        court_order_end(order, acting_user=users["coordinator"], reason="Discharged")
    expected = (
        kind == "order"
        and not ended
        and category == order_category
        and role in (Role.JUDGE, "")
        and same_agency
        and purpose == Purpose.COURT_REVIEW  # the judge's purpose
        and expiry_days > 0
    )
    decision = decide_for(judge, category, participant)
    assert decision.allowed == expected
    assert decision.basis == (f"court_order:{order.pk}" if expected else "")


# Disclosures -------------------------------------------------------------------------------------


def test_sec_16_disclosure_records_the_court_order_as_basis(users, participant):
    order = record(users, participant)
    rows = disclosures_for_read(users["judge"], participants=[participant],
                                categories=[C.CLINICAL])  # fmt: skip
    assert rows == 1
    stored = Disclosure.objects.get()
    assert stored.legal_basis == LegalBasis.COURT_ORDER
    assert stored.basis_reference == f"court order {order.pk}"
    assert stored.categories == [C.CLINICAL] and stored.recipient_user == users["judge"]


def test_sec_16_export_on_a_court_order_is_disclosed_with_the_order_as_basis(users, two_referrals):
    participant = two_referrals[0].participant
    order = lead_order(users, participant)
    participant_record_export(users["safeguarding"], participant, fmt="json")
    row = Disclosure.objects.get()
    assert row.legal_basis == LegalBasis.COURT_ORDER and row.notice_attached
    assert row.basis_reference.startswith(f"court order {order.pk}")
    assert set(row.categories) == {C.IDENTITY, C.LEGAL, C.PATHWAY}
    export = AuditEntry.objects.get(action="export")
    assert export.detail["court_order_ids"] == [order.pk]


# The export keeps to the order's scope -----------------------------------------------------------


def _lines(exported) -> str:
    return "\n".join(line for s in exported["sections"] for line in s["lines"])


def test_sec_16_export_is_limited_to_the_order_scope(users, two_referrals):
    old, new = two_referrals
    participant = old.participant
    lead = users["safeguarding"]
    assert C.LEGAL not in {c for c in C if decide_for(lead, c, participant)}
    order = lead_order(users, participant)
    exported = participant_record_export(lead, participant, fmt="json")
    text = _lines(exported)
    # 2024: the offence, the referral and its first step are in the range.
    assert "Took tools from a shed in 2024." in text
    assert f"on {OLD_OFFENCE:%d %B %Y}" in text
    assert f"Referred on {OLD_REFERRAL:%d %B %Y}" in text
    # This year's referral is outside it: none of its facts, only the note saying so.
    assert "Took a phone from a car this year." not in text
    assert f"Referred on {new.referral_date:%d %B %Y}" not in text
    assert "Nothing recorded dated from 01 January 2024 to 31 December 2024." in text
    # Undated summaries of today are left out; categories the order does not list stay out.
    assert "Stage now" not in text
    assert f"Under court order {order.pk}" in exported["scope"]
    assert "01 January 2024 to 31 December 2024" in exported["scope"]


def test_sec_16_export_inside_the_scope_narrows_further(users, two_referrals):
    participant = two_referrals[0].participant
    lead_order(users, participant)
    exported = participant_record_export(users["safeguarding"], participant, fmt="json",
                                         since=date(2024, 3, 20), until=date(2024, 12, 31),
                                         categories=[C.PATHWAY])  # fmt: skip
    text = _lines(exported)
    assert f"Referred on {OLD_REFERRAL:%d %B %Y}" in text
    assert "Took tools from a shed" not in text and "Offence:" not in text
    assert "not asked for: Legal" in exported["scope"]


def test_sec_16_export_beyond_the_scope_is_refused(users, two_referrals):
    participant = two_referrals[0].participant
    order = lead_order(users, participant)
    lead = users["safeguarding"]
    with pytest.raises(PolicyDenied) as excinfo:
        participant_record_export(lead, participant, fmt="json", since=date(2023, 6, 1))
    message = str(excinfo.value)
    assert f"court order {order.pk} (Ghent court of first instance, ORD-2026-17)" in message
    assert "01 January 2024 to 31 December 2024" in message
    assert "you asked for 01 June 2023 to today" in message
    with pytest.raises(PolicyDenied, match="to 31 December 2025"):
        participant_record_export(lead, participant, until=date(2025, 12, 31))
    # A category the order does not list is refused by name.
    with pytest.raises(PolicyDenied, match="clinical treatment"):
        participant_record_export(lead, participant, categories=[C.CLINICAL])
    # Nothing left: no export audited, no disclosure.
    assert not AuditEntry.objects.filter(action="export").exists()
    assert not Disclosure.objects.exists()


def test_sec_16_a_role_default_is_not_limited_by_an_order(users, two_referrals):
    """The range limits what the order opens, not what the judge's role reads anyway."""
    participant = two_referrals[0].participant
    record(users, participant, categories=[C.LEGAL], covers_from=RANGE[0], covers_to=RANGE[1])
    text = _lines(participant_record_export(users["judge"], participant, fmt="json"))
    assert "Took a phone from a car this year." in text and "Stage now" in text


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.dates(date(2023, 1, 1), date(2026, 1, 1)),
    length=st.integers(0, 900),
)
def test_sec_16_every_dated_fact_in_an_order_export_is_inside_its_range(
    users, two_referrals, start, length
):
    participant = two_referrals[0].participant
    CourtOrder.objects.all().delete()
    end = start + timedelta(days=length)
    lead_order(users, participant, covers_from=start, covers_to=end)
    exported = participant_record_export(users["safeguarding"], participant, fmt="json")
    dated = [line for s in exported["sections"][1:] for line in s["lines"]
             if line.startswith(("  Referred on", "  Offence:"))]  # fmt: skip
    facts = [(OLD_REFERRAL, "Referred on"), (OLD_OFFENCE, "Offence:")]
    new = two_referrals[1]
    facts += [(new.referral_date, "Referred on"), (new.offence_date, "Offence:")]
    expected = sorted(f"{kind} {day:%d %B %Y}" for day, kind in facts if start <= day <= end)
    shown = sorted(
        " ".join(line.split()[:1] + line.split()[-3:])
        if line.startswith("  Offence:")
        else line.strip()
        for line in dated
    )
    assert shown == expected


def test_sec_16_an_order_for_unrecorded_information_does_not_refuse_a_whole_record_export(
    users, two_referrals
):
    """Clinical treatment is not recorded in Turnpoint yet: a judge's order for it cannot make
    the export of what the judge's role reads refuse a longer period; asking for it does."""
    participant = two_referrals[0].participant
    record(users, participant, covers_from=RANGE[0], covers_to=RANGE[1])
    exported = participant_record_export(users["judge"], participant, fmt="json",
                                         since=date(2020, 1, 1))  # fmt: skip
    assert "Took tools from a shed in 2024." in _lines(exported)
    with pytest.raises(PolicyDenied, match="opens clinical treatment only for information dated"):
        participant_record_export(users["judge"], participant, since=date(2020, 1, 1),
                                  categories=[C.CLINICAL])  # fmt: skip
