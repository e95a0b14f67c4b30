"""The whole Kemendagri region tree from the file shipped in `kelurahan/data/kemendagri/`
(idn-area-data 4.0.1, Kepmendagri 300.2.2-2138/2025; see its README): `load_regions --all`.

Set-based and idempotent: each level is read once, compared with the database in memory and
written in bulk (insert or update on the code). A region whose name changed is renamed (a
kelurahan keeps its old name as an alternative spelling, since spreadsheets lag behind decrees);
a code no longer in the file is marked inactive, never deleted; alternative spellings already
recorded (Balikpapan's Lemaru, Karingau...) are kept.
"""

import csv
import gzip
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Q

from .models import KabupatenKota, Kecamatan, Kelurahan, Provinsi, normalise_name

TREE = Path(__file__).resolve().parent / "data" / "kemendagri"
# Spellings found in real spreadsheets that do not reduce to the official name (DOMAIN.md);
# spellings that differ only in spaces (Sungai Nangka / Sungainangka) match without an entry.
ALTERNATIVE_NAMES = {"64.71.01.1002": "Lemaru", "64.71.02.1004": "Karingau"}


def read(level, directory=TREE):
    """[(code, parent code, name)] of one level of the file (`provinces` have no parent)."""
    with gzip.open(directory / f"{level}.csv.gz", "rb") as raw:
        rows = list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")))
    parent = {"provinces": None, "regencies": "province_code", "districts": "regency_code", "villages": "district_code"}[level]
    return [(r["code"].strip(), r[parent].strip() if parent else None, " ".join(r["name"].split())) for r in rows]


def is_desa(kode):
    """Kemendagri numbers a kelurahan 1xxx and a desa 2xxx (Jayapura's desa adat: 3xxx)."""
    return kode[9] in "23"


@dataclass
class Loaded:
    created: dict = field(default_factory=dict)
    renamed: dict = field(default_factory=dict)
    deactivated: dict = field(default_factory=dict)
    reactivated: dict = field(default_factory=dict)

    def summary(self):
        names = {"Provinsi": "provinsi", "KabupatenKota": "kabupaten/kota", "Kecamatan": "kecamatan", "Kelurahan": "desa/kelurahan"}
        return "; ".join(
            f"{label}: {self.created.get(m, 0)} new, {self.renamed.get(m, 0)} renamed, "
            f"{self.deactivated.get(m, 0)} marked inactive, {self.reactivated.get(m, 0)} active again"
            for m, label in names.items()
        )


def _sync(model, rows, parent_field, parents, under, loaded, extra=None):
    """Insert or update `rows` [(kode, parent kode, nama)] of `model`, writing only what
    differs; mark the codes `under` selects (a Q) that are not in `rows` inactive. Returns
    {kode: pk} of the rows."""
    name = model.__name__
    is_kelurahan = model is Kelurahan
    fields = ["pk", "kode", "nama", "is_active", *([f"{parent_field}_id"] if parent_field else []),
              *(["alternative_names", "is_desa"] if is_kelurahan else [])]
    existing = {r["kode"]: r for r in model.objects.filter(under).values(*fields)}
    fresh, changed = [], []
    count = {"renamed": 0, "reactivated": 0}
    for kode, parent, nama in rows:
        values = {"nama": nama, "is_active": True}
        if parent_field:
            values[f"{parent_field}_id"] = parents[parent]
        if extra:
            values.update(extra(kode))
        old = existing.get(kode)
        if old is None:
            if is_kelurahan:
                values["alternative_names"] = ALTERNATIVE_NAMES.get(kode, "")
            fresh.append(model(kode=kode, **values))
            continue
        if is_kelurahan:
            spellings = [s.strip() for s in old["alternative_names"].split(",") if s.strip()]
            if normalise_name(old["nama"]) != normalise_name(nama) and old["nama"] not in spellings:
                spellings.append(old["nama"])  # a renamed desa/kelurahan: the old name still matches
            values["alternative_names"] = ", ".join(spellings)
        if all(old[k] == v for k, v in values.items()):
            continue  # unchanged: nothing written (a second run writes nothing)
        count["renamed"] += old["nama"] != nama
        count["reactivated"] += not old["is_active"]
        changed.append(model(pk=old["pk"], kode=kode, **values))
    if is_kelurahan:
        for instance in fresh + changed:  # what Kelurahan.save() keeps: the matching keys
            instance.name_key = normalise_name(instance.nama)
            aliases = [normalise_name(a) for a in instance.alternative_names.split(",") if a.strip()]
            instance.alias_keys = "|" + "|".join(aliases) + "|" if aliases else ""
    update = ["nama", "is_active", *([parent_field] if parent_field else [])]
    if is_kelurahan:
        update += ["is_desa", "alternative_names", "name_key", "alias_keys"]
    model.objects.bulk_create(fresh, batch_size=5000)
    model.objects.bulk_update(changed, update, batch_size=1000)
    gone = set(existing) - {kode for kode, _p, _n in rows}
    stale = [existing[k]["pk"] for k in gone if existing[k]["is_active"]]
    for start in range(0, len(stale), 5000):
        model.objects.filter(pk__in=stale[start:start + 5000]).update(is_active=False)
    loaded.created[name], loaded.deactivated[name] = len(fresh), len(stale)
    loaded.renamed[name], loaded.reactivated[name] = count["renamed"], count["reactivated"]
    return dict(model.objects.filter(under).values_list("kode", "pk"))


@transaction.atomic
def load_tree(provinsi=None, directory=TREE):
    """Load the whole tree, or only province `provinsi` (its code, `64`), in one transaction.
    Returns what changed (`Loaded`); ValueError when the file has no such province."""
    loaded = Loaded()

    def within(rows):
        return [r for r in rows if r[0] == provinsi or r[0].startswith(f"{provinsi}.")] if provinsi else rows

    def under(level=""):
        return (Q(kode=provinsi) if not level else Q(kode__startswith=f"{provinsi}.")) if provinsi else Q()

    provinces = within(read("provinces", directory))
    if provinsi and not provinces:
        raise ValueError(provinsi)
    prov = _sync(Provinsi, provinces, None, None, under(), loaded)
    kab = _sync(KabupatenKota, within(read("regencies", directory)), "provinsi", prov, under("kab"), loaded)
    kec = _sync(Kecamatan, within(read("districts", directory)), "kabupaten_kota", kab, under("kec"), loaded)
    _sync(Kelurahan, within(read("villages", directory)), "kecamatan", kec, under("kel"), loaded,
          extra=lambda kode: {"is_desa": is_desa(kode)})
    return loaded
