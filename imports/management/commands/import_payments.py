"""`import_payments FILE`: simpanan payments (setoran), through the same pipeline as the pages."""

from imports.models import ImportBatch

from ._base import ImportCommand


class Command(ImportCommand):
    help = (
        "Import simpanan payments from CSV or XLSX (one row per payment: nomor_anggota or nik, tanggal, jenis, "
        "jumlah, bulan, cara_bayar, referensi), recorded in the ledger in file order. All rows or none."
    )
    kind = ImportBatch.Kind.PAYMENTS
