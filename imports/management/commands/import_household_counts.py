"""`import_household_counts FILE`: household counts per kelurahan and date, through the same pipeline as the pages."""

from imports.models import ImportBatch

from ._base import ImportCommand


class Command(ImportCommand):
    help = "Import household counts per kelurahan (kode_kelurahan,jumlah_kk,per_tanggal,sumber). All rows or none."
    kind = ImportBatch.Kind.HOUSEHOLD_COUNTS
