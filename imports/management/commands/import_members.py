"""`import_members FILE`: a cooperative's register of members, through the same pipeline as the pages."""

from imports.models import ImportBatch

from ._base import ImportCommand


class Command(ImportCommand):
    help = (
        "Import a cooperative's register of members from CSV or XLSX (one row per member). New "
        "members only: a NIK already registered is reported. All rows or none."
    )
    kind = ImportBatch.Kind.MEMBERS
