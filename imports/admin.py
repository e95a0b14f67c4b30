"""Import batches in the admin: read-only, for admins (superusers) only; the work is done on the `/impor/` pages."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kkmp.admin_site import AdminsOnlyMixin, ReadOnlyAdminMixin

from .models import ImportBatch


@admin.register(ImportBatch)
class ImportBatchAdmin(AdminsOnlyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only record of every import: the import pages do the work."""

    list_display = ["pk", "file_name", "kind", "status", "rows_new", "rows_updated", "rows_invalid", "created_by", "created_at", "open_link"]
    list_filter = ["kind", "status"]
    list_select_related = ["created_by"]
    search_fields = ["file_name", "sha256"]

    @admin.display(description=_("open"))
    def open_link(self, obj):
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), _("open"))
