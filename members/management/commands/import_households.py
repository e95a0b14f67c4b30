from kelurahan.resources import ImportCommand
from members.resources import HouseholdResource


class Command(ImportCommand):
    help = (
        "Import households (one row per KK) from CSV or XLSX "
        "(kode_kelurahan,no_kk,nama_kepala_keluarga,nik_kepala_keluarga,alamat,rt,rw). "
        "All rows or none."
    )
    resource_class = HouseholdResource
