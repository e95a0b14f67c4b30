"""Admin exports of regions and household counts (imports are the `imports` app's)."""

from import_export import fields

from kkmp.downloads import ExportResource

from .models import HouseholdCount, Kelurahan


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
