"""`load_regions --all` / `--provinsi`: the Kemendagri tree shipped in kelurahan/data/kemendagri/
(idn-area-data 4.0.1). The loader is tested on a slice of the real file (Kalimantan Timur,
province 64); the whole file is loaded by `make bench` (bench/run.py), where its time is kept."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kelurahan.models import KabupatenKota, Kecamatan, Kelurahan, Provinsi
from kelurahan.tree import TREE, is_desa, read
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

EAST_KALIMANTAN = [r for r in read("villages") if r[0].startswith("64.")]


def load(*args):
    out = StringIO()
    call_command("load_regions", *args, stdout=out)
    return out.getvalue()


def test_the_shipped_file_has_the_decrees_levels_and_every_code_once():
    """Kepmendagri 300.2.2-2138/2025: 38 provinces, 416 kabupaten and 98 kota, 7,285 kecamatan;
    desa (2xxx, and Jayapura's desa adat 3xxx) and kelurahan (1xxx) as the file has them."""
    provinces, regencies = read("provinces"), read("regencies")
    districts, villages = read("districts"), read("villages")
    assert (len(provinces), len(regencies), len(districts)) == (38, 514, 7285)
    assert sum(r[2].startswith("Kota ") for r in regencies) == 98
    assert len({r[0] for r in villages}) == len(villages) == 83_762
    assert sum(is_desa(r[0]) for r in villages) == 75_266
    # every row's parent is in the level above
    for rows, parents in ((regencies, provinces), (districts, regencies), (villages, districts)):
        codes = {r[0] for r in parents}
        assert all(r[1] in codes for r in rows)
    assert (TREE / "README.md").exists() and (TREE / "LICENSE-ODbL.md").exists()


def test_a_province_is_loaded_with_its_codes_levels_and_desa():
    message = load("--provinsi", "64")
    assert Provinsi.objects.get().nama == "Kalimantan Timur"
    assert KabupatenKota.objects.get(kode="64.71").nama == "Kota Balikpapan"
    assert Kelurahan.objects.count() == len(EAST_KALIMANTAN) > 1000
    assert Kecamatan.objects.filter(kabupaten_kota__kode="64.71").count() == 6
    assert Kelurahan.objects.filter(kecamatan__kabupaten_kota__kode="64.71", is_desa=False).count() == 34
    desa = Kelurahan.objects.filter(is_desa=True)
    assert desa.count() == sum(is_desa(r[0]) for r in EAST_KALIMANTAN) > 800
    assert all(k.kode[9] == "2" for k in desa[:50])
    assert "desa/kelurahan: %d new" % len(EAST_KALIMANTAN) in message


def test_loading_again_changes_nothing():
    load("--provinsi", "64")
    before = list(Kelurahan.objects.values_list("pk", "kode", "nama", "alternative_names", "is_active", "is_desa", "kecamatan_id"))
    message = load("--provinsi", "64")
    assert "desa/kelurahan: 0 new, 0 renamed, 0 marked inactive" in message
    assert list(Kelurahan.objects.values_list("pk", "kode", "nama", "alternative_names", "is_active", "is_desa", "kecamatan_id")) == before


def test_a_renamed_region_is_renamed_and_its_old_name_still_matches():
    load("--provinsi", "64")
    Kelurahan.objects.filter(kode="64.71.01.1003").update(nama="Teritip Lama", name_key="teritiplama")
    KabupatenKota.objects.filter(kode="64.71").update(nama="Kotamadya Balikpapan")
    message = load("--provinsi", "64")
    assert "desa/kelurahan: 0 new, 1 renamed" in message
    assert KabupatenKota.objects.get(kode="64.71").nama == "Kota Balikpapan"
    teritip = Kelurahan.objects.get(kode="64.71.01.1003")
    assert (teritip.nama, teritip.alternative_names) == ("Teritip", "Teritip Lama")
    assert Kelurahan.objects.named("Teritip Lama") == Kelurahan.objects.named("TERITIP") == teritip


def test_a_code_no_longer_in_the_file_is_marked_inactive_never_deleted():
    load("--provinsi", "64")
    gone = Kelurahan.objects.create(kecamatan=Kecamatan.objects.get(kode="64.71.05"), kode="64.71.05.1099", nama="Dihapus")
    member = MemberFactory(kelurahan=gone)
    message = load("--provinsi", "64")
    assert "desa/kelurahan: 0 new, 0 renamed, 1 marked inactive" in message
    gone.refresh_from_db()
    assert not gone.is_active and gone.members.get() == member
    assert Kelurahan.objects.filter(is_active=True).count() == len(EAST_KALIMANTAN)
    # a code that comes back is active again
    Kelurahan.objects.filter(kode="64.71.05.1002").update(is_active=False)
    assert "1 active again" in load("--provinsi", "64")


def test_balikpapans_spellings_and_aliases_survive_the_national_tree():
    load()  # Balikpapan's own file first, as every deployment so far
    sepinggan = Kelurahan.objects.get(kode="64.71.05.1002")
    damai = Kelurahan.objects.get(kode="64.71.06.1005")
    damai.alternative_names = "Damai Klandasan"  # a spelling an admin added
    damai.save()
    load("--provinsi", "64")
    assert Kelurahan.objects.get(kode="64.71.05.1002").pk == sepinggan.pk
    for spelling, kode in [("Sungai Nangka", "64.71.05.1010"), ("SUNGAINANGKA", "64.71.05.1010"), ("Lemaru", "64.71.01.1002"),
                           ("Lamaru", "64.71.01.1002"), ("Karingau", "64.71.02.1004"), ("Kariangau", "64.71.02.1004"),
                           ("Damai Klandasan", "64.71.06.1005"), ("Margomulyo", "64.71.02.1005")]:
        # names repeat across a province (a desa Margomulyo elsewhere): matched within the city
        found = Kelurahan.objects.filter(kecamatan__kabupaten_kota__kode="64.71").named(spelling)
        assert (spelling, found and found.kode) == (spelling, kode)
    assert Kelurahan.objects.filter(kecamatan__kabupaten_kota__kode="64.71").count() == 34


def test_an_unknown_province_is_refused_and_nothing_written():
    with pytest.raises(CommandError, match="99"):
        load("--provinsi", "99")
    with pytest.raises(CommandError):
        load("--provinsi", "6")  # a prefix is not a province
    assert not Provinsi.objects.exists()


def test_a_code_must_start_with_its_parents_code():
    from django.core.exceptions import ValidationError

    from tests.factories import KecamatanFactory

    kecamatan = KecamatanFactory(kode="64.71.05")
    Kelurahan(kecamatan=kecamatan, kode="64.71.05.1099", nama="Baru").full_clean(exclude=["name_key"])
    with pytest.raises(ValidationError) as refused:
        Kelurahan(kecamatan=kecamatan, kode="64.71.01.1099", nama="Salah").full_clean(exclude=["name_key"])
    assert "64.71.05" in str(refused.value.message_dict["kode"])
    with pytest.raises(ValidationError):
        Kecamatan(kabupaten_kota=kecamatan.kabupaten_kota, kode="64.72.01", nama="Salah").full_clean()


def test_the_roll_ups_by_code_equal_a_live_recount_after_random_writes():
    """The province and national roll-ups group on the kelurahan's code; after random member
    registrations, departures and household counts their sums equal a live recount of the
    counters' sources grouped through the region rows (kecamatan → kabupaten/kota → province)."""
    import random
    from collections import defaultdict
    from datetime import date, timedelta

    from django.utils import timezone

    from dashboard import counters
    from dashboard.models import Campaign
    from dashboard.queries import rollup
    from kelurahan.models import HouseholdCount
    from members.models import Member
    from members.services import record_leaving, register_member
    from tests.factories import make_nik, make_no_kk

    load("--provinsi", "64")
    today = timezone.localdate()
    rng = random.Random(23)
    chosen = list(Kelurahan.objects.filter(kecamatan__kabupaten_kota__kode__in=["64.71", "64.72", "64.01"]).order_by("kode"))
    chosen = rng.sample(chosen, 12)
    for n in range(60):
        kelurahan = rng.choice(chosen)
        if rng.random() < 0.3:
            HouseholdCount.objects.update_or_create(kelurahan=kelurahan, as_of=date(2025, 6, 30 - rng.randrange(3)),
                                                    defaults={"count": rng.randrange(0, 500)})
            continue
        member = register_member(kelurahan=kelurahan, nik=make_nik(n + 1), name=f"Warga {n}", no_kk=make_no_kk(n % 40 + 1),
                                 joined_on=today - timedelta(days=rng.randrange(20)), is_head_of_household=n < 40 and rng.random() < 0.5)
        if rng.random() < 0.2:
            record_leaving(member=member, status=Member.Status.KELUAR, left_on=today, reason="pindah")
    campaign = Campaign.objects.create(name="Kaltim", percent=10, starts_on=today - timedelta(days=30),
                                       deadline=today + timedelta(days=30), wilayah_kode="64")
    live, kk = counters.live(), counters.live_household_counts()
    gained = counters.live_gained(Kelurahan.objects.all(), today)
    for by, length in (("kecamatan__kabupaten_kota", 5), ("kecamatan__kabupaten_kota__provinsi", 2)):
        expected = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
        for kel_pk, code in Kelurahan.objects.values_list("pk", f"{by}__kode"):
            terwakili, heads, aktif = live.get(kel_pk, (0, 0, 0))
            count = kk.get(kel_pk, (None,))[0]
            row = expected[code]
            row[0] += terwakili
            row[1] += heads
            row[2] += aktif
            row[3] += count or 0
            row[4] += -(-(count or 0) * 10 // 100)
            row[5] += gained.get(kel_pk, 0)
        sums = rollup(Kelurahan.objects.all(), campaign, by, today)
        got = {code: [r["kk_terwakili"], r["anggota_kepala_keluarga"], r["anggota_aktif"], r["jumlah_kk"] or 0, r["target"],
                      r["gained_7d"]] for code, r in sums.items()}
        assert got == dict(expected), by
        assert all(code[:length] == code for code in got)
    assert counters.differences() == [] and counters.household_count_differences() == []
