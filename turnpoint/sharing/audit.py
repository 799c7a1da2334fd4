"""Writing the audit log. Call inside the transaction of the change being recorded."""

from collections.abc import Iterable

from . import context
from .models import AuditEntry


def audit_entry(
    *,
    acting_user,
    action: str,
    categories: Iterable[str] = (),
    participant_ids: Iterable[int] = (),
    obj=None,
    purpose: str = "",
    detail: dict | None = None,
) -> AuditEntry:
    """Build (not save) an audit row; bulk writers collect these and bulk_create them."""
    ctx = context.current()
    return AuditEntry(
        user=acting_user if getattr(acting_user, "pk", None) else None,
        username=getattr(acting_user, "username", "") or "",
        role=getattr(acting_user, "role", "") or "",
        agency=str(acting_user.agency) if getattr(acting_user, "agency_id", None) else "",
        action=action,
        categories=sorted({str(c) for c in categories}),
        participant_ids=sorted({int(p) for p in participant_ids}),
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        purpose=str(purpose),
        detail=detail or {},
        request_id=ctx.request_id,
        client_ip=ctx.client_ip,
        channel=ctx.channel,
    )


def audit_write(**kwargs) -> AuditEntry:
    entry = audit_entry(**kwargs)
    entry.save()
    return entry


def audit_verify() -> tuple[int, list[str]]:
    """Walk the chain in order; return the number of entries checked and every break found.

    A changed row fails its own hash; a deleted, inserted or reordered row breaks the link to
    the previous hash."""
    from .models import GENESIS

    problems: list[str] = []
    previous = GENESIS
    checked = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=5000):
        checked += 1
        if entry.prev_hash != previous:
            problems.append(
                f"entry {entry.pk}: does not follow the entry before it "
                "(an entry was deleted, inserted or moved)"
            )
        if entry.compute_hash() != entry.entry_hash:
            problems.append(f"entry {entry.pk}: its content was changed after it was written")
        previous = entry.entry_hash
    return checked, problems
