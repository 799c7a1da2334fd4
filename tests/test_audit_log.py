"""The audit log: append-only, written with the change, records sign-ins."""

import pytest
from django.db import transaction

from turnpoint.errors import InvalidInput
from turnpoint.journeys.models import Referral
from turnpoint.journeys.services import referral_create
from turnpoint.sharing.models import AppendOnlyError, AuditEntry


@pytest.mark.django_db
def test_entries_cannot_be_changed_or_deleted(make_referral):
    make_referral()
    entry = AuditEntry.objects.latest("id")
    entry.action = "read"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.update(action="read")
    assert AuditEntry.objects.get(pk=entry.pk).action == "create"


@pytest.mark.django_db
def test_refused_write_leaves_neither_record_nor_audit(make_referral, coordinator, programme):
    referral = make_referral()
    before = (Referral.objects.count(), AuditEntry.objects.count())
    with pytest.raises(InvalidInput) as excinfo:
        referral_create(
            acting_user=coordinator, participant=referral.participant, programme=programme,
            source="carrier pigeon", offence_category="acquisitive",
            drug_related_type="systemic", offence_date=referral.offence_date,
        )  # fmt: skip
    assert [p.field for p in excinfo.value.problems] == ["source"]
    assert (Referral.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.django_db(transaction=True)
def test_audit_is_rolled_back_with_the_change(make_referral):
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_referral()
        raise RuntimeError("the request failed after the write")
    assert AuditEntry.objects.count() == before
    assert not Referral.objects.exists()


@pytest.mark.django_db
def test_sign_ins_and_failures_are_audited(client, coordinator):
    coordinator.set_password("a long enough password")
    coordinator.save()
    client.post("/sign-in/", {"username": "coordinator", "password": "wrong password here"})
    client.post("/sign-in/", {"username": "coordinator", "password": "a long enough password"})
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "username"))
    assert actions[-2:] == [("sign_in_failed", ""), ("sign_in", "coordinator")]
    failed = AuditEntry.objects.get(action="sign_in_failed")
    assert failed.detail == {"username": "coordinator"}
    assert "password" not in str(failed.detail.values())
