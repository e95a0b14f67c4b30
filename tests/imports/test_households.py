"""Households (one row per KK) from CSV and XLSX."""

import pytest
from django.db import connection

from members.models import Household
from tests.factories import make_nik, make_no_kk
from tests.files import run_command, write_csv, write_xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("admin_user")]

HEADER = ["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga", "alamat", "rt", "rw"]


def run(path, *args):
    return run_command("import_households", path, *args)


def rows(n, kode="64.71.05.1002"):
    return [
        [kode, make_no_kk(i + 1), f"Kepala {i}", make_nik(i + 1), f"Jl. Mawar {i}", str(i % 30 + 1), ""]
        for i in range(n)
    ]


def test_a_well_formed_csv_creates_one_household_per_kk(tmp_path, kelurahan_a):
    _out, err, exc = run(write_csv(tmp_path / "kk.csv", [HEADER, *rows(5)]))
    assert exc is None, err
    assert Household.objects.count() == 5
    household = Household.objects.get(no_kk=make_no_kk(1))
    assert (household.kelurahan, household.head_nik, household.rt, household.rw) == (kelurahan_a, make_nik(1), "001", "")


def test_reimporting_the_same_file_changes_nothing(tmp_path, kelurahan_a):
    path = write_csv(tmp_path / "kk.csv", [HEADER, *rows(5)])
    run(path)
    before = list(Household.objects.values_list("no_kk", "updated_at"))
    out, _err, exc = run(path)
    assert exc is None
    assert "tidak berubah: 5" in out or "unchanged: 5" in out
    assert list(Household.objects.values_list("no_kk", "updated_at")) == before


def test_rt_written_7_07_or_007_is_the_same_rt(tmp_path, kelurahan_a):
    data = rows(3)
    data[0][5], data[1][5], data[2][5] = "7", "07", "007"
    run(write_csv(tmp_path / "kk.csv", [HEADER, *data]))
    assert set(Household.objects.values_list("rt", flat=True)) == {"007"}


def test_a_changed_row_updates_the_household(tmp_path, kelurahan_a):
    run(write_csv(tmp_path / "kk.csv", [HEADER, *rows(2)]))
    data = rows(2)
    data[1][4] = "Jl. Melati 9"
    out, _err, exc = run(write_csv(tmp_path / "kk2.csv", [HEADER, *data]))
    assert exc is None
    assert Household.objects.get(no_kk=make_no_kk(2)).address == "Jl. Melati 9"


def test_excel_numbers_are_invalid_rows_with_a_fix_and_nothing_is_imported(tmp_path, kelurahan_a):
    data = rows(3)
    data[1][1] = 6471050506150000  # a number cell: Excel kept 15 digits
    data[2][1] = "6.47105E+15"
    _out, err, exc = run(write_xlsx(tmp_path / "kk.xlsx", [HEADER, *data]))
    assert exc is not None
    assert Household.objects.count() == 0
    assert "baris 3, kolom no_kk" in err or "row 3, column no_kk" in err
    assert "Excel" in err
    assert err.count("Excel") >= 2


def test_an_xlsx_with_text_formatted_numbers_is_imported(tmp_path, kelurahan_a):
    _out, err, exc = run(write_xlsx(tmp_path / "kk.xlsx", [HEADER, *rows(3)], text_columns=("B", "D")))
    assert exc is None, err
    assert Household.objects.count() == 3


def test_a_kk_twice_in_one_file_is_reported_not_merged(tmp_path, kelurahan_a):
    data = rows(2)
    data.append(list(data[0]))
    _out, err, exc = run(write_csv(tmp_path / "kk.csv", [HEADER, *data]))
    assert exc is not None
    assert Household.objects.count() == 0
    assert make_no_kk(1) in err and "2" in err


def test_invalid_numbers_are_reported_per_row_and_column(tmp_path, kelurahan_a):
    data = rows(3)
    data[0][1] = "647105050615"  # 12 digits
    data[2][3] = "6471051203900000"  # NIK serial 0000
    _out, err, exc = run(write_csv(tmp_path / "kk.csv", [HEADER, *data]))
    assert exc is not None
    lines = err.strip().splitlines()
    assert len(lines) == 2
    assert "2" in lines[0] and "no_kk" in lines[0]
    assert "4" in lines[1] and "nik_kepala_keluarga" in lines[1]


def test_headers_as_real_files_write_them_are_understood(tmp_path, kelurahan_a):
    header = ["KODE_KEL", "No. KK", "NAMA_LGKP", "NIK", "Alamat", "NO_RT", "NO_RW"]
    _out, err, exc = run(write_csv(tmp_path / "kk.csv", [header, *rows(2)], delimiter=";"))
    assert exc is None, err
    assert Household.objects.count() == 2


def test_a_kelurahan_given_by_a_known_spelling_is_found(tmp_path, kelurahan_a):
    data = rows(1, kode="SEPINGGAN")
    _out, err, exc = run(write_csv(tmp_path / "kk.csv", [HEADER, *data]))
    assert exc is None, err
    assert Household.objects.get().kelurahan == kelurahan_a


def test_a_utf16_tab_separated_export_is_read(tmp_path, kelurahan_a):
    path = write_csv(tmp_path / "kk.txt", [HEADER, *rows(2)], delimiter="\t", encoding="utf-16")
    _out, err, exc = run(path)
    assert exc is None, err
    assert Household.objects.count() == 2


SIAK = ["NO_KK", "NIK", "NAMA_LGKP", "STAT_HBKEL", "NO_RT", "NO_RW", "NAMA_KEL", "ALAMAT"]


def test_a_siak_population_export_is_folded_into_one_household_per_kk(tmp_path, kelurahan_a):
    people = [
        [make_no_kk(1), make_nik(2, female=True), "SITI", "ISTRI", "4", "", "SEPINGGAN", ""],
        [make_no_kk(1), make_nik(1), "BUDI", "KEPALA KELUARGA", "4", "", "SEPINGGAN", "JL. A"],
        [make_no_kk(1), make_nik(3), "ANI", "ANAK", "4", "", "SEPINGGAN", ""],
        [make_no_kk(2), make_nik(4), "JOKO", "1", "12", "", "Sepinggan", "JL. B"],
    ]
    out, err, exc = run(write_csv(tmp_path / "siak.csv", [SIAK, *people]))
    assert exc is None, err
    assert "baru: 2" in out
    first = Household.objects.get(no_kk=make_no_kk(1))
    assert (first.head_name, first.head_nik, first.address, first.rt) == ("BUDI", make_nik(1), "JL. A", "004")


def test_two_heads_in_one_kk_are_an_error(tmp_path, kelurahan_a):
    people = [
        [make_no_kk(1), make_nik(1), "BUDI", "KEPALA KELUARGA", "4", "", "SEPINGGAN", ""],
        [make_no_kk(1), make_nik(2), "JOKO", "KEPALA KELUARGA", "4", "", "SEPINGGAN", ""],
    ]
    _out, err, exc = run(write_csv(tmp_path / "siak.csv", [SIAK, *people]))
    assert exc is not None
    assert "baris 3, kolom STAT_HBKEL" in err
    assert not Household.objects.exists()


def test_a_kk_without_a_head_row_is_imported_with_a_warning(tmp_path, kelurahan_a):
    people = [[make_no_kk(1), make_nik(2), "ANI", "ANAK", "4", "", "SEPINGGAN", ""]]
    out, err, exc = run(write_csv(tmp_path / "siak.csv", [SIAK, *people]))
    assert exc is None, err
    assert "1 KK" in out
    assert Household.objects.get().head_nik == ""


def test_a_kk_already_registered_in_another_kelurahan_is_reported_not_moved(tmp_path, kelurahan_a, kelurahan_b):
    from tests.factories import HouseholdFactory

    HouseholdFactory(no_kk=make_no_kk(1), kelurahan=kelurahan_b)
    _out, err, exc = run(write_csv(tmp_path / "kk.csv", [HEADER, *rows(2)]))
    assert exc is not None
    assert "Manggar" in err and "baris 2" in err
    assert Household.objects.get(no_kk=make_no_kk(1)).kelurahan == kelurahan_b
    assert Household.objects.count() == 1


def test_a_head_nik_that_heads_another_kk_in_the_database_is_reported(tmp_path, kelurahan_a):
    from tests.factories import HouseholdFactory

    HouseholdFactory(no_kk=make_no_kk(99), kelurahan=kelurahan_a, head_nik=make_nik(1))
    _out, err, exc = run(write_csv(tmp_path / "kk.csv", [HEADER, *rows(2)]))
    assert exc is not None
    assert make_no_kk(99) in err


def test_a_file_without_kelurahan_needs_one_chosen(tmp_path, kelurahan_a):
    header = ["no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga"]
    path = write_csv(tmp_path / "kk.csv", [header, [make_no_kk(1), "Budi", make_nik(1)]])
    _out, _err, exc = run(path)
    assert exc is not None and "kode_kelurahan" in str(exc)
    out, err, exc = run(path, "--kelurahan", "Sepinggan")
    assert exc is None, err
    assert Household.objects.get().kelurahan == kelurahan_a


def test_created_ids_are_recorded_as_runs_of_consecutive_ids():
    from imports.copying import id_ranges

    assert id_ranges([7, 1, 2, 3, 8, 10]) == [[1, 3], [7, 8], [10, 10]]
    assert id_ranges([]) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL triggers")
def test_a_trigger_on_the_household_table_still_fires_during_an_import(tmp_path, kelurahan_a):
    """The import skips the per-row foreign-key triggers only when the table has none of its own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_upper_name() RETURNS trigger AS $$ BEGIN NEW.head_name = upper(NEW.head_name); "
            "RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        cursor.execute("CREATE TRIGGER test_upper_name BEFORE INSERT ON members_household FOR EACH ROW EXECUTE FUNCTION test_upper_name()")
    path = write_csv(tmp_path / "kk.csv", [HEADER, ["64.71.05.1002", make_no_kk(1), "Ahmad Saputra", make_nik(1), "Jl. Mawar 1", "7", ""]])
    run_command("import_households", path)
    assert Household.objects.get().head_name == "AHMAD SAPUTRA"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL triggers")
def test_rows_inserted_without_row_triggers_must_reference_existing_rows(kelurahan_a):
    from django.db import IntegrityError, transaction

    from imports.copying import _foreign_keys_checked_once, _lock_referenced_rows

    with connection.cursor() as cursor:
        keys = _foreign_keys_checked_once(cursor, Household, ["no_kk", "kelurahan_id"])
        assert [f.name for f in keys] == ["kelurahan"]
        assert _foreign_keys_checked_once(cursor, Household, ["no_kk", "head_nik"]) == []
        cursor.execute("CREATE TEMP TABLE fk_rows AS SELECT no_kk, kelurahan_id FROM members_household WITH NO DATA")
        cursor.execute("INSERT INTO fk_rows VALUES (%s, %s)", [make_no_kk(1), kelurahan_a.pk])
        _lock_referenced_rows(cursor, keys, "fk_rows")
        cursor.execute("INSERT INTO fk_rows VALUES (%s, %s)", [make_no_kk(2), 987654])
        with pytest.raises(IntegrityError), transaction.atomic():
            _lock_referenced_rows(cursor, keys, "fk_rows")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY")
def test_copy_keeps_every_character_of_a_value():
    from imports.copying import _copy

    values = ["a\\b", "tab\there", "line\nbreak", "cr\rhere", "\\N", "", "Jl. Ke'bun \"7\"", "Cempaka • ümlaut"]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE copy_check (n int, value text)")
        _copy(cursor, "copy_check", ["n", "value"], list(enumerate(values)))
        cursor.execute("SELECT value FROM copy_check ORDER BY n")
        assert [row[0] for row in cursor.fetchall()] == values


def test_a_file_with_only_the_required_columns_and_short_rows_is_imported(tmp_path, kelurahan_a):
    header = ["no_kk", "kode_kelurahan", "nama_kepala_keluarga", "nik_kepala_keluarga", "rt"]
    path = write_csv(tmp_path / "kk.csv", [
        header,
        [make_no_kk(1), "64.71.05.1002", "Ani", make_nik(1), "7"],
        [make_no_kk(2), "64.71.05.1002", "Budi", make_nik(2)],  # a short row: no RT cell
    ])
    run(path)
    households = {h.no_kk: (h.head_name, h.head_nik, h.address, h.rt, h.rw) for h in Household.objects.all()}
    assert households == {make_no_kk(1): ("Ani", make_nik(1), "", "007", ""), make_no_kk(2): ("Budi", make_nik(2), "", "", "")}
