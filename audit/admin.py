"""The audit trail in the admin: read-only, for admins (superusers) only."""

from django.contrib import admin

from kkmp.admin_site import AdminsOnlyMixin, ReadOnlyAdminMixin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(AdminsOnlyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the trail can be searched, never edited or deleted."""

    list_display = ["at", "username", "action", "object_type", "object_id", "ip", "request_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["username", "object_id", "request_id"]
    date_hierarchy = "at"
    show_full_result_count = False
