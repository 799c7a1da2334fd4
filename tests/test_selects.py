"""Statements compiled once (`sharing/selects.py`): the consents and court orders the policy reads
are the rows, values and types a queryset gives, and only the ones in force."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from test_record_court_order import record
from test_share_consent import consent_values

from turnpoint.sharing.consents import ShareConsent, active_consents, share_consent_revoke
from turnpoint.sharing.court_orders import CourtOrder, active_court_orders, court_order_end
from turnpoint.sharing.selects import column, one_of, select_rows

pytestmark = pytest.mark.django_db


def fields_of(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


@pytest.fixture
def people(make_referral):
    return [make_referral(given_name=name).participant for name in ("Ash", "Bay", "Cove")]


def test_active_consents_are_the_querysets_rows_in_force(users, people):
    from turnpoint.sharing.consents import share_consent_create

    ash, bay, cove = people
    coordinator = users["coordinator"]
    kept = [
        share_consent_create(acting_user=users["clinician"], **consent_values(ash, users)),
        share_consent_create(
            acting_user=users["clinician"],
            **consent_values(ash, users, purposes=["court_review", "supervision"]),
        ),
        share_consent_create(acting_user=users["clinician"], **consent_values(bay, users)),
    ]
    revoked = share_consent_create(acting_user=users["clinician"], **consent_values(cove, users))
    share_consent_revoke(revoked, acting_user=coordinator, how="in writing")
    expiring = share_consent_create(
        acting_user=users["clinician"],
        **consent_values(cove, users, expires_at=timezone.now() + timedelta(seconds=30)),
    )
    ShareConsent.objects.filter(pk=expiring.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    found = active_consents([ash.pk, bay.pk, cove.pk])

    assert sorted(found) == [ash.pk, bay.pk]  # revoked and expired open nothing
    loaded = [c for pid in sorted(found) for c in found[pid]]
    assert [c.pk for c in loaded] == [c.pk for c in kept]
    for consent in loaded:
        expected = ShareConsent.objects.get(pk=consent.pk)
        assert fields_of(consent) == fields_of(expected)  # JSON lists, aware datetimes, dates
        assert type(consent.categories) is list and consent.expires_at.tzinfo is not None
        assert consent._state.adding is False and consent._state.db == "default"


def test_active_court_orders_are_the_querysets_rows_in_force_in_date_order(users, people):
    ash, bay, _ = people
    later = record(users, ash, reference="ORD-2", made_on=timezone.localdate())
    earlier = record(
        users, ash, reference="ORD-1", made_on=timezone.localdate() - timedelta(days=3)
    )
    record(users, bay, kind="subpoena", reference="SUB-1")  # opens nothing, never loaded
    ended = record(users, bay, reference="ORD-3")
    court_order_end(ended, acting_user=users["coordinator"], reason="varied on appeal")

    found = active_court_orders([ash.pk, bay.pk])

    assert list(found) == [ash.pk]
    assert [o.pk for o in found[ash.pk]] == [earlier.pk, later.pk]
    for order in found[ash.pk]:
        assert fields_of(order) == fields_of(CourtOrder.objects.get(pk=order.pk))


def test_the_statement_is_compiled_once_and_one_query_is_made(users, people):
    from turnpoint.sharing.selects import _compiled

    active_consents([people[0].pk])  # compiled here, once per process
    misses = _compiled.cache_info().misses
    ids = [p.pk for p in people] * 400  # 1,200 ids: one bound parameter, one statement
    with CaptureQueriesContext(connection) as queries:
        assert active_consents(ids) == {}
    assert len(queries) == 1
    assert _compiled.cache_info().misses == misses


def test_select_rows_orders_by_named_fields_and_binds_every_value(users, people):
    ash, _, cove = people
    among, ids = one_of(column(CourtOrder, "participant"), [cove.pk, ash.pk])
    for person in people:
        record(users, person, reference=f"ORD-{person.given_name}")
    rows = select_rows(CourtOrder, among, [ids], order_by=["-reference"])
    assert [o.reference for o in rows] == ["ORD-Cove", "ORD-Ash"]
    quote = connection.ops.quote_name
    assert column(CourtOrder, "participant") == (
        f"{quote('sharing_courtorder')}.{quote('participant_id')}"
    )
