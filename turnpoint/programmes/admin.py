"""Programmes are loaded from their YAML files (`turnpoint programmes load`); the admin only shows
them, so the file stays the one source of truth."""

from django.contrib import admin

from .models import Phase, Programme


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0
    fields = ("number", "name", "min_weeks", "contacts_per_week", "tests_per_week",
              "reviews_per_month")  # fmt: skip
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "jurisdiction", "stage", "revision", "loaded_at")
    list_filter = ("stage",)
    inlines = [PhaseInline]
    readonly_fields = ("slug", "name", "jurisdiction", "stage", "legal_basis", "description",
                       "max_duration_weeks", "court_receives_test_results",
                       "non_completion_penalised", "review_mode", "definition",
                       "definition_sha256", "revision", "loaded_at")  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
