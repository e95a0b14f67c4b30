"""Files an outside tester sent (issue 10, points 9-11): what must be refused whole, what must
be reported row by row with its column, and how a changed KK is shown and recorded.

Every file is written by the test; each goes through `manage.py import_households` as the
admins run it (and a dry run), on SQLite and on PostgreSQL (the COPY path)."""

import pytest
from django.urls import reverse

from imports.models import ImportBatch, ImportRowChange
from members.models import Household
from tests.factories import HouseholdFactory, make_nik, make_no_kk
from tests.files import run_command, write_csv

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("admin_user")]

HEADER = ["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga", "alamat", "rt", "rw"]
KODE = "64.71.05.1002"


def row(i, **changes):
    values = dict(zip(HEADER, [KODE, make_no_kk(i), f"Kepala {i}", make_nik(i), f"Jl. Mawar {i}", "7", ""]))
    values.update(changes)
    return [values[h] for h in HEADER]


def run(path, *args):
    return run_command("import_households", path, *args)


def write_text(path, text):
    path.write_text(text, encoding="utf-8")
    return path


# --- 9. refused whole, one file-level message, nothing changed ----------------------------

@pytest.mark.parametrize(
    "header, named",
    [
        (["foo", "bar", "baz"], ["kode_kelurahan", "no_kk"]),
        (["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "alamat", "rt"], ["nik_kepala_keluarga"]),
        (["kode_kelurahan", "no_kk", "nik_kepala_keluarga", "alamat"], ["nama_kepala_keluarga"]),
        (["kode_kelurahan", "no_kk", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga"], ["no_kk"]),
        (["kode_kelurahan", "No. KK", "NO_KK", "nama_kepala_keluarga", "nik_kepala_keluarga"], ["No. KK", "NO_KK"]),
    ],
    ids=["wrong headers", "no head NIK column", "no head name column", "duplicated header", "same column spelt twice"],
)
def test_a_file_without_the_required_columns_is_refused_whole(tmp_path, kelurahan_a, header, named):
    data = [header, [KODE, make_no_kk(1), make_no_kk(2), "Ani", make_nik(1)][: len(header)]]
    path = write_csv(tmp_path / "kk.csv", data)
    for args in ((), ("--dry-run",)):
        _out, _err, exc = run(path, *args)
        assert exc is not None
        for name in named:
            assert name in str(exc)
    assert not Household.objects.exists()
    assert not ImportBatch.objects.filter(status=ImportBatch.Status.COMMITTED).exists()


def test_a_header_row_without_data_is_refused(tmp_path, kelurahan_a):
    _out, _err, exc = run(write_csv(tmp_path / "kk.csv", [HEADER, ["", "", "", "", "", "", ""]]))
    assert exc is not None and "tidak ada baris data" in str(exc)


def test_unknown_extra_columns_are_named_in_a_warning(tmp_path, kelurahan_a):
    path = write_csv(tmp_path / "kk.csv", [[*HEADER, "hobi", "Warna Favorit"], [*row(1), "x", "y"]])
    out, err, exc = run(path)
    assert exc is None
    assert "hobi" in out + err and "Warna Favorit" in out + err
    assert Household.objects.count() == 1


# --- 10. every invalid row with its row number and column; nothing written ------------------

@pytest.mark.parametrize(
    "cells, column",
    [
        ({"nama_kepala_keluarga": "Ahm\x00ad"}, "nama_kepala_keluarga"),
        ({"no_kk": make_no_kk(3)[:8] + "\x00" + make_no_kk(3)[8:]}, "no_kk"),
        ({"alamat": "Jl. Mawar \x1b[31m1"}, "alamat"),
        ({"nama_kepala_keluarga": "Ahmad\u202eevil"}, "nama_kepala_keluarga"),
        ({"nama_kepala_keluarga": "\u200b\u2060"}, "nama_kepala_keluarga"),
        ({"nama_kepala_keluarga": "\u00a0 \u3000"}, "nama_kepala_keluarga"),
        ({"nama_kepala_keluarga": ""}, "nama_kepala_keluarga"),
        ({"nik_kepala_keluarga": ""}, "nik_kepala_keluarga"),
        ({"nik_kepala_keluarga": "6471051203900"}, "nik_kepala_keluarga"),
        ({"no_kk": "6" * 5000}, "no_kk"),
        ({"nama_kepala_keluarga": "A" * 5000}, "nama_kepala_keluarga"),
        ({"alamat": "B" * 5000}, "alamat"),
        ({"rt": "7" * 500}, "rt"),
        ({"kode_kelurahan": "X" * 5000}, "kode_kelurahan"),
    ],
    ids=["NUL in a name", "NUL in a KK", "terminal escape", "right-to-left override", "invisible name",
         "name of spaces only", "blank name", "blank head NIK", "short NIK", "overlong KK", "overlong name",
         "overlong address", "overlong RT", "overlong kelurahan"],
)
def test_each_invalid_row_is_reported_with_row_and_column(tmp_path, kelurahan_a, cells, column):
    path = write_csv(tmp_path / "kk.csv", [HEADER, row(1), row(2, **cells), row(4)])
    for args in (("--dry-run",), ()):
        out, err, exc = run(path, *args)
        assert exc is not None  # exit status 1, a plain message
        assert f", {column}:" in err or f", kolom {column}:" in err, err
        reported = [line for line in err.splitlines() if f"{column}:" in line]
        assert reported and all(("row 3" in line or "baris 3" in line) for line in reported), err
        assert all(len(line) < 400 for line in err.splitlines())  # a 5,000-character cell is not echoed
    assert not Household.objects.exists()


def test_a_blank_required_cell_leaves_the_existing_household_unchanged(tmp_path, kelurahan_a):
    household = HouseholdFactory(kelurahan=kelurahan_a, no_kk=make_no_kk(1), head_name="Kepala Lama", head_nik=make_nik(1))
    path = write_csv(tmp_path / "kk.csv", [HEADER, row(1, nama_kepala_keluarga="", nik_kepala_keluarga="")])
    _out, err, exc = run(path)
    assert exc is not None and "nama_kepala_keluarga" in err and "nik_kepala_keluarga" in err
    household.refresh_from_db()
    assert (household.head_name, household.head_nik) == ("Kepala Lama", make_nik(1))


def test_line_breaks_and_non_breaking_spaces_are_normalised_not_refused(tmp_path, kelurahan_a):
    path = write_csv(tmp_path / "kk.csv", [HEADER, row(1, nama_kepala_keluarga="Siti\u00a0Aminah", alamat="Jl. Mawar 1\nRT 7")])
    _out, err, exc = run(path)
    assert exc is None, err
    assert Household.objects.values_list("head_name", "address").get() == ("Siti Aminah", "Jl. Mawar 1 RT 7")


def test_a_nul_in_a_csv_cell_is_a_row_problem_not_a_refused_file(tmp_path, kelurahan_a):
    path = write_text(tmp_path / "kk.csv", ",".join(HEADER) + "\n" + ",".join(row(1, alamat="Jl\x00")) + "\n")
    _out, err, exc = run(path)
    assert exc is not None and "alamat" in err and ("row 2" in err or "baris 2" in err)


def test_a_formula_cell_of_a_workbook_is_an_invalid_row(tmp_path, kelurahan_a):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(row(1))
    sheet.append([KODE, make_no_kk(2), '=CONCAT("Kep","ala")', make_nik(2), "Jl", "7", ""])
    book.save(tmp_path / "kk.xlsx")
    _out, err, exc = run(tmp_path / "kk.xlsx")
    assert exc is not None
    assert [line for line in err.splitlines() if "nama_kepala_keluarga" in line and ("row 3" in line or "baris 3" in line)]
    assert not Household.objects.exists()


# --- 11. a changed KK: old → new in the preview, and who/when/old/new kept -----------------

def test_a_changed_household_is_previewed_old_to_new_and_recorded(admin_client_, tmp_path, kelurahan_a):
    HouseholdFactory(kelurahan=kelurahan_a, no_kk=make_no_kk(1), head_name="Kepala 1", head_nik=make_nik(1), address="Jl. Lama", rt="007")
    path = write_csv(tmp_path / "kk.csv", [HEADER, row(1, alamat="Jl. Baru 5")])
    with open(path, "rb") as fh:
        admin_client_.post(reverse("imports:import_create"), {"kind": "households", "file": fh})
    batch = ImportBatch.objects.latest("pk")
    assert (batch.status, batch.rows_updated) == ("ready", 1)
    page = admin_client_.get(batch.get_absolute_url()).content.decode()
    assert "<del>Jl. Lama</del> → <ins>Jl. Baru 5</ins>" in page
    admin_client_.post(reverse("imports:import_commit", args=[batch.pk]))
    batch.refresh_from_db()
    change = ImportRowChange.objects.get(batch=batch)
    assert (change.before["address"], change.after["address"]) == ("Jl. Lama", "Jl. Baru 5")
    assert batch.committed_by.username == "admin" and batch.committed_at is not None


def test_an_upload_with_control_characters_gets_an_error_file_not_a_server_error(admin_client_, tmp_path, kelurahan_a):
    import io

    import openpyxl

    path = write_csv(tmp_path / "kk.csv", [HEADER, row(1), row(2, alamat="Jl. \x1b[31mMawar", nama_kepala_keluarga="=1+1")])
    with open(path, "rb") as fh:
        response = admin_client_.post(reverse("imports:import_create"), {"kind": "households", "file": fh})
    assert response.status_code == 302
    batch = ImportBatch.objects.latest("pk")
    assert (batch.status, batch.rows_invalid) == ("invalid", 1)
    errors = admin_client_.get(reverse("imports:import_errors", args=[batch.pk]))
    assert errors.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(errors.streaming_content) if errors.streaming else errors.content)).active
    cells = [c for r in sheet.iter_rows(values_only=True) for c in r if isinstance(c, str)]
    assert "Jl. \ufffd[31mMawar" in cells and "'=1+1" in cells
    assert not Household.objects.exists()


def test_title_rows_above_the_headers_are_skipped(tmp_path, kelurahan_a):
    """A Disdukcapil export starts with its title and date; the header is the row below."""
    path = write_csv(tmp_path / "kk.csv", [
        ["DAFTAR KEPALA KELUARGA KELURAHAN SEPINGGAN"], ["Per 30 Juni 2025"], [], HEADER, row(1), row(2, rt="x"),
    ])
    _out, err, exc = run(path)
    assert exc is not None and ("row 6" in err or "baris 6" in err)  # the sheet's own row numbers
    path = write_csv(tmp_path / "kk.csv", [["DAFTAR KEPALA KELUARGA"], HEADER, row(1), row(2)])
    _out, err, exc = run(path)
    assert exc is None, err
    assert Household.objects.count() == 2
