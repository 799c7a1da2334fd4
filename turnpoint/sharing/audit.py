"""Writing the audit log. Call inside the transaction of the change being recorded.

`audit_entry` builds an entry, `audit_write` appends one (models.append_entries, which joins
the caller's transaction); `verify.audit_verify` checks the log."""

from collections.abc import Iterable

from . import context
from .models import AuditEntry, append_entries


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
    append_entries([entry])
    return entry


def audit_denial(user, *, route: str, reason: str, obj_type: str = "", obj_id="") -> None:
    """One audit entry for a refused request: who, which route, which object, why (SEC-20)."""
    detail = {"route": route, "reason": reason}
    if obj_type:
        detail["object"] = f"{obj_type} {obj_id}"
    audit_write(acting_user=user, action="denied", detail=detail)
