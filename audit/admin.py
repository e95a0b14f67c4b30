from django.contrib import admin

from .models import AuditEvent


class ReadOnlyAdminMixin:
    """Records that the admin may list and search but never add, change or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AdminsOnlyMixin:
    """Personal data in the admin is for admins (superusers) only. Officers and reviewers work on
    the site's pages, which apply the kelurahan scope and the masking; a staff account that,
    say, manages accounts never sees members, households, import files or the trail here."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self.has_view_permission(request) and super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None):
        return self.has_view_permission(request, obj) and super().has_delete_permission(request, obj)

    def has_export_permission(self, request):
        """django-import-export checks the model permission only: the same rule as viewing."""
        return self.has_view_permission(request) and super().has_export_permission(request)


@admin.register(AuditEvent)
class AuditEventAdmin(AdminsOnlyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the trail can be searched, never edited or deleted."""

    list_display = ["at", "username", "action", "object_type", "object_id", "ip", "request_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["username", "object_id", "request_id"]
    date_hierarchy = "at"
    show_full_result_count = False
