from kelurahan.resources import HouseholdCountResource, ImportCommand


class Command(ImportCommand):
    help = (
        "Import household counts per kelurahan from CSV or XLSX "
        "(kode_kelurahan,jumlah_kk,per_tanggal,sumber). All rows or none."
    )
    resource_class = HouseholdCountResource
