"""Django admin is for configuration only: agencies, staff, their roles and programme teams.

Every change to a member of staff's access asks why, and is audited with who made it and the
reason (accounts.access, security.md SEC-41); nobody can give themselves a case-work role or
add themselves to a programme team."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.db.models import OuterRef, Subquery

from .access import ACCESS_RELATIONS, access_changed_by, self_grant_problem
from .backends import account_unlock
from .models import Agency, ApiToken, ApiTokenRevocation, User
from .revocation import api_token_revoke, user_deactivate

REASON_HELP = "Why this change is made: kept in the audit log with your name."
REASON_MISSING = "Say why this change to access is made: it is kept in the audit log."
# The form fields whose change changes what the user can see.
ACCESS_FORM_FIELDS = ("role", "agency", "is_superuser", "is_staff", "is_active", *ACCESS_RELATIONS)


class StaffChangeForm(UserChangeForm):
    change_reason = forms.CharField(
        label="Reason for a change to access", max_length=200, required=False,
        help_text=REASON_HELP + " Required when the role, agency, teams, groups, permissions "
        "or the active, staff or superuser flags change.",
    )  # fmt: skip
    acting_user = None  # set by StaffAdmin.get_form

    def clean(self):
        cleaned = super().clean()
        changed = set(self.changed_data) & set(ACCESS_FORM_FIELDS)
        if changed and not cleaned.get("change_reason", "").strip():
            self.add_error("change_reason", REASON_MISSING)
        added = set()
        if "programmes" in changed and cleaned.get("programmes") is not None:
            before = set(self.instance.programmes.values_list("pk", flat=True))
            added = {p.pk for p in cleaned["programmes"]} - before
        role = cleaned.get("role") if "role" in changed else None
        problem = self_grant_problem(
            self.acting_user, self.instance, role=role, programmes_added=added
        )
        if problem:
            field, _, message = problem.partition(": ")
            self.add_error(field, message)
        return cleaned


class ReasonActionForm(ActionForm):
    reason = forms.CharField(max_length=200, required=False, label="Reason")


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "kind")
    list_filter = ("kind",)
    search_fields = ("name",)


@admin.register(User)
class StaffAdmin(UserAdmin):
    form = StaffChangeForm
    action_form = ReasonActionForm
    list_display = ("username", "first_name", "last_name", "role", "agency", "is_active")
    list_filter = ("role", "agency", "is_active")
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Turnpoint", {"fields": ("role", "agency", "programmes")}),
        ("Why", {"fields": ("change_reason",)}),
    )
    filter_horizontal = ("programmes", "groups", "user_permissions")
    actions = ["unlock"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.acting_user = request.user
        return form

    def save_model(self, request, obj, form, change):
        """Unticking *Active* deactivates the user: their tokens are revoked and their sessions
        end (SEC-43). Every change to access is audited with who and why (SEC-41)."""
        with access_changed_by(request.user, reason=_reason(form), via="admin"):
            if change and "is_active" in form.changed_data and not obj.is_active:
                user_deactivate(user=obj, acting_user=request.user,
                                reason=_reason(form) or "deactivated in the admin")  # fmt: skip
            else:
                super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        with access_changed_by(request.user, reason=_reason(form), via="admin"):
            super().save_related(request, form, formsets, change)

    @admin.action(description="Unlock sign-in for the selected staff (say why in Reason)")
    def unlock(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, f"Reason: {REASON_MISSING} Nothing was unlocked.",
                              messages.ERROR)  # fmt: skip
            return
        names = [u.username for u in queryset]
        locked = [
            n
            for n in names
            if account_unlock(acting_user=request.user, username=n, via="admin", reason=reason)
        ]
        which = f": {', '.join(locked)}." if locked else "."
        message = f"Unlocked {len(names)} account(s); {len(locked)} were locked{which}"
        self.message_user(request, message, messages.SUCCESS)


def _reason(form) -> str:
    return form.cleaned_data.get("change_reason", "") if hasattr(form, "cleaned_data") else ""


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `turnpoint tokens create`; here they can only be seen and revoked,
    with a reason. Nothing on the token row says whether it is revoked, so no edit here can
    revive it (SEC-43)."""

    action_form = ReasonActionForm
    list_display = ("user", "label", "created_at", "revoked")
    readonly_fields = ("user", "digest", "label", "created_at", "revoked")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        revocation = ApiTokenRevocation.objects.filter(digest=OuterRef("digest"))
        revoked_at = Subquery(revocation.values("revoked_at")[:1])
        return super().get_queryset(request).select_related("user").annotate(revoked_at=revoked_at)

    @admin.display(description="Revoked at")
    def revoked(self, obj):
        return obj.revoked_at

    @admin.action(description="Revoke the selected tokens, for good (say why in Reason)")
    def revoke(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, f"Reason: {REASON_MISSING} Nothing was revoked.",
                              messages.ERROR)  # fmt: skip
            return
        tokens = queryset.select_related("user")
        revoked = [
            t
            for t in tokens
            if api_token_revoke(token=t, acting_user=request.user, reason=reason, via="admin")
        ]
        self.message_user(request, f"Revoked {len(revoked)} token(s).", messages.SUCCESS)
