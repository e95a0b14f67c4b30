from django.contrib import admin
from import_export.admin import ExportMixin, ImportExportModelAdmin

from .models import HouseholdCount, KabupatenKota, Kecamatan, Kelurahan, Provinsi
from .resources import (
    HouseholdCountResource,
    ImportFileError,
    KelurahanResource,
    SpreadsheetCSV,
    SpreadsheetXLSX,
)


class SpreadsheetImportAdmin(ImportExportModelAdmin):
    """Import screens that read CSV (`,` `;` tab; UTF-8 or Windows-1252) and XLSX, and report
    file-level problems as plain sentences."""

    import_formats = [SpreadsheetCSV, SpreadsheetXLSX]
    import_error_display = ("message",)

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ImportFileError):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)


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
class KelurahanAdmin(ExportMixin, admin.ModelAdmin):
    resource_classes = [KelurahanResource]
    list_display = ["kode", "nama", "kecamatan", "kode_bps", "alternative_names"]
    list_select_related = ["kecamatan"]
    list_filter = ["kecamatan__kabupaten_kota", "kecamatan"]
    search_fields = ["kode", "kode_bps", "nama", "alternative_names"]
    autocomplete_fields = ["kecamatan"]
    filter_horizontal = ["officers"]


@admin.register(HouseholdCount)
class HouseholdCountAdmin(SpreadsheetImportAdmin):
    resource_classes = [HouseholdCountResource]
    list_display = ["kelurahan", "count", "as_of", "source", "created_at"]
    list_select_related = ["kelurahan"]
    list_filter = ["as_of", "kelurahan__kecamatan"]
    search_fields = ["kelurahan__nama", "kelurahan__kode", "source"]
    autocomplete_fields = ["kelurahan"]
    date_hierarchy = "as_of"
    readonly_fields = ["created_at"]
