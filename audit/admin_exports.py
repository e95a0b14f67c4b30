"""What the apps' model admins share for exports: `AuditedExportMixin` (django-import-export's
admin export, recorded in the audit trail) and `ImportLinkAdmin` (an export list whose "Import"
button opens the import pages). Here, not in `kkmp.admin_site`, because recording is the audit
trail's business: the ground layer imports nothing above it."""

from django.contrib import admin
from django.urls import reverse
from import_export.admin import ExportMixin

from kkmp.access import is_admin

from .models import AuditEvent, record


class AuditedExportMixin(ExportMixin):
    """django-import-export's admin export, recorded in the audit trail."""

    def get_export_data(self, file_format, request, queryset, **kwargs):
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        record(
            AuditEvent.Action.EXPORT, request=request, what=self.model._meta.model_name,
            format=file_format.get_title(), rows=queryset.count(),
        )
        return data


class ImportLinkAdmin(AuditedExportMixin, admin.ModelAdmin):
    """Exports through django-import-export; the "Import" button opens the import pages
    (preview, error file, undo), the same pipeline as the shell commands."""

    import_export_change_list_template = "admin/import_link_change_list.html"
    import_kind = None

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if is_admin(request.user):  # who may import (imports/access.py)
            extra_context["import_url"] = reverse("imports:import_create") + f"?jenis={self.import_kind}"
        return super().changelist_view(request, extra_context)
