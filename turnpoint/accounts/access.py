"""Changes to who can see what are audited like reads (security.md SEC-41).

A user's role, agency, superuser, staff and active flags, their programme teams, groups and
permissions, and their API tokens decide what they can see. Every change to them, however it is
made (the admin, a command, the demo, a shell), is an `access_changed`, `token_created` or
`token_revoked` entry in the hash-chained audit log, written in the change's own transaction by
the receivers below. Who made the change and why come from `access_changed_by`, which the admin
and the commands wrap around their changes; a change made outside it is recorded with no user
and no reason (the entry says `via: "unrecorded"`), never silently.

Nobody can give themselves a case-work role or add themselves to a programme team: another
administrator must (`self_grant_problem`). The superuser flag grants configuration only: the
sharing policy decides from the role (turnpoint.sharing.rules.decide), never from the flag.
"""

import contextlib
import getpass
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from turnpoint.sharing.audit import audit_write

from .models import ApiToken, Role, User

# Roles whose holders read participants' information: nobody gives one to themselves.
CASE_WORK_ROLES = frozenset(r.value for r in Role if r != Role.ADMINISTRATOR)
# The columns of a user that decide what they can see, by attname.
ACCESS_FIELDS = ("role", "agency_id", "is_superuser", "is_staff", "is_active")
# The user's relations that decide what they can see.
ACCESS_RELATIONS = ("programmes", "groups", "user_permissions")


@dataclass(frozen=True)
class AccessChange:
    by: User | None
    reason: str
    via: str


_current: ContextVar[AccessChange | None] = ContextVar("access_change", default=None)


@contextlib.contextmanager
def access_changed_by(acting_user, *, reason: str, via: str) -> Iterator[AccessChange]:
    """Within the block, changes to access are recorded as made by `acting_user` (None from the
    command line: `via` names the operator) for `reason`."""
    change = AccessChange(
        acting_user if getattr(acting_user, "pk", None) else None, reason.strip()[:200], via
    )
    token = _current.set(change)
    try:
        yield change
    finally:
        _current.reset(token)


def command_line() -> str:
    """`via` for a change made from the command line: the operating-system account running it."""
    try:
        return f"command line as {getpass.getuser()}"
    except (KeyError, OSError):
        return "command line"


def _change() -> AccessChange:
    return _current.get() or AccessChange(None, "", "unrecorded")


def self_grant_problem(acting_user, subject, *, role=None, programmes_added=()) -> str | None:
    """Why `acting_user` may not make this change to `subject`'s access, or None."""
    if acting_user is None or subject.pk is None or acting_user.pk != subject.pk:
        return None
    if role is not None and role in CASE_WORK_ROLES:
        return (
            "role: you cannot give yourself a case-work role; another administrator must make "
            "this change"
        )
    if programmes_added:
        return (
            "programmes: you cannot add yourself to a programme team; another administrator "
            "must make this change"
        )
    return None


def _refuse_self_grant(subject, **change) -> None:
    problem = self_grant_problem(_change().by, subject, **change)
    if problem:
        field, _, message = problem.partition(": ")
        raise ValidationError({field: message})


def _record(action: str, subject: User, detail: dict) -> None:
    change = _change()
    audit_write(
        acting_user=change.by, action=action, obj=subject,
        detail={"user": subject.username, **detail, "reason": change.reason, "via": change.via},
    )  # fmt: skip


@receiver(pre_save, sender=User)
def _user_before(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and not set(update_fields) & {"role", "agency", *ACCESS_FIELDS}:
        instance._access_before = None  # a sign-in's last_login, a name: not access
        return
    before = None
    if instance.pk is not None:
        before = User.objects.filter(pk=instance.pk).values(*ACCESS_FIELDS).first()
    if before is None or before["role"] != instance.role:
        _refuse_self_grant(instance, role=instance.role)
    instance._access_before = before or {}


@receiver(post_save, sender=User)
def _user_after(sender, instance, created, **kwargs):
    before = getattr(instance, "_access_before", None)
    if before is None:
        return
    instance._access_before = None
    changes = {
        name: [before.get(name), getattr(instance, name)]
        for name in ACCESS_FIELDS
        if created or before.get(name) != getattr(instance, name)
    }
    if changes:
        _record("access_changed", instance, {"created": created, "changes": changes})


def _relation_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """A user's programmes, groups or permissions added, removed or cleared, from either side
    (`user.programmes.add(...)` or `programme.members.add(...)`)."""
    relation = next(r for r in ACCESS_RELATIONS if getattr(User, r).through is sender)
    field = getattr(User, relation).field
    user_column, other_column = (
        f"{field.m2m_field_name()}_id",
        f"{field.m2m_reverse_field_name()}_id",
    )
    if action == "pre_add" and relation == "programmes":
        pairs = [(instance, pk_set)] if not reverse else [
            (user, {instance.pk}) for user in User.objects.filter(pk__in=pk_set)
        ]  # fmt: skip
        for user, added in pairs:
            _refuse_self_grant(user, programmes_added=added)
    if action == "pre_clear":  # what a clear removes is gone by post_clear
        mine, theirs = (user_column, other_column) if not reverse else (other_column, user_column)
        rows = sender.objects.filter(**{mine: instance.pk}).values_list(theirs, flat=True)
        instance._access_cleared = set(rows)
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    ids = sorted(
        instance.__dict__.pop("_access_cleared", set()) if action == "post_clear" else pk_set
    )
    if not ids:
        return
    verb = "added" if action == "post_add" else "removed"
    if not reverse:
        _record("access_changed", instance, {"changes": {relation: {verb: ids}}})
        return
    for user in User.objects.filter(pk__in=ids).order_by("pk"):
        _record("access_changed", user, {"changes": {relation: {verb: [instance.pk]}}})


for _relation in ACCESS_RELATIONS:
    m2m_changed.connect(
        _relation_changed, sender=getattr(User, _relation).through,
        dispatch_uid=f"access-{_relation}",
    )  # fmt: skip


@receiver(post_save, sender=ApiToken)
def _token_after(sender, instance, created, **kwargs):
    """A token issued is a change to access. Revoking one writes its own `token_revoked` entry
    with who and why (`revocation.api_token_revoke`): a revocation is a row of its own."""
    if created:
        _record("token_created", instance.user, {"token": instance.pk, "label": instance.label})
