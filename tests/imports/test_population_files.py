"""The population files admins really receive, made the way their systems write them
(`tests/population.py`): OpenSID's resident export and Disdukcapil's per-person (SIAK/DKB)
extract, as CSV and XLSX, through the import command and the upload page alike. Each folds into
one household per KK, whatever the order of the rows, and lands in the right kelurahan."""

from datetime import date
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from imports.models import ImportBatch
from kelurahan.models import Kelurahan
from members.models import Household
from tests.factories import make_nik, make_no_kk
from tests.files import run_command, write_csv
from tests.population import OPENSID_HEADERS, SIAK_HEADERS, opensid_row, siak_row, write_workbook

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _an_admin(admin_user):
    """The user the import command records on its batch."""


@pytest.fixture
def city(db):
    call_command("load_regions", verbosity=0)
    return {k.nama: k for k in Kelurahan.objects.select_related("kecamatan")}


def run(path, *args):
    return run_command("import_households", path, *args)


def family(n, rt="7", address=None):
    """KK n: a head, a wife and a child (serials 10n+1..3)."""
    kk = make_no_kk(n)
    return [
        {"kk": kk, "nik": make_nik(10 * n + 1), "name": f"Kepala {n}", "level": 1, "rt": rt, "address": address or f"Jl. Mawar {n}"},
        {"kk": kk, "nik": make_nik(10 * n + 2, female=True), "name": f"Istri {n}", "level": 3, "rt": rt, "address": ""},
        {"kk": kk, "nik": make_nik(10 * n + 3, yy=12), "name": f"Anak {n}", "level": 4, "rt": rt, "address": ""},
    ]


def households():
    return {h.no_kk: (h.kelurahan.nama, h.head_name, h.head_nik, h.address, h.rt, h.rw)
            for h in Household.objects.select_related("kelurahan")}


# --- OpenSID ---------------------------------------------------------------------------------

def opensid_sheet(*families):
    people = sorted((p for f in families for p in f), key=lambda p: (p["kk"], p["level"]))
    return [OPENSID_HEADERS, *(opensid_row(p) for p in people)]


def test_an_opensid_export_imports_into_the_kelurahan_given_with_no_rw_and_rt_as_three_digits(tmp_path, city):
    path = write_workbook(tmp_path / "penduduk.xlsx", {"Sheet1": opensid_sheet(family(1, rt="7"), family(2, rt="012"), family(3, rt="-"))})
    out, err, exc = run(path, "--kelurahan", "Sepinggan")
    assert exc is None, (err, exc)
    assert households() == {
        make_no_kk(1): ("Sepinggan", "Kepala 1", make_nik(11), "Jl. Mawar 1", "007", ""),
        make_no_kk(2): ("Sepinggan", "Kepala 2", make_nik(21), "Jl. Mawar 2", "012", ""),
        make_no_kk(3): ("Sepinggan", "Kepala 3", make_nik(31), "Jl. Mawar 3", "", ""),
    }
    assert "9 penduduk dalam 3 KK" in out
    assert "tidak dikenali" not in out  # OpenSID's 43 columns are known
    assert "tanggallahir" in out  # … and listed once as not used


def test_an_opensid_export_without_a_kelurahan_is_refused_whole_saying_to_choose_one(tmp_path, city):
    path = write_workbook(tmp_path / "penduduk.xlsx", {"Sheet1": opensid_sheet(family(1))})
    _out, _err, exc = run(path)
    assert exc is not None and "kode_kelurahan" in str(exc)
    assert not Household.objects.exists()


def test_one_sheet_per_kelurahan_each_into_the_kelurahan_it_is_named_after_and_kode_data_is_not_read(tmp_path, city):
    codes = [["kode", "nama"], ["1", "KEPALA KELUARGA"]]
    path = write_workbook(tmp_path / "kota.xlsx", {
        "Kode Data": codes,
        "SEPINGGAN": opensid_sheet(family(1)),
        "Sungai Nangka": opensid_sheet(family(2)) + [["", "###"], *opensid_sheet(family(9))[1:]],  # ### ends the sheet
        "DAMAI": opensid_sheet(family(3)),
    })
    out, err, exc = run(path)
    assert exc is None, (err, exc)
    assert {kk: v[0] for kk, v in households().items()} == {
        make_no_kk(1): "Sepinggan", make_no_kk(2): "Sungainangka", make_no_kk(3): "Damai"}
    assert "'Sungai Nangka': 3 penduduk dalam 1 KK" in out


def test_several_sheets_not_named_after_kelurahan_are_refused_whole_one_kelurahan_per_file(tmp_path, city):
    path = write_workbook(tmp_path / "dua.xlsx", {"Sheet1": opensid_sheet(family(1)), "Sheet2": opensid_sheet(family(2))})
    _out, _err, exc = run(path, "--kelurahan", "Sepinggan")  # never every sheet into the one chosen
    assert exc is not None and "satu kelurahan per berkas" in str(exc) and "Sheet2" in str(exc)
    _out, _err, exc = run(path)  # and without a choice, the first sheet names no kelurahan
    assert exc is not None and "kode_kelurahan" in str(exc)
    assert not Household.objects.exists()


def test_several_sheets_that_each_name_their_kelurahan_in_a_column_import_whatever_the_sheets_are_called(tmp_path, city):
    first, second = siak_rows(CITY[:1]), siak_rows(CITY[1:2])
    _out, err, exc = run(write_workbook(tmp_path / "dkb.xlsx", {"Sheet1": first, "Sheet2": second}))
    assert exc is None, (err, exc)
    assert {kk: v[0] for kk, v in households().items()} == {make_no_kk(1): "Sungainangka", make_no_kk(2): "Margo Mulyo"}


def test_a_sheet_named_after_another_kelurahan_than_the_one_chosen_is_refused(tmp_path, city):
    path = write_workbook(tmp_path / "damai.xlsx", {"DAMAI BARU": opensid_sheet(family(1))})
    _out, _err, exc = run(path, "--kelurahan", "Damai")
    assert exc is not None and "Damai Baru" in str(exc)
    assert not Household.objects.exists()


# --- SIAK / DKB --------------------------------------------------------------------------------

def siak_rows(placed):
    """`placed`: (family, KEL_NAME, KEC_NAME); members first, the head last, as an extract
    sorted by NIK may have them, and one child several KK further down."""
    rows, late = [SIAK_HEADERS], []
    number = 0
    for people, kel, kec in placed:
        head, wife, child = people
        late.append((child, kel, kec))
        for person in (wife, head):
            number += 1
            rows.append(siak_row(number, person, kel, kec))
    for person, kel, kec in late:
        number += 1
        rows.append(siak_row(number, person, kel, kec))
    return rows


CITY = [
    (family(1, rt="3"), "SUNGAI NANGKA  ", "BALIKPAPAN SELATAN"),
    (family(2, rt="015"), "MARGO MULYO", "BALIKPAPAN BARAT"),
    (family(3, rt=""), "DAMAI", "BALIKPAPAN KOTA"),
    (family(4, rt="7"), "DAMAI BARU", "BALIKPAPAN SELATAN"),
    (family(5, rt="7"), "Kel. Sepinggan", "Balikpapan Selatan"),
]


def test_a_city_wide_siak_extract_finds_each_kelurahan_by_its_name_and_kecamatan(tmp_path, city):
    path = write_csv(tmp_path / "dkb.csv", siak_rows(CITY), delimiter=";")
    out, err, exc = run(path)
    assert exc is None, (err, exc)
    assert households() == {
        make_no_kk(1): ("Sungainangka", "KEPALA 1", make_nik(11), "JL. MAWAR 1", "003", ""),
        make_no_kk(2): ("Margo Mulyo", "KEPALA 2", make_nik(21), "JL. MAWAR 2", "015", ""),
        make_no_kk(3): ("Damai", "KEPALA 3", make_nik(31), "JL. MAWAR 3", "", ""),
        make_no_kk(4): ("Damai Baru", "KEPALA 4", make_nik(41), "JL. MAWAR 4", "007", ""),
        make_no_kk(5): ("Sepinggan", "KEPALA 5", make_nik(51), "JL. MAWAR 5", "007", ""),
    }
    assert "15 penduduk dalam 5 KK" in out


def test_a_kelurahan_in_another_kecamatan_than_the_row_says_is_a_row_error_and_nothing_is_imported(tmp_path, city):
    rows = siak_rows([(family(1), "DAMAI", "BALIKPAPAN SELATAN"), (family(2), "SEPINGGAN", "BALIKPAPAN SELATAN")])
    _out, err, exc = run(write_csv(tmp_path / "dkb.csv", rows))
    assert exc is not None and "baris 2, kolom KEL_NAME: Kelurahan 'DAMAI' tidak berada di kecamatan 'BALIKPAPAN SELATAN'" in err, err
    assert not Household.objects.exists()


def test_a_siak_extract_saved_as_xlsx_with_number_and_date_cells(tmp_path, city):
    rows = siak_rows(CITY[:2])
    for row in rows[1:]:
        row[13] = int(row[13]) if row[13].isdigit() else row[13]  # RT 7 as a number cell
        row[6] = date(1980, 3, 12)  # TGL_LHR a real date cell
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(tmp_path / "dkb.xlsx")
    _out, err, exc = run(tmp_path / "dkb.xlsx")
    assert exc is None, (err, exc)
    assert {kk: v[4] for kk, v in households().items()} == {make_no_kk(1): "003", make_no_kk(2): "015"}


def test_siak_region_numbers_name_the_kelurahan_when_they_are_there(tmp_path, city):
    header = ["NIK", "NO_KK", "NAMA_LGKP", "STAT_HBKEL", "NO_RT", "NO_RW", "NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL"]
    head = family(1)[0]
    rows = [header, [head["nik"], head["kk"], "KEPALA 1", "1", "007", "000", "64", "71", "5", "1002"]]
    _out, err, exc = run(write_csv(tmp_path / "dkb.csv", rows))
    assert exc is None, (err, exc)
    assert households()[make_no_kk(1)][0] == "Sepinggan"


# --- the upload page ---------------------------------------------------------------------------

def test_the_upload_page_previews_a_siak_extract_with_what_was_read(admin_client_, tmp_path, city):
    path = write_csv(tmp_path / "dkb.csv", siak_rows(CITY), delimiter=";")
    with open(path, "rb") as fh:
        admin_client_.post(reverse("imports:import_create"), {"kind": "households", "file": fh})
    batch = ImportBatch.objects.latest("pk")
    assert (batch.status, batch.layout, batch.rows_total, batch.rows_new) == ("ready", "siak_people", 15, 5)
    page = admin_client_.get(batch.get_absolute_url()).content.decode()
    assert "15 penduduk dalam 5 KK" in page and "TMPT_LHR" in page and "tidak dikenali" not in page


def test_the_upload_page_imports_an_opensid_export_for_the_kelurahan_chosen(admin_client_, tmp_path, city):
    path = write_workbook(tmp_path / "penduduk.xlsx", {"Sheet1": opensid_sheet(family(1), family(2))})
    with open(path, "rb") as fh:
        admin_client_.post(reverse("imports:import_create"), {"kind": "households", "file": fh, "kelurahan": "Sepinggan"})
    batch = ImportBatch.objects.latest("pk")
    assert (batch.status, batch.layout, batch.rows_new) == ("ready", "opensid_people", 2)
    admin_client_.post(reverse("imports:import_commit", args=[batch.pk]))
    assert {v[0] for v in households().values()} == {"Sepinggan"}


# --- defects found by files nobody here wrote -----------------------------------------------------

def test_a_ten_thousand_digit_rt_is_a_row_error_not_a_traceback(tmp_path, kelurahan_a):
    rows = [["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga", "rt", "rw"],
            ["64.71.05.1002", make_no_kk(1), "Kepala", make_nik(1), "7" * 10_000, "1" * 10_000]]
    _out, err, exc = run(write_csv(tmp_path / "kk.csv", rows))
    assert exc is not None and "Traceback" not in err and "baris 2, kolom rt" in err and "baris 2, kolom rw" in err
    assert not Household.objects.exists()


def test_nik_and_kk_in_arabic_indic_digits_are_stored_in_ascii_and_found_as_the_same_numbers(tmp_path, kelurahan_a):
    arabic = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    rows = [["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga"],
            ["64.71.05.1002", make_no_kk(1).translate(arabic), "Kepala", make_nik(1).translate(arabic)]]
    _out, err, exc = run(write_csv(tmp_path / "kk.csv", rows))
    assert exc is None, err
    assert list(Household.objects.values_list("no_kk", "head_nik")) == [(make_no_kk(1), make_nik(1))]
    rows[1][1:] = [make_no_kk(1), "Kepala", make_nik(1)]  # the same household in ASCII: unchanged
    out, _err, exc = run(write_csv(tmp_path / "kk2.csv", rows))
    assert exc is None and "baru: 0" in out and Household.objects.count() == 1


def test_an_empty_optional_cell_keeps_the_stored_value_and_the_preview_says_so(tmp_path, kelurahan_a):
    header = ["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga", "alamat", "rt", "rw"]
    run(write_csv(tmp_path / "a.csv", [header, ["64.71.05.1002", make_no_kk(1), "Kepala", make_nik(1), "Jl. Mawar 1", "7", "2"]]))
    out, err, exc = run(write_csv(tmp_path / "b.csv", [header, ["64.71.05.1002", make_no_kk(1), "Kepala Baru", make_nik(1), "", "-", ""]]))
    assert exc is None, err
    assert Household.objects.values_list("head_name", "address", "rt", "rw").get() == ("Kepala Baru", "Jl. Mawar 1", "007", "002")
    assert "nilai yang tersimpan dipertahankan" in out


def test_the_dry_run_prints_each_changed_kk_with_its_row_and_before_and_after(tmp_path, kelurahan_a):
    header = ["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga", "alamat", "rt"]
    run(write_csv(tmp_path / "a.csv", [header, ["64.71.05.1002", make_no_kk(1), "Kepala", make_nik(1), "Jl. Mawar 1", "7"],
                                        ["64.71.05.1002", make_no_kk(2), "Kedua", make_nik(2), "Jl. Mawar 2", "8"]]))
    out, err, exc = run(write_csv(tmp_path / "b.csv", [header, ["64.71.05.1002", make_no_kk(2), "Kedua", make_nik(2), "Jl. Mawar 2", "8"],
                                                       ["64.71.05.1002", make_no_kk(1), "Kepala", make_nik(1), "Jl. Melati 9", "7"]]),
                          "--dry-run")
    assert exc is None, err
    assert f"baris 3, {make_no_kk(1)}: address: Jl. Mawar 1 → Jl. Melati 9" in out
    assert make_no_kk(2) not in out
    assert Household.objects.get(no_kk=make_no_kk(1)).address == "Jl. Mawar 1"


# --- Files written by another program -------------------------------------------------------
# tests/imports/data: a SIAK-style `;` extract (12 KK, 44 residents, members before their head)
# and the same file opened in LibreOffice Calc 7.4 and saved as XLSX, once with every column
# imported as text and once as Calc guesses (16-digit numbers become number cells and lose
# their last digits). Calc writes shared strings, styles and its own XML, unlike our writers.
DATA = Path(__file__).parent / "data"


def test_a_workbook_saved_by_libreoffice_with_text_columns_imports_as_its_csv(city):
    out, err, exc = run(DATA / "siak_extract.csv")
    assert exc is None, (err, exc)
    from_csv = households()
    assert len(from_csv) == 12 and "44 penduduk dalam 12 KK" in out
    Household.objects.all().delete()
    out, err, exc = run(DATA / "siak_extract_libreoffice_text.xlsx")
    assert exc is None, (err, exc)
    assert households() == from_csv and "44 penduduk dalam 12 KK" in out


def test_a_workbook_saved_by_libreoffice_with_numbers_guessed_is_refused_naming_the_damaged_cells(city):
    out, err, exc = run(DATA / "siak_extract_libreoffice_numbers.xlsx")
    assert not Household.objects.exists()
    assert "baris 2, kolom NO_KK" in out + err and "ada digit yang hilang" in out + err
