"""Django admin is for configuration only: agencies, staff, their roles and programme teams."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import OuterRef, Subquery

from .backends import account_unlock
from .models import Agency, ApiToken, ApiTokenRevocation, User
from .revocation import api_token_revoke, user_deactivate


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "kind")
    list_filter = ("kind",)
    search_fields = ("name",)


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "agency", "is_active")
    list_filter = ("role", "agency", "is_active")
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Turnpoint", {"fields": ("role", "agency", "programmes")}),
    )
    filter_horizontal = ("programmes", "groups", "user_permissions")
    actions = ["unlock"]

    def save_model(self, request, obj, form, change):
        """Unticking *Active* deactivates the user: their tokens are revoked and their sessions
        end, audited with the administrator's name (SEC-43)."""
        if change and "is_active" in form.changed_data and not obj.is_active:
            user_deactivate(user=obj, acting_user=request.user, reason="deactivated in the admin")
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description="Unlock sign-in for the selected staff")
    def unlock(self, request, queryset):
        names = [u.username for u in queryset]
        locked = [
            n for n in names if account_unlock(acting_user=request.user, username=n, via="admin")
        ]
        which = f": {', '.join(locked)}." if locked else "."
        message = f"Unlocked {len(names)} account(s); {len(locked)} were locked{which}"
        self.message_user(request, message, messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `turnpoint tokens create`; here they can only be seen and revoked.
    Nothing on the token row says whether it is revoked, so no edit here can revive it (SEC-43)."""

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

    @admin.action(description="Revoke the selected tokens (final)")
    def revoke(self, request, queryset):
        tokens = queryset.select_related("user")
        revoked = [
            t for t in tokens
            if api_token_revoke(token=t, acting_user=request.user, reason="revoked in the admin")
        ]  # fmt: skip
        self.message_user(request, f"Revoked {len(revoked)} token(s).", messages.SUCCESS)
