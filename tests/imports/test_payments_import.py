"""Importing simpanan payments (setoran) kept in Excel, through the import pipeline: upload →
preview checked against the ledger and the earlier rows of the file → error file → all-or-
nothing commit through `koperasi.simpanan.record_payment` (receipts, balances, activation) →
undo by reversing entries, refused while a later entry depends on them.

Every file is a real XLSX (openpyxl) or `;` CSV written by the test; each test runs on SQLite
and on PostgreSQL."""

import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from imports import payments, services
from imports.base import UndoRefused
from imports.models import ImportBatch
from koperasi import simpanan
from koperasi.models import Account, Cooperative, Entry
from members.models import Member, MemberStatusChange
from members.services import record_leaving, register_member
from tests.factories import UserFactory, make_nik, make_no_kk
from tests.files import run_command, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

HEADER = ["nomor_anggota", "nik", "nama", "tanggal", "jenis", "jumlah", "bulan", "cara_bayar", "referensi"]
JOINED = date(2025, 9, 1)


def applicant(kelurahan, serial):
    return register_member(kelurahan=kelurahan, nik=make_nik(serial), name=f"Calon {serial}", joined_on=JOINED,
                           no_kk=make_no_kk(serial), status=Member.Status.CALON)


def active(kelurahan, serial):
    return register_member(kelurahan=kelurahan, nik=make_nik(serial), name=f"Anggota {serial}", joined_on=JOINED,
                           no_kk=make_no_kk(serial))


def pay(member, jenis="Simpanan Pokok", jumlah="Rp 50.000", tanggal="05/09/2025", bulan="", cara="", ref="", nik="", nomor=None):
    """One payment row: the member named by their number unless `nomor` says otherwise."""
    return [member.member_number if nomor is None else nomor, nik, member.name, tanggal, jenis, jumlah, bulan, cara, ref]


def check(path, user, kelurahan=None):
    """Upload and check a file through the services, as the pages do."""
    uploaded = SimpleUploadedFile(path.name, path.read_bytes())
    batch = services.create_batch(kind="payments", uploaded=uploaded, user=user, kelurahan=kelurahan)
    services.validate_batch(batch)
    batch.refresh_from_db()
    return batch


def commit(batch, user):
    services.commit_batch(batch, user)
    batch.refresh_from_db()
    return batch


def problems(batch):
    return [(p["row"], p["column"]) for p in batch.preview["problems"]]


def ledger():
    """Everything a payments import or its undo may change."""
    return (
        list(Entry.objects.order_by("pk").values_list("pk", "member_id", "kind", "type", "amount", "months", "receipt_number")),
        list(Account.objects.order_by("pk").values_list("pk", "pokok", "wajib", "wajib_months", "sukarela", "pokok_paid_on")),
        list(Member.objects.order_by("pk").values_list("pk", "status", "joined_on")),
        MemberStatusChange.objects.count(),
    )


def upload(client, path, **extra):
    with open(path, "rb") as fh:
        return client.post(reverse("imports:import_create"), {"kind": "payments", "file": fh, **extra})


def latest():
    return ImportBatch.objects.latest("pk")


# --- the happy path --------------------------------------------------------------------------

def test_payments_are_recorded_with_receipts_balances_and_the_activation_of_an_applicant(tmp_path, kelurahan_a, admin_user):
    calon = applicant(kelurahan_a, 1)
    anggota = active(kelurahan_a, 2)
    rows = [
        HEADER,
        pay(calon, "Simpanan Pokok", 50000),  # row 2: pays the pokok off, so calon becomes active
        pay(calon, "wajib", 30000, tanggal="06/09/2025"),  # 3 months, from the amount
        pay(anggota, "pokok", "50000"),
        pay(anggota, "Simpanan Sukarela", 25000.0, tanggal=date(2025, 9, 7), cara="Transfer", ref="TRF-77"),
        pay(anggota, "SW", 10000, tanggal="07/09/2025", bulan=1, cara="QRIS"),
    ]
    batch = check(write_xlsx(tmp_path / "setoran.xlsx", rows, text_columns=("A", "B")), admin_user)
    assert (batch.status, batch.layout, batch.rows_total, batch.rows_new, batch.rows_invalid) == ("ready", "payment_list", 5, 5, 0)
    assert not Entry.objects.exists()  # the preview writes nothing
    assert batch.preview["new"][0]["after"]["member"] == f"{calon.member_number} Calon 1"

    batch = commit(batch, admin_user)
    assert batch.status == "committed"
    entries = list(Entry.objects.order_by("pk"))
    assert [e.receipt_number for e in entries] == [f"KW-64.71.05.1002-{n:06d}" for n in range(1, 6)]  # in file order
    assert {e.import_batch_id for e in entries} == {batch.pk}
    assert {e.recorded_by for e in entries} == {admin_user}
    assert [(e.kind, e.amount, e.months, e.method) for e in entries] == [
        ("pokok", 50000, 0, "tunai"), ("wajib", 30000, 3, "tunai"), ("pokok", 50000, 0, "tunai"),
        ("sukarela", 25000, 0, "transfer"), ("wajib", 10000, 1, "qris"),
    ]
    assert entries[3].reference == "TRF-77"
    calon.refresh_from_db()
    assert (calon.status, calon.joined_on) == ("aktif", date(2025, 9, 5))  # activated on the pokok's date
    assert Account.objects.filter(member=calon).values_list("pokok", "wajib", "wajib_months", "pokok_paid_on").get() == (
        50000, 30000, 3, date(2025, 9, 5))
    assert Account.objects.filter(member=anggota).values_list("pokok", "wajib", "wajib_months", "sukarela").get() == (
        50000, 10000, 1, 25000)
    change = MemberStatusChange.objects.filter(member=calon, status="aktif").get()
    assert batch.activated_members == [[calon.pk, "2025-09-01", change.pk]]


def test_the_upload_pages_check_confirm_and_undo_with_bare_member_numbers_of_the_chosen_kelurahan(
    admin_client_, tmp_path, kelurahan_a, kelurahan_b
):
    calon = applicant(kelurahan_a, 1)
    anggota = active(kelurahan_a, 2)
    active(kelurahan_b, 3)  # number 00001 of Manggar: not the one meant
    rows = [HEADER, pay(calon, nomor="1"), pay(anggota, "sukarela", "15000", nomor="00002"), pay(anggota, "pokok", nomor="2", nik=anggota.nik)]
    response = upload(admin_client_, write_xlsx(tmp_path / "setoran.xlsx", rows, text_columns=("A", "B")), kelurahan="Sepinggan")
    batch = latest()
    assert response.url == batch.get_absolute_url()
    assert (batch.kind, batch.status, batch.rows_new, batch.kelurahan_kode) == ("payments", "ready", 3, "64.71.05.1002")
    page = admin_client_.get(batch.get_absolute_url()).content.decode()
    assert "Calon 1" in page and "Rp 50.000" in page
    assert reverse("imports:import_commit", args=[batch.pk]) in page

    admin_client_.post(reverse("imports:import_commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "committed"
    assert Entry.objects.count() == 3 and Member.objects.get(pk=calon.pk).status == "aktif"
    page = admin_client_.get(batch.get_absolute_url()).content.decode()
    assert reverse("imports:import_undo", args=[batch.pk]) in page

    response = admin_client_.post(reverse("imports:import_undo", args=[batch.pk]), follow=True)
    assert response.status_code == 200
    batch.refresh_from_db()
    assert batch.status == "undone"
    assert Entry.objects.filter(type="koreksi").count() == 3
    assert Member.objects.get(pk=calon.pk).status == "calon"


def test_a_member_is_found_by_nik_and_the_name_column_is_compared(tmp_path, kelurahan_a, admin_user):
    anggota = active(kelurahan_a, 1)
    rows = [HEADER, pay(anggota, "sukarela", 5000, nomor="", nik=anggota.nik), [anggota.member_number, "", "Orang Lain", "05/09/2025", "sukarela", 5000, "", "", ""]]
    batch = check(write_xlsx(tmp_path / "nik.xlsx", rows, text_columns=("A", "B")), admin_user)
    assert batch.status == "ready" and batch.rows_new == 2
    assert any("3" in w for w in batch.preview["warnings"])  # the name on row 3 is another's


def test_a_payment_already_in_the_ledger_is_warned_about(tmp_path, kelurahan_a, admin_user):
    anggota = active(kelurahan_a, 1)
    simpanan.record_payment(member=anggota, kind="sukarela", amount=5000, paid_on=date(2025, 9, 5))
    batch = check(write_csv(tmp_path / "a.csv", [HEADER, pay(anggota, "sukarela", "5000")], delimiter=";"), admin_user)
    assert batch.status == "ready"
    assert batch.preview["warnings"]  # same member, kind, date and amount: imported before?


# --- every row error: its row and column, nothing written ------------------------------------

@pytest.fixture
def people(kelurahan_a, kelurahan_b):
    anggota = active(kelurahan_a, 1)
    calon = applicant(kelurahan_a, 2)
    lain = active(kelurahan_b, 3)
    keluar = active(kelurahan_a, 4)
    record_leaving(member=keluar, status="keluar", left_on=date(2025, 10, 1))
    lunas = active(kelurahan_a, 5)
    simpanan.record_payment(member=lunas, kind="pokok", paid_on=date(2025, 9, 2))
    return {"anggota": anggota, "calon": calon, "lain": lain, "keluar": keluar, "lunas": lunas}


def tomorrow():
    return (timezone.localdate() + timedelta(days=1)).strftime("%d/%m/%Y")


ROW_ERRORS = {
    "unknown member": (lambda p: pay(p["anggota"], nomor="64.71.05.1002-09999"), "nomor_anggota"),
    "unknown NIK": (lambda p: pay(p["anggota"], nomor="", nik=make_nik(99)), "nik"),
    "member of another kelurahan": (lambda p: pay(p["lain"], "sukarela", 5000), "nomor_anggota"),
    "NIK of another kelurahan": (lambda p: pay(p["lain"], "sukarela", 5000, nomor="", nik=p["lain"].nik), "nik"),
    "NIK of another member": (lambda p: pay(p["anggota"], "sukarela", 5000, nik=p["calon"].nik), "nik"),
    "former member": (lambda p: pay(p["keluar"], "sukarela", 5000), "nomor_anggota"),
    "date in the future": (lambda p: pay(p["anggota"], tanggal=tomorrow()), "tanggal"),
    "date before the member joined": (lambda p: pay(p["anggota"], tanggal="31/08/2025"), "tanggal"),
    "not a date": (lambda p: pay(p["anggota"], tanggal="kemarin"), "tanggal"),
    "second pokok": (lambda p: pay(p["lunas"], "pokok", 50000), "jenis"),
    "pokok over the amount due": (lambda p: pay(p["anggota"], "pokok", "Rp 60.000"), "jumlah"),
    "wajib not a multiple of the monthly amount": (lambda p: pay(p["anggota"], "wajib", 15000), "jumlah"),
    "wajib amount not the months given": (lambda p: pay(p["anggota"], "wajib", 30000, bulan=2), "jumlah"),
    "wajib for more than 24 months": (lambda p: pay(p["anggota"], "wajib", 250000), "jumlah"),
    "wajib by an applicant": (lambda p: pay(p["calon"], "wajib", 10000), "jenis"),
    "months for a pokok": (lambda p: pay(p["anggota"], "pokok", 50000, bulan=1), "bulan"),
    "negative amount": (lambda p: pay(p["anggota"], "sukarela", "-10000"), "jumlah"),
    "zero": (lambda p: pay(p["anggota"], "sukarela", 0), "jumlah"),
    "fraction of a rupiah": (lambda p: pay(p["anggota"], "sukarela", "10.000,50"), "jumlah"),
    "fraction from Excel": (lambda p: pay(p["anggota"], "sukarela", 10000.5), "jumlah"),
    "not an amount": (lambda p: pay(p["anggota"], "sukarela", "sepuluh ribu"), "jumlah"),
    "unknown kind": (lambda p: pay(p["anggota"], "arisan", 10000), "jenis"),
    "unknown method": (lambda p: pay(p["anggota"], "sukarela", 10000, cara="cek"), "cara_bayar"),
    "no member at all": (lambda p: pay(p["anggota"], "sukarela", 10000, nomor=""), "nomor_anggota"),
}


@pytest.mark.parametrize("case", list(ROW_ERRORS))
def test_a_row_error_is_reported_with_its_row_and_column_and_nothing_is_written(tmp_path, people, kelurahan_a, admin_user, case):
    make_row, column = ROW_ERRORS[case]
    rows = [HEADER, pay(people["anggota"], "sukarela", 10000), make_row(people)]
    before = ledger()
    batch = check(write_xlsx(tmp_path / "setoran.xlsx", rows, text_columns=("A", "B")), admin_user, kelurahan=kelurahan_a)
    assert batch.status == "invalid"
    assert problems(batch) == [(3, column)], batch.preview["problems"]
    assert batch.preview["problems"][0]["message"]
    assert batch.error_file
    commit(batch, admin_user)  # not importable: the page offers no confirmation, and the service refuses
    assert ledger() == before


def test_the_earlier_rows_of_the_file_count(tmp_path, people, admin_user):
    anggota, calon = people["anggota"], people["calon"]
    rows = [
        HEADER,
        pay(anggota, "pokok", 30000),
        pay(anggota, "pokok", 30000, tanggal="06/09/2025"),  # only Rp 20.000 remains after row 2
        pay(calon, "wajib", 10000),  # still an applicant: the pokok comes later in the file
        pay(calon, "pokok", 50000),
        pay(calon, "wajib", 10000, tanggal="06/09/2025"),  # active since row 5
        pay(calon, "pokok", 50000, tanggal="07/09/2025"),  # a second pokok
    ]
    batch = check(write_csv(tmp_path / "a.csv", rows, delimiter=";"), admin_user)
    assert problems(batch) == [(3, "jumlah"), (4, "jenis"), (7, "jenis")]
    assert "7" not in batch.preview["problems"][2]["message"] and "5" in batch.preview["problems"][2]["message"]
    assert not Entry.objects.filter(member__in=[anggota, calon]).exists()


def test_the_error_file_lists_every_invalid_row_with_what_is_wrong(admin_client_, tmp_path, people):
    rows = [HEADER, pay(people["anggota"], "sukarela", 10000), pay(people["anggota"], "wajib", 15000), pay(people["keluar"], "sukarela", 5000)]
    upload(admin_client_, write_csv(tmp_path / "a.csv", rows, delimiter=";"))
    batch = latest()
    assert (batch.status, batch.rows_invalid) == ("invalid", 2)
    page = admin_client_.get(batch.get_absolute_url()).content.decode()
    assert reverse("imports:import_commit", args=[batch.pk]) not in page
    assert reverse("imports:import_errors", args=[batch.pk]) in page
    response = admin_client_.get(reverse("imports:import_errors", args=[batch.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    listed = list(sheet.values)
    assert [r[0] for r in listed[1:]] == [3, 4]
    assert listed[1][1].startswith("jumlah: ") and listed[2][1].startswith("nomor_anggota: ")
    assert not Entry.objects.filter(member=people["anggota"]).exists()


def test_a_file_without_the_required_columns_is_refused_whole(tmp_path, kelurahan_a, admin_user):
    batch = check(write_csv(tmp_path / "a.csv", [["nama", "tanggal", "jenis"], ["Ani", "05/09/2025", "pokok"]], delimiter=";"), admin_user)
    assert batch.status == "invalid"
    assert "jumlah" in batch.message and "nomor_anggota" in batch.message and "nik" in batch.message


def test_a_file_with_too_many_payments_is_refused_whole(tmp_path, kelurahan_a, admin_user, monkeypatch):
    monkeypatch.setattr(payments, "MAX_PAYMENT_ROWS", 2)
    anggota = active(kelurahan_a, 1)
    rows = [HEADER, *[pay(anggota, "sukarela", 1000) for _ in range(3)]]
    batch = check(write_csv(tmp_path / "a.csv", rows, delimiter=";"), admin_user)
    assert batch.status == "invalid" and "2" in batch.message
    assert not Entry.objects.exists()


# --- CSV as Excel writes it ------------------------------------------------------------------

def test_a_semicolon_csv_with_excel_mangled_numbers_and_indonesian_headers(tmp_path, kelurahan_a, admin_user):
    calon = applicant(kelurahan_a, 1)
    anggota = active(kelurahan_a, 2)
    header = ["No. Anggota", "NIK", "Nama Anggota", "Tgl Bayar", "Jenis Simpanan", "Jumlah (Rp)", "Jml Bulan", "Cara Bayar", "No. Ref", "Keterangan"]
    rows = [
        header,
        [calon.member_number, "", "Calon 1", "5/9/2025", "SIMPANAN POKOK", "Rp 50.000,00", "", "Tunai", "", "lunas"],
        [calon.member_number, "", "Calon 1", "2025-09-06 00:00:00", "Simp. Wajib", "3,00E+04", "3,00", "", "", ""],
        [anggota.member_number, "", "Anggota 2", "06-09-2025", "sukarela", "Rp10.000,-", "", "Transfer Bank", "TRF 1", ""],
        [anggota.member_number, "", "Anggota 2", "06.09.2025", "Pokok", "50000,00", "", "qris", "", ""],
        [anggota.member_number, "", "Anggota 2", "07/09/2025", "wajib", "Rp\u00a020.000", "2 bulan", "cash", "", ""],
        [anggota.member_number, "", "Anggota 2", "08/09/2025", "sukarela", "1.250.000", "", "", "", ""],
    ]
    path = write_csv(tmp_path / "setoran.csv", rows, delimiter=";", encoding="cp1252")
    batch = check(path, admin_user)
    assert batch.status == "ready", batch.preview["problems"]
    assert any("Keterangan" in w for w in batch.preview["warnings"])  # not imported, and said so
    commit(batch, admin_user)
    assert list(Entry.objects.order_by("pk").values_list("kind", "amount", "months", "method", "paid_on")) == [
        ("pokok", 50000, 0, "tunai", date(2025, 9, 5)),
        ("wajib", 30000, 3, "tunai", date(2025, 9, 6)),
        ("sukarela", 10000, 0, "transfer", date(2025, 9, 6)),
        ("pokok", 50000, 0, "qris", date(2025, 9, 6)),
        ("wajib", 20000, 2, "tunai", date(2025, 9, 7)),
        ("sukarela", 1250000, 0, "tunai", date(2025, 9, 8)),
    ]
    assert Account.objects.get(member=anggota).sukarela == 1260000


def test_a_nik_excel_turned_into_a_number_is_a_row_error_with_advice(tmp_path, kelurahan_a, admin_user):
    anggota = active(kelurahan_a, 1)
    rows = [HEADER, ["", "6,47105E+15", anggota.name, "05/09/2025", "pokok", "50000", "", "", ""]]
    batch = check(write_csv(tmp_path / "a.csv", rows, delimiter=";"), admin_user)
    assert problems(batch) == [(2, "nik")]
    assert not Entry.objects.exists()


# --- all or nothing --------------------------------------------------------------------------

def test_a_ledger_changed_since_the_check_is_checked_again_at_commit_and_nothing_is_written(tmp_path, kelurahan_a, admin_user):
    anggota = active(kelurahan_a, 1)
    batch = check(write_csv(tmp_path / "a.csv", [HEADER, pay(anggota, "sukarela", 5000), pay(anggota, "pokok", 50000)], delimiter=";"), admin_user)
    assert batch.status == "ready"
    simpanan.record_payment(member=anggota, kind="pokok", paid_on=date(2025, 9, 3))  # an officer, meanwhile
    before = ledger()
    batch = commit(batch, admin_user)
    assert batch.status == "invalid" and problems(batch) == [(3, "jenis")]
    assert ledger() == before


@pytest.mark.parametrize("failure", [ValidationError("Ditolak."), RuntimeError("disk full")], ids=["refused", "crash"])
def test_a_failure_in_the_middle_of_the_commit_writes_nothing(tmp_path, kelurahan_a, admin_user, monkeypatch, failure):
    calon = applicant(kelurahan_a, 1)
    anggota = active(kelurahan_a, 2)
    rows = [HEADER, pay(calon, "pokok", 50000), pay(anggota, "sukarela", 5000), pay(anggota, "sukarela", 7000)]
    batch = check(write_csv(tmp_path / "a.csv", rows, delimiter=";"), admin_user)
    assert batch.status == "ready"
    real, calls = payments.record_payment, []

    def third_fails(**kwargs):
        calls.append(kwargs)
        if len(calls) == 3:
            raise failure
        return real(**kwargs)

    monkeypatch.setattr(payments, "record_payment", third_fails)
    before = ledger()
    batch = commit(batch, admin_user)
    assert len(calls) == 3
    assert batch.status == ("invalid" if isinstance(failure, ValidationError) else "failed")
    assert batch.message
    assert ledger() == before  # the activation on row 2 and the entries of rows 2-3 were rolled back
    monkeypatch.undo()
    # no receipt number was used up
    assert simpanan.record_payment(member=anggota, kind="sukarela", amount=1000, paid_on=JOINED).receipt_number == "KW-64.71.05.1002-000001"


# --- undo ------------------------------------------------------------------------------------

def imported(tmp_path, user, rows, name="setoran.csv"):
    batch = commit(check(write_csv(tmp_path / name, [HEADER, *rows], delimiter=";"), user), user)
    assert batch.status == "committed", batch.preview["problems"] or batch.message
    return batch


def test_undo_reverses_every_entry_and_makes_the_applicant_an_applicant_again(tmp_path, kelurahan_a, admin_user):
    calon = applicant(kelurahan_a, 1)
    anggota = active(kelurahan_a, 2)
    batch = imported(tmp_path, admin_user, [
        pay(calon, "pokok", 50000), pay(calon, "wajib", 20000, tanggal="06/09/2025"),
        pay(anggota, "sukarela", 25000), pay(anggota, "pokok", 20000),
    ])
    applied = MemberStatusChange.objects.filter(member=calon).count()
    with translation.override("en"):
        services.undo_batch(batch, admin_user)
    batch.refresh_from_db()
    assert (batch.status, batch.undone_by) == ("undone", admin_user)
    corrections = list(Entry.objects.filter(type="koreksi").order_by("pk"))
    assert len(corrections) == 4
    assert {c.reason for c in corrections} == {f"import {batch.pk} undone"}
    assert [c.reverses.receipt_number for c in corrections] == [f"KW-64.71.05.1002-{n:06d}" for n in range(1, 5)]
    assert [c.receipt_number for c in corrections] == [f"KW-64.71.05.1002-{n:06d}" for n in range(5, 9)]
    assert Entry.objects.count() == 8  # nothing deleted: the ledger is append-only
    for member in (calon, anggota):
        account = Account.objects.get(member=member)
        assert (account.pokok, account.wajib, account.wajib_months, account.sukarela, account.pokok_paid_on) == (0, 0, 0, 0, None)
    calon.refresh_from_db()
    assert (calon.status, calon.joined_on) == ("calon", JOINED)
    assert MemberStatusChange.objects.filter(member=calon).count() == applied + 1  # appended, not deleted
    assert not Member.objects.active_on(timezone.localdate()).filter(pk=calon.pk).exists()
    assert Member.objects.get(pk=anggota.pk).status == "aktif"
    with pytest.raises(UndoRefused):
        services.undo_batch(batch, admin_user)  # once only


def test_undo_skips_an_entry_already_corrected_by_hand(tmp_path, kelurahan_a, admin_user):
    anggota = active(kelurahan_a, 1)
    batch = imported(tmp_path, admin_user, [pay(anggota, "sukarela", 25000), pay(anggota, "sukarela", 5000)])
    simpanan.reverse_entry(entry=Entry.objects.get(amount=5000), reason="salah ketik")
    services.undo_batch(batch, admin_user)
    assert Entry.objects.filter(type="koreksi").count() == 2
    assert Account.objects.get(member=anggota).sukarela == 0


def refused(batch, user):
    before = ledger()
    with pytest.raises(UndoRefused) as exc:
        services.undo_batch(batch, user)
    assert ledger() == before
    batch.refresh_from_db()
    assert batch.status == "committed"
    return str(exc.value)


def test_undo_is_refused_when_a_withdrawal_since_would_overdraw(tmp_path, kelurahan_a, admin_user):
    anggota = active(kelurahan_a, 1)
    batch = imported(tmp_path, admin_user, [pay(anggota, "sukarela", 25000), pay(anggota, "pokok", 50000)])
    simpanan.record_withdrawal(member=anggota, amount=20000, paid_on=date(2025, 9, 10))
    assert anggota.member_number in refused(batch, admin_user)


def test_undo_is_refused_when_the_activated_member_has_paid_wajib_since(tmp_path, kelurahan_a, admin_user):
    calon = applicant(kelurahan_a, 1)
    batch = imported(tmp_path, admin_user, [pay(calon, "pokok", 50000)])
    simpanan.record_payment(member=calon, kind="wajib", months=1, paid_on=date(2025, 9, 10))
    assert calon.member_number in refused(batch, admin_user)


def test_undo_is_refused_when_a_later_pokok_completed_the_imported_one(tmp_path, kelurahan_a, admin_user):
    anggota = active(kelurahan_a, 1)
    batch = imported(tmp_path, admin_user, [pay(anggota, "pokok", 20000)])
    simpanan.record_payment(member=anggota, kind="pokok", paid_on=date(2025, 9, 10))  # the remaining Rp 30.000
    assert anggota.member_number in refused(batch, admin_user)


def test_undo_is_refused_when_the_activating_pokok_was_corrected_and_paid_again_by_hand(tmp_path, kelurahan_a, admin_user):
    calon = applicant(kelurahan_a, 1)
    batch = imported(tmp_path, admin_user, [pay(calon, "pokok", 50000)])
    simpanan.reverse_entry(entry=Entry.objects.get(), reason="tanggal salah")
    simpanan.record_payment(member=calon, kind="pokok", paid_on=date(2025, 9, 6))  # paid again: they stay active
    assert calon.member_number in refused(batch, admin_user)


def test_undo_is_refused_when_the_member_left_since(tmp_path, kelurahan_a, admin_user):
    anggota = active(kelurahan_a, 1)
    batch = imported(tmp_path, admin_user, [pay(anggota, "pokok", 50000)])
    record_leaving(member=anggota, status="keluar", left_on=date(2025, 10, 1))
    assert anggota.member_number in refused(batch, admin_user)


def test_a_refused_undo_on_the_page_says_why_and_changes_nothing(admin_client_, tmp_path, kelurahan_a, admin_user):
    anggota = active(kelurahan_a, 1)
    batch = imported(tmp_path, admin_user, [pay(anggota, "sukarela", 25000)])
    simpanan.record_withdrawal(member=anggota, amount=20000, paid_on=date(2025, 9, 10))
    before = ledger()
    response = admin_client_.post(reverse("imports:import_undo", args=[batch.pk]), follow=True)
    assert response.status_code == 200
    assert anggota.member_number in response.content.decode()
    assert ledger() == before and latest().status == "committed"


def test_a_second_import_paying_for_the_members_an_earlier_one_activated_blocks_its_undo(tmp_path, kelurahan_a, admin_user):
    calon = applicant(kelurahan_a, 1)
    first = imported(tmp_path, admin_user, [pay(calon, "pokok", 50000)], "a.csv")
    second = imported(tmp_path, admin_user, [pay(calon, "wajib", 10000, tanggal="10/09/2025")], "b.csv")
    refused(first, admin_user)
    services.undo_batch(second, admin_user)
    services.undo_batch(first, admin_user)  # in reverse order, both undo
    assert Member.objects.get(pk=calon.pk).status == "calon"


# --- in the task worker, and the rest of the pipeline -----------------------------------------

def test_large_files_and_their_undo_run_in_the_task_worker(
    admin_client_, tmp_path, kelurahan_a, settings, django_capture_on_commit_callbacks
):
    settings.KKMP_IMPORT_BACKGROUND_BYTES = 10  # every file goes to the worker (immediate in tests)
    anggota = active(kelurahan_a, 1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        upload(admin_client_, write_csv(tmp_path / "a.csv", [HEADER, pay(anggota, "sukarela", 5000)], delimiter=";"))
    assert len(callbacks) == 1
    batch = latest()
    assert batch.status == "ready"
    with django_capture_on_commit_callbacks(execute=True):
        admin_client_.post(reverse("imports:import_commit", args=[batch.pk]))
    assert latest().status == "committed" and Entry.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        admin_client_.post(reverse("imports:import_undo", args=[batch.pk]))
    assert len(callbacks) == 1
    batch = latest()
    assert (batch.status, batch.message) == ("undone", "")
    assert Account.objects.get(member=anggota).sukarela == 0


def test_a_refused_undo_in_the_worker_is_told_on_the_batch(tmp_path, kelurahan_a, admin_user, settings, django_capture_on_commit_callbacks):
    from imports import tasks

    anggota = active(kelurahan_a, 1)
    batch = imported(tmp_path, admin_user, [pay(anggota, "sukarela", 25000)])
    simpanan.record_withdrawal(member=anggota, amount=20000, paid_on=date(2025, 9, 10))
    settings.KKMP_IMPORT_BACKGROUND_BYTES = 10
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.start_undo(batch, admin_user) is False
    batch.refresh_from_db()
    assert batch.status == "committed" and anggota.member_number in batch.message


def test_the_command_imports_payments(tmp_path, kelurahan_a, admin_user):
    anggota = active(kelurahan_a, 1)
    path = write_csv(tmp_path / "a.csv", [HEADER, pay(anggota, "pokok", 50000)], delimiter=";")
    out, err, exc = run_command("import_payments", path, "--dry-run")
    assert exc is None, err
    assert not Entry.objects.exists()
    out, err, exc = run_command("import_payments", path, "--kelurahan", "Sepinggan")
    assert exc is None, err
    assert Account.objects.get(member=anggota).pokok == 50000


def test_the_cooperatives_own_amounts_apply(tmp_path, kelurahan_a, admin_user):
    Cooperative.objects.create(kelurahan=kelurahan_a, pokok_amount=100_000, wajib_amount=25_000)
    anggota = active(kelurahan_a, 1)
    batch = check(write_csv(tmp_path / "a.csv", [HEADER, pay(anggota, "pokok", 100000), pay(anggota, "wajib", 75000), pay(anggota, "wajib", 20000)], delimiter=";"), admin_user)
    assert problems(batch) == [(4, "jumlah")]


def test_the_template_has_the_payment_columns(admin_client_):
    response = admin_client_.get(reverse("imports:import_template", args=["payments", "xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert list(next(sheet.values)) == HEADER


def test_only_admins_import_payments(client, officer, tmp_path, kelurahan_a):
    anggota = active(kelurahan_a, 1)
    client.force_login(officer)
    response = upload(client, write_csv(tmp_path / "a.csv", [HEADER, pay(anggota)], delimiter=";"))
    assert response.status_code == 403
    client.force_login(UserFactory(username="staf", is_staff=True))
    assert upload(client, write_csv(tmp_path / "a.csv", [HEADER, pay(anggota)], delimiter=";")).status_code == 403
    assert not ImportBatch.objects.exists() and not Entry.objects.exists()

