"""Load provinces, regencies/cities, kecamatan and kelurahan (idempotent).

`load_regions` alone loads the 34 kelurahan of Kota Balikpapan shipped with the app
(`kelurahan/data/balikpapan_wilayah.csv`: kode_kemendagri,kecamatan,kelurahan,kode_bps);
`load_regions --all` the whole Kemendagri tree (`kelurahan/data/kemendagri/`, `kelurahan.tree`),
`load_regions --provinsi 64` one province of it.
"""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kelurahan.models import KabupatenKota, Kecamatan, Kelurahan, Provinsi
from kelurahan.tree import ALTERNATIVE_NAMES, is_desa, load_tree

DATA = Path(__file__).resolve().parents[2] / "data"

# Names for the levels above kecamatan, which the region file does not carry.
HIGHER_LEVELS = {"64": "Kalimantan Timur", "64.71": "Kota Balikpapan"}


class Command(BaseCommand):
    help = "Load the region list (Kemendagri codes) from a CSV; safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DATA / "balikpapan_wilayah.csv"))
        parser.add_argument("--all", action="store_true", help="The whole Kemendagri tree (every desa and kelurahan).")
        parser.add_argument("--provinsi", metavar="KODE", help="One province of the Kemendagri tree, e.g. 64.")

    def handle(self, *args, **options):
        if options["all"] or options["provinsi"]:
            try:
                loaded = load_tree(options["provinsi"])
            except ValueError:
                raise CommandError(f"Province {options['provinsi']} is not in the Kemendagri file.") from None
            self.stdout.write(f"Regions loaded: {loaded.summary()}; {Kelurahan.objects.filter(is_active=True).count()} active desa/kelurahan in the database.")
            return
        self._load_csv(options)

    @transaction.atomic
    def _load_csv(self, options):
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
                kelurahan.is_desa = is_desa(kode)
                kelurahan.alternative_names = kelurahan.alternative_names or ALTERNATIVE_NAMES.get(kode, "")
                kelurahan.full_clean(exclude=["name_key"])
                kelurahan.save()
        total = Kelurahan.objects.count()
        self.stdout.write(f"Regions loaded: {created} new kelurahan, {total} in the database.")
