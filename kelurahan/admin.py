from django.contrib import admin
from django.urls import reverse
from import_export.admin import ExportMixin

from audit.models import AuditEvent, record

from .models import Campaign, HouseholdCount, KabupatenKota, Kecamatan, Kelurahan, Provinsi, Report
from .resources import HouseholdCountResource, KelurahanResource


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
        if request.user.has_perm("imports.add_importbatch"):
            extra_context["import_url"] = reverse("imports:import_create") + f"?jenis={self.import_kind}"
        return super().changelist_view(request, extra_context)


@admin.register(Provinsi)
class ProvinsiAdmin(admin.ModelAdmin):
    list_display = ["kode", "nama"]
    search_fields = ["kode", "nama"]


@admin.register(KabupatenKota)
class KabupatenKotaAdmin(admin.ModelAdmin):
    list_display = ["kode", "nama", "provinsi"]
    list_select_related = ["provinsi"]
    search_fields = ["kode", "nama"]
    autocomplete_fields = ["provinsi"]


@admin.register(Kecamatan)
class KecamatanAdmin(admin.ModelAdmin):
    list_display = ["kode", "nama", "kabupaten_kota"]
    list_select_related = ["kabupaten_kota"]
    search_fields = ["kode", "nama"]
    autocomplete_fields = ["kabupaten_kota"]


@admin.register(Kelurahan)
class KelurahanAdmin(AuditedExportMixin, admin.ModelAdmin):
    resource_classes = [KelurahanResource]
    list_display = ["kode", "nama", "kecamatan", "kode_bps", "alternative_names"]
    list_select_related = ["kecamatan"]
    list_filter = ["kecamatan__kabupaten_kota", "kecamatan"]
    search_fields = ["kode", "kode_bps", "nama", "alternative_names"]
    autocomplete_fields = ["kecamatan"]
    filter_horizontal = ["officers"]


@admin.register(HouseholdCount)
class HouseholdCountAdmin(ImportLinkAdmin):
    resource_classes = [HouseholdCountResource]
    import_kind = "household_counts"
    list_display = ["kelurahan", "count", "as_of", "source", "created_at"]
    list_select_related = ["kelurahan"]
    list_filter = ["as_of", "kelurahan__kecamatan"]
    search_fields = ["kelurahan__nama", "kelurahan__kode", "source"]
    autocomplete_fields = ["kelurahan"]
    date_hierarchy = "as_of"
    readonly_fields = ["created_at"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Target campaigns: the dashboard shows the one running today, or `?kampanye=<id>`."""

    list_display = ["name", "percent", "starts_on", "deadline", "wilayah_kode"]
    search_fields = ["name", "wilayah_kode"]
    autocomplete_fields = ["kelurahan"]
    date_hierarchy = "starts_on"


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Issued reports are frozen: listed here, never changed."""

    list_display = ["as_of", "region_name", "campaign_name", "created_by", "created_at"]
    list_select_related = ["created_by"]
    exclude = ["xlsx"]
    readonly_fields = ["region_kode", "region_name", "campaign_name", "as_of", "created_by", "created_at", "data"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
