"""Household counts per kelurahan, from CSV and XLSX, in the shell and the admin."""

from datetime import date

import pytest

from dashboard.queries import for_dashboard
from kelurahan.models import HouseholdCount, Kelurahan
from tests.files import run_command, write_csv, write_xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("admin_user")]

HEADER = ["kode_kelurahan", "jumlah_kk", "per_tanggal", "sumber"]


@pytest.fixture
def two_kelurahan(kelurahan_a, kelurahan_b):
    return kelurahan_a, kelurahan_b


def run(path, *args):
    return run_command("import_household_counts", path, *args)


def test_a_well_formed_csv_is_imported(tmp_path, two_kelurahan):
    path = write_csv(
        tmp_path / "kk.csv",
        [HEADER, ["64.71.05.1002", "3505", "2025-06-30", "DKB Sem I 2025"], ["64.71.01.1001", "7069", "30/06/2025", ""]],
    )
    out, err, exc = run(path)
    assert exc is None, err
    assert "baru: 2" in out
    count = HouseholdCount.objects.get(kelurahan__kode="64.71.05.1002")
    assert (count.count, count.as_of, count.source) == (3505, date(2025, 6, 30), "DKB Sem I 2025")


def test_importing_the_same_file_again_changes_nothing(tmp_path, two_kelurahan):
    path = write_csv(tmp_path / "kk.csv", [HEADER, ["64.71.05.1002", "3505", "2025-06-30", "DKB"]])
    run(path)
    out, _err, exc = run(path)
    assert exc is None
    assert "baru: 0" in out and "tidak berubah: 1" in out
    assert HouseholdCount.objects.count() == 1


def test_a_new_date_is_kept_as_history_and_the_latest_is_current(tmp_path, kelurahan_a):
    path = write_csv(
        tmp_path / "kk.csv",
        [HEADER, ["64.71.05.1002", "3505", "2025-06-30", "DKB I"], ["64.71.05.1002", "3600", "2024-12-31", "DKB II"]],
    )
    run(path)
    assert HouseholdCount.objects.count() == 2
    row = for_dashboard(Kelurahan.objects.all()).get(pk=kelurahan_a.pk)
    assert (row.jumlah_kk, row.per_tanggal) == (3505, date(2025, 6, 30))


def test_a_file_with_one_bad_row_imports_nothing_and_names_row_column_and_reason(tmp_path, two_kelurahan):
    path = write_csv(
        tmp_path / "kk.csv",
        [
            HEADER,
            ["64.71.05.1002", "3505", "2025-06-30", "DKB"],
            ["64.71.99.9999", "100", "2025-06-30", "DKB"],
            ["64.71.01.1001", "banyak", "2025-06-30", "DKB"],
            ["64.71.01.1001", "10", "31/02/2025", "DKB"],
        ],
    )
    _out, err, exc = run(path)
    assert exc is not None
    assert HouseholdCount.objects.count() == 0
    assert "baris 3, kolom kode_kelurahan" in err and "64.71.99.9999" in err
    assert "baris 4, kolom jumlah_kk" in err and "banyak" in err
    assert "baris 5, kolom per_tanggal" in err
    assert "tidak ada data yang diimpor" in str(exc)


def test_dry_run_saves_nothing(tmp_path, kelurahan_a):
    path = write_csv(tmp_path / "kk.csv", [HEADER, ["64.71.05.1002", "3505", "2025-06-30", "DKB"]])
    out, _err, exc = run(path, "--dry-run")
    assert exc is None
    assert "baru: 1" in out
    assert HouseholdCount.objects.count() == 0


def test_an_xlsx_with_number_and_date_cells_is_imported(tmp_path, kelurahan_a):
    path = write_xlsx(tmp_path / "kk.xlsx", [HEADER, ["64.71.05.1002", 3505, date(2025, 6, 30), "DKB"]])
    _out, err, exc = run(path)
    assert exc is None, err
    assert HouseholdCount.objects.get().count == 3505


def test_semicolon_csv_in_windows_1252_with_odd_headers_is_imported(tmp_path, kelurahan_a):
    path = write_csv(
        tmp_path / "kk.csv",
        [["Kode Kelurahan", "Jumlah KK", "Per Tanggal", "Sumber"], ["64.71.05.1002", "3.505", "30-06-2025", "Dinas Dukcapil – Sem I"]],
        delimiter=";",
        encoding="cp1252",
    )
    _out, err, exc = run(path)
    assert exc is None, err
    count = HouseholdCount.objects.get()
    assert count.count == 3505
    assert count.source == "Dinas Dukcapil – Sem I"


def test_a_missing_required_column_is_a_file_level_error(tmp_path, kelurahan_a):
    path = write_csv(tmp_path / "kk.csv", [["kode_kelurahan", "per_tanggal"], ["64.71.05.1002", "2025-06-30"]])
    _out, _err, exc = run(path)
    assert exc is not None
    assert "jumlah_kk" in str(exc)


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"PK\x03\x04 this is not really a workbook", "XLSX"),
        (b"", "kosong"),
        (b"\x00\x01\x02garbage", "kk.xlsx"),
    ],
)
def test_unreadable_files_get_a_clear_message(tmp_path, kelurahan_a, content, expected):
    path = tmp_path / "kk.xlsx"
    path.write_bytes(content)
    _out, _err, exc = run(path)
    assert exc is not None
    assert expected in str(exc)
