"""Spreadsheet exports of regions, household counts and the dashboard, and the formula guard
every export uses. (Imports are the `imports` app's.)"""

import tablib
from import_export import fields, resources

from .models import HouseholdCount, Kelurahan


class ExportResource(resources.ModelResource):
    """Base of every export: each text cell goes through `neutralise`, so a name such as
    `=HYPERLINK(...)` shows as text in Excel instead of running."""

    def export_field(self, field, instance, **kwargs):
        return neutralise(super().export_field(field, instance, **kwargs))


class HouseholdCountResource(ExportResource):
    """Export of household counts, in the columns the import takes."""

    kode_kelurahan = fields.Field(attribute="kelurahan__kode", column_name="kode_kelurahan")
    jumlah_kk = fields.Field(attribute="count", column_name="jumlah_kk")
    per_tanggal = fields.Field(attribute="as_of", column_name="per_tanggal")
    sumber = fields.Field(attribute="source", column_name="sumber")

    class Meta:
        model = HouseholdCount
        fields = ("kode_kelurahan", "jumlah_kk", "per_tanggal", "sumber")
        export_order = fields

    def get_export_queryset(self, request):
        return HouseholdCount.objects.select_related("kelurahan")


class KelurahanResource(ExportResource):
    """Export of the region list (the import is the `load_regions` command)."""

    kecamatan = fields.Field(attribute="kecamatan__nama", column_name="kecamatan")

    class Meta:
        model = Kelurahan
        fields = ("kode", "kode_bps", "nama", "alternative_names", "kecamatan")
        export_order = fields


# --- Exports --------------------------------------------------------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell value that spreadsheet programs will show, never execute: text starting with
    `=`, `+`, `-`, `@`, tab or carriage return gets a leading apostrophe. Numbers and dates
    pass through unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


DASHBOARD_COLUMNS = (
    "kode_kelurahan",
    "kelurahan",
    "kecamatan",
    "jumlah_kk",
    "per_tanggal",
    "target",
    "kk_terwakili",
    "anggota_kepala_keluarga",
    "anggota_aktif",
    "persen_target",
)


def dashboard_dataset(groups):
    """The dashboard table as a `tablib.Dataset`, one row per kelurahan (see `dashboard_table`)."""
    dataset = tablib.Dataset(headers=DASHBOARD_COLUMNS, title="Progres KKMP")
    for kecamatan, rows, _total in groups:
        for kel, progress in rows:
            dataset.append(
                [
                    neutralise(value)
                    for value in (
                        kel.kode,
                        kel.nama,
                        kecamatan.nama,
                        progress.jumlah_kk,
                        kel.per_tanggal,
                        progress.target,
                        progress.kk_terwakili,
                        progress.anggota_kepala_keluarga,
                        progress.anggota_aktif,
                        progress.persen_target,
                    )
                ]
            )
    return dataset
