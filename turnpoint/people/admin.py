"""A read-only participant list in the admin, reached through the sharing policy like every other
view: a user sees only the participants `participants_visible_to` gives them (an administrator,
whose role reads no identity information, sees none). Participants are changed through the
service functions, never here."""

from django.contrib import admin

from turnpoint.sharing.reach import participants_visible_to

from .models import Participant


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ("family_name", "given_name", "date_of_birth", "synthetic")
    list_filter = ("synthetic",)
    search_fields = ("family_name", "given_name")
    show_full_result_count = False  # no second COUNT(*) over the whole table per page
    fields = list_display

    def get_queryset(self, request):
        return participants_visible_to(request.user).order_by("family_name", "given_name", "id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
