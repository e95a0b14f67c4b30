"""Importing a cooperative's register of members through the import pipeline: new members
only, gap-free numbers, duplicates reported, preview, error file, undo."""

import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from imports.base import UndoRefused
from imports.models import ImportBatch
from imports.pipeline import undo
from members import services
from members.models import Household, Member, MemberStatusChange
from tests.factories import HouseholdFactory, MemberFactory, make_nik, make_no_kk
from tests.files import run_command, write_csv, write_xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("admin_user")]

HEADER = ["kode_kelurahan", "nik", "nama", "jenis_kelamin", "tanggal_lahir", "no_kk", "kepala_keluarga", "tanggal_masuk",
          "status", "telepon", "rt", "simpanan_pokok", "tanggal_simpanan_pokok"]


def row(i, kode="64.71.05.1002", **changes):
    values = dict(zip(HEADER, [kode, make_nik(i), f"Anggota {i}", "", "", make_no_kk(100 + i), "ya", "01/09/2025", "aktif",
                               "0812 3456 789", "7", "50000", "2025-09-01"]))
    values.update(changes)
    return [values[h] for h in HEADER]


def run(path, *args):
    return run_command("import_members", path, *args)


def test_members_are_imported_with_the_next_member_numbers(tmp_path, kelurahan_a):
    MemberFactory(kelurahan=kelurahan_a, member_seq=1, nik=make_nik(900))
    _out, err, exc = run(write_csv(tmp_path / "anggota.csv", [HEADER, row(1), row(2, status="calon"), row(3)]))
    assert exc is None, err
    members = list(Member.objects.filter(kelurahan=kelurahan_a).order_by("member_seq"))
    assert [m.member_number for m in members] == [f"64.71.05.1002-{n:05d}" for n in (1, 2, 3, 4)]
    imported = members[1]
    assert (imported.nik, imported.name, imported.sex, imported.birth_date) == (make_nik(1), "Anggota 1", "L", date(1990, 3, 12))
    assert (imported.phone, imported.domicile_rt) == ("08123456789", "007")
    entry = imported.simpanan.get()  # the simpanan pokok in the file: the first ledger entry, with a receipt
    assert (entry.kind, entry.amount, imported.account.pokok) == ("pokok", 50000, 50000)
    assert entry.receipt_number == "KW-64.71.05.1002-000001"
    assert imported.household.no_kk == make_no_kk(101) and imported.household.head_nik == make_nik(1)
    assert members[2].status == "calon"
    assert list(MemberStatusChange.objects.filter(member=imported).values_list("status", "on")) == [("aktif", date(2025, 9, 1))]
    assert Member.objects.active_on(date(2025, 9, 1)).count() == 2  # the factory member has no history


def test_a_known_household_is_linked(tmp_path, kelurahan_a):
    household = HouseholdFactory(kelurahan=kelurahan_a, no_kk=make_no_kk(101))
    run(write_csv(tmp_path / "a.csv", [HEADER, row(1, kepala_keluarga="")]))
    assert Member.objects.get().household == household
    assert Household.objects.count() == 1


def test_a_nik_already_registered_is_reported_not_merged(tmp_path, kelurahan_a, kelurahan_b):
    MemberFactory(kelurahan=kelurahan_b, nik=make_nik(1), name="Sudah Ada")
    _out, err, exc = run(write_csv(tmp_path / "a.csv", [HEADER, row(1), row(2)]))
    assert exc is not None
    assert "row 2" in err.lower() or "baris 2" in err.lower()
    assert kelurahan_b.nama in err
    assert Member.objects.count() == 1 and Member.objects.get().name == "Sudah Ada"


def test_a_nik_twice_in_the_file_is_reported(tmp_path, kelurahan_a):
    _out, err, exc = run(write_csv(tmp_path / "a.csv", [HEADER, row(1), row(1, nama="Lagi")]))
    assert exc is not None and not Member.objects.exists()


@pytest.mark.parametrize(
    "changes, column",
    [
        ({"nik": "6.47105E+15"}, "nik"),
        ({"nama": ""}, "nama"),
        ({"tanggal_masuk": "kemarin"}, "tanggal_masuk"),
        ({"tanggal_masuk": "2999-01-01"}, "tanggal_masuk"),
        ({"status": "keluar"}, "status"),
        ({"jenis_kelamin": "X"}, "jenis_kelamin"),
        ({"telepon": "12"}, "telepon"),
        ({"rt": "abc"}, "rt"),
        ({"simpanan_pokok": "lima puluh"}, "simpanan_pokok"),
        ({"simpanan_pokok": "-5000"}, "simpanan_pokok"),
        ({"simpanan_pokok": "75000"}, "simpanan_pokok"),  # more than the cooperative's Rp 50.000
        ({"tanggal_simpanan_pokok": "2999-01-01"}, "tanggal_simpanan_pokok"),
        ({"nik": make_nik(5, yy=10), "tanggal_lahir": ""}, "tanggal_lahir"),  # 15 years old, not married
    ],
)
def test_an_invalid_row_is_reported_and_nothing_is_imported(tmp_path, kelurahan_a, changes, column):
    _out, err, exc = run(write_csv(tmp_path / "a.csv", [HEADER, row(1), row(2, **changes)]))
    assert exc is not None
    assert column in err
    assert not Member.objects.exists()


def test_a_young_married_member_is_imported(tmp_path, kelurahan_a):
    header = [*HEADER, "kawin"]
    _out, err, exc = run(write_csv(tmp_path / "a.csv", [header, [*row(1, nik=make_nik(5, yy=10)), "kawin"]]))
    assert exc is None, err
    assert Member.objects.get().is_married


def test_an_xlsx_register_with_text_numbers_is_imported(tmp_path, kelurahan_a):
    path = write_xlsx(tmp_path / "a.xlsx", [HEADER, row(1), row(2)], text_columns=("B", "F"))
    _out, err, exc = run(path)
    assert exc is None, err
    assert Member.objects.count() == 2


def test_the_upload_page_previews_then_imports_with_an_error_file(admin_client_, tmp_path, kelurahan_a):
    with open(write_csv(tmp_path / "a.csv", [HEADER, row(1), row(2, nama="")]), "rb") as fh:
        admin_client_.post(reverse("imports:import_create"), {"kind": "members", "file": fh})
    batch = ImportBatch.objects.latest("pk")
    assert (batch.kind, batch.status, batch.rows_new, batch.rows_invalid) == ("members", "invalid", 1, 1)
    error_file = admin_client_.get(reverse("imports:import_errors", args=[batch.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(error_file.streaming_content))).active
    assert [c.value for c in sheet[2]][:1] == [3]
    with open(write_csv(tmp_path / "b.csv", [HEADER, row(1), row(2)]), "rb") as fh:
        admin_client_.post(reverse("imports:import_create"), {"kind": "members", "file": fh})
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == "ready" and batch.rows_new == 2
    assert "Anggota 1" in admin_client_.get(batch.get_absolute_url()).content.decode()
    admin_client_.post(reverse("imports:import_commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "committed" and Member.objects.count() == 2


def test_the_template_has_the_member_columns(admin_client_):
    response = admin_client_.get(reverse("imports:import_template", args=["members", "csv"]))
    assert response.content.decode("utf-8-sig").splitlines()[0].startswith("kode_kelurahan,nik,nama")


def test_undo_removes_the_imported_members(tmp_path, kelurahan_a, admin_user):
    run(write_csv(tmp_path / "a.csv", [HEADER, row(1), row(2)]))
    undo(ImportBatch.objects.get(), admin_user)
    assert not Member.objects.exists() and not MemberStatusChange.objects.exists()
    # the numbers are given again, without a gap
    run(write_csv(tmp_path / "b.csv", [HEADER, row(3)]))
    assert Member.objects.get().member_number == "64.71.05.1002-00001"


def test_undo_is_refused_once_a_member_was_registered_after_the_import(tmp_path, kelurahan_a, admin_user):
    run(write_csv(tmp_path / "a.csv", [HEADER, row(1), row(2)]))
    services.register_member(kelurahan=kelurahan_a, nik=make_nik(3), name="Baru", joined_on=date(2025, 9, 2))
    with pytest.raises(UndoRefused):
        undo(ImportBatch.objects.get(), admin_user)
    assert Member.objects.count() == 3 and MemberStatusChange.objects.count() == 3


def test_undo_is_refused_once_an_imported_member_changed(tmp_path, kelurahan_a, admin_user):
    run(write_csv(tmp_path / "a.csv", [HEADER, row(1)]))
    member = Member.objects.get()
    services.record_leaving(member=member, status="keluar", left_on=date(2025, 10, 1))
    with pytest.raises(UndoRefused):
        undo(ImportBatch.objects.get(), admin_user)
    assert Member.objects.count() == 1


def test_undo_removes_the_households_the_import_created_and_keeps_the_others(tmp_path, kelurahan_a, admin_user):
    known = HouseholdFactory(kelurahan=kelurahan_a, no_kk=make_no_kk(102))  # row(2)'s KK was known
    run(write_csv(tmp_path / "a.csv", [HEADER, row(1), row(2), row(3)]))
    assert Household.objects.count() == 3
    batch = ImportBatch.objects.get()
    assert batch.created_households  # two new KK numbers
    kept = Household.objects.get(no_kk=make_no_kk(103))
    kept.address = "Jl. Diubah Setelah Impor"  # changed by someone since: it stays
    kept.save()
    undo(batch, admin_user)
    assert set(Household.objects.values_list("no_kk", flat=True)) == {known.no_kk, kept.no_kk}


def test_a_second_head_for_one_kk_is_reported_in_the_file_and_against_the_register(tmp_path, kelurahan_a):
    services.register_member(kelurahan=kelurahan_a, nik=make_nik(90), name="Kepala Lama", joined_on=date(2025, 9, 1),
                             no_kk=make_no_kk(190), is_head_of_household=True)
    rows = [HEADER, row(1), row(2, no_kk=make_no_kk(101)), row(3, no_kk=make_no_kk(190))]  # row(1)'s KK is 101
    _out, err, exc = run(write_csv(tmp_path / "a.csv", rows))
    assert exc is not None
    assert "row 3" in err.lower() or "baris 3" in err.lower()  # the second head of KK 101
    assert "64.71.05.1002-00001" in err  # KK 190's head is already a member
    assert Member.objects.count() == 1
