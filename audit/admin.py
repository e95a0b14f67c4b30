"""The audit trail in the admin: read-only, for admins (superusers) only."""

from django.contrib import admin

from kkmp.admin_site import AdminsOnlyMixin

from .models import AuditEvent


class ReadOnlyAdminMixin:
    """Records that the admin may list and search but never add, change or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(AdminsOnlyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the trail can be searched, never edited or deleted."""

    list_display = ["at", "username", "action", "object_type", "object_id", "ip", "request_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["username", "object_id", "request_id"]
    date_hierarchy = "at"
    show_full_result_count = False
