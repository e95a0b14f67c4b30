"""Load provinces, regencies/cities, kecamatan and kelurahan from a CSV (idempotent).

The default file is the 34 kelurahan of Kota Balikpapan shipped with the app
(`kelurahan/data/balikpapan_wilayah.csv`: kode_kemendagri,kecamatan,kelurahan,kode_bps).
"""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kelurahan.models import KabupatenKota, Kecamatan, Kelurahan, Provinsi

DATA = Path(__file__).resolve().parents[2] / "data"

# Names for the levels above kecamatan, which the region file does not carry.
HIGHER_LEVELS = {"64": "Kalimantan Timur", "64.71": "Kota Balikpapan"}
# Spellings found in real spreadsheets that do not reduce to the official name (DOMAIN.md);
# spellings that differ only in spaces (Sungai Nangka / Sungainangka) match without an entry.
ALTERNATIVE_NAMES = {"64.71.01.1002": "Lemaru", "64.71.02.1004": "Karingau"}


class Command(BaseCommand):
    help = "Load the region list (Kemendagri codes) from a CSV; safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DATA / "balikpapan_wilayah.csv"))

    @transaction.atomic
    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"File not found: {path}")
        created = 0
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                kode = row["kode_kemendagri"].strip()
                prov_kode, kab_kode, kec_kode = kode[:2], kode[:5], kode[:8]
                provinsi, _ = Provinsi.objects.get_or_create(
                    kode=prov_kode, defaults={"nama": HIGHER_LEVELS.get(prov_kode, prov_kode)}
                )
                kabupaten, _ = KabupatenKota.objects.get_or_create(
                    kode=kab_kode,
                    defaults={"nama": HIGHER_LEVELS.get(kab_kode, kab_kode), "provinsi": provinsi},
                )
                kecamatan, _ = Kecamatan.objects.update_or_create(
                    kode=kec_kode,
                    defaults={"nama": row["kecamatan"].strip(), "kabupaten_kota": kabupaten},
                )
                kelurahan = Kelurahan.objects.filter(kode=kode).first() or Kelurahan(kode=kode)
                created += kelurahan.pk is None
                kelurahan.kecamatan = kecamatan
                kelurahan.nama = row["kelurahan"].strip()
                kelurahan.kode_bps = row.get("kode_bps", "").strip()
                kelurahan.alternative_names = kelurahan.alternative_names or ALTERNATIVE_NAMES.get(kode, "")
                kelurahan.full_clean(exclude=["name_key"])
                kelurahan.save()
        total = Kelurahan.objects.count()
        self.stdout.write(f"Regions loaded: {created} new kelurahan, {total} in the database.")
