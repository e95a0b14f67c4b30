"""`import_households FILE`: a household list, SIAK or OpenSID export, through the same pipeline as the pages."""

from imports.models import ImportBatch

from ._base import ImportCommand


class Command(ImportCommand):
    help = (
        "Import households from CSV or XLSX: a household list (one row per KK) or a per-person "
        "population export (SIAK/Disdukcapil, OpenSID). All rows or none."
    )
    kind = ImportBatch.Kind.HOUSEHOLDS
