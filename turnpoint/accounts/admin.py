"""Django admin is for configuration only: agencies, staff, their roles and programme teams."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin

from .backends import account_unlock
from .models import Agency, ApiToken, User


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
    """Tokens are created with `turnpoint tokens create`; here they can only be seen and revoked."""

    list_display = ("user", "label", "created_at", "revoked_at")
    readonly_fields = ("user", "digest", "label", "created_at")

    def has_add_permission(self, request):
        return False
