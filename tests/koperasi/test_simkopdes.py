"""The SIMKOPDES member export, downloaded as an officer and as a reviewer and read back with
openpyxl: SIMKOPDES's columns (docs/simkopdes.md), one row per member, the right cell types,
personal data only in full for who may see it, formulas neutralised, scoped, audited and in a
fixed number of queries."""

import io
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEvent
from koperasi import exports, simpanan
from koperasi.models import Cooperative
from members.models import Member
from members.services import record_leaving, register_member
from tests.factories import make_nik, make_no_kk

pytestmark = pytest.mark.django_db

JOINED = date(2025, 9, 1)

# docs/simkopdes.md, column by column: the file's header row must be exactly this.
DOCUMENTED = [
    "NIK", "Nama Lengkap", "Jenis Kelamin", "Tempat Lahir", "Tanggal Lahir", "Alamat", "RT", "RW", "Desa/Kelurahan",
    "Kecamatan", "Kabupaten/Kota", "Provinsi", "Tanggal Terdaftar", "Nomor Anggota", "Status Keanggotaan",
    "Simpanan Pokok", "Simpanan Wajib",
]


def download(client, kelurahan):
    return client.get(reverse("koperasi:simkopdes_xlsx", args=[kelurahan.pk]))


def sheets(response):
    book = load_workbook(io.BytesIO(response.content))
    return book["Anggota"], book["Keterangan"]


def rows(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def register(kelurahan, serial, **kwargs):
    defaults = dict(kelurahan=kelurahan, nik=make_nik(serial), name=f"Anggota {serial}", joined_on=JOINED,
                    no_kk=make_no_kk(serial), sex="L", birth_date=date(1990, 3, 12))
    return register_member(**{**defaults, **kwargs})


@pytest.fixture
def members(kelurahan_a, kelurahan_b):
    """Ani (active, paid pokok and two months of wajib), Budi (applicant, half the pokok),
    Citra (resigned), a name that is a formula; and a member of kelurahan B."""
    ani = register(kelurahan_a, 1, name="Ani Lestari", sex="P", nik=make_nik(1, female=True, day=2, month=1, yy=85),
                   birth_date=date(1985, 1, 2), ktp_address="Jl. Mawar No. 3", domicile_rt="007", domicile_rw="002")
    simpanan.record_payment(member=ani, kind="pokok", paid_on=JOINED)
    simpanan.record_payment(member=ani, kind="wajib", months=2, paid_on=JOINED)
    budi = register(kelurahan_a, 2, name="Budi", status=Member.Status.CALON)
    simpanan.record_payment(member=budi, kind="pokok", amount=25_000, paid_on=JOINED)
    citra = register(kelurahan_a, 3, name="Citra")
    record_leaving(member=citra, status="keluar", left_on=date(2025, 10, 1))
    formula = register(kelurahan_a, 4, name='=HYPERLINK("http://x.example","klik")', ktp_address="+62 Jl. Minus")
    other = register(kelurahan_b, 5, name="Lain Koperasi")
    return ani, budi, citra, formula, other


def test_the_header_is_the_documented_columns_in_code_and_in_the_docs():
    assert exports.HEADERS == DOCUMENTED
    table = (Path(settings.BASE_DIR) / "docs" / "simkopdes.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| \d+ \| \*\*(.+?)\*\* \|", table, flags=re.MULTILINE)
    assert documented == DOCUMENTED
    assert set(exports.STATUS) == set(Member.Status.values) and set(exports.SEX) == set(Member.Sex.values)
    for word in exports.STATUS.values():
        assert f"`{word}`" in table


def test_an_officer_downloads_every_member_with_full_numbers(officer_client, kelurahan_a, members):
    ani, budi, citra, formula, other = members
    response = download(officer_client, kelurahan_a)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="simkopdes-anggota-64-71-05-1002.xlsx"'
    anggota, keterangan = sheets(response)
    table = rows(anggota)
    assert table[0] == DOCUMENTED
    assert [row[13] for row in table[1:]] == [m.member_number for m in (ani, budi, citra, formula)]  # not B's member
    region = ["Sepinggan", "Balikpapan Selatan", "Kota Balikpapan", "Kalimantan Timur"]
    assert table[1] == [ani.nik, "Ani Lestari", "Perempuan", None, datetime(1985, 1, 2), "Jl. Mawar No. 3", "007", "002",
                        *region, datetime(2025, 9, 1), "64.71.05.1002-00001", "Aktif", 50_000, 20_000]
    assert table[2][:3] == [budi.nik, "Budi", "Laki-laki"]
    assert table[2][14:] == ["Calon Anggota", 25_000, 0]
    assert table[3][14:] == ["Keluar", 0, 0]
    # NIK and member numbers are text (Excel would round a 16-digit number); dates are dates
    nik, birth, joined, pokok = anggota["A2"], anggota["E2"], anggota["M2"], anggota["P2"]
    assert (nik.data_type, nik.number_format, nik.value) == ("s", "@", make_nik(1, female=True, day=2, month=1, yy=85))
    assert anggota["N2"].data_type == "s" and anggota["G2"].data_type == "s"
    assert birth.is_date and joined.is_date and birth.number_format == "DD-MM-YYYY"
    assert (pokok.data_type, pokok.number_format) == ("n", "#,##0")
    assert anggota.freeze_panes == "A2"
    notes = " ".join(str(row[0]) for row in rows(keterangan))
    assert "Members of KKMP Sepinggan for SIMKOPDES" in notes and "4 members" in notes
    assert "Full NIK: this file can be uploaded." in notes and "Tempat Lahir is empty" in notes
    event = AuditEvent.objects.get(action="export")
    assert (event.object_type, event.object_id) == ("kelurahan", str(kelurahan_a.pk))
    assert (event.detail["what"], event.detail["full_numbers"]) == ("simkopdes members", True)


def test_the_leading_digits_of_a_nik_are_kept(officer_client, kelurahan_a):
    """A NIK of Aceh (11…) or a woman born on the 1st (41…) comes back digit for digit."""
    nik = make_nik(1, region="110101", day=1, female=True)
    register(kelurahan_a, 1, nik=nik)
    assert rows(sheets(download(officer_client, kelurahan_a))[0])[1][0] == nik == "1101014103900001"


def test_a_reviewer_gets_masked_nik_and_no_birth_date(reviewer_client, kelurahan_a, members):
    ani = members[0]
    response = download(reviewer_client, kelurahan_a)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="simkopdes-anggota-64-71-05-1002-nik-tersamar.xlsx"'
    anggota, keterangan = sheets(response)
    table = rows(anggota)
    assert table[0] == DOCUMENTED
    assert table[1][0] == ani.nik[:4] + "••••••••" + ani.nik[-4:]
    assert [row[4] for row in table[1:]] == [None] * 4
    everything = str(table)
    for member in members:
        assert member.nik not in everything
    assert table[1][1:4] == ["Ani Lestari", "Perempuan", None] and table[1][15:] == [50_000, 20_000]
    notes = " ".join(str(row[0]) for row in rows(keterangan))
    assert "NIK MASKED: this file cannot be uploaded to SIMKOPDES." in notes
    assert AuditEvent.objects.get(action="export").detail["full_numbers"] is False


def test_formula_like_text_is_neutralised(officer_client, kelurahan_a, members):
    anggota, keterangan = sheets(download(officer_client, kelurahan_a))
    formula_row = rows(anggota)[4]
    assert formula_row[1] == "'=HYPERLINK(\"http://x.example\",\"klik\")"
    assert formula_row[5] == "'+62 Jl. Minus"
    assert all(cell.data_type != "f" for row in anggota.iter_rows() for cell in row)
    # a cooperative's legal name is text typed by an officer too
    Cooperative.objects.filter(kelurahan=kelurahan_a).update(legal_name="=1+1")
    anggota, keterangan = sheets(download(officer_client, kelurahan_a))
    assert keterangan["A1"].value == "Members of =1+1 for SIMKOPDES"  # not a formula: it does not start with =
    assert all(cell.data_type != "f" for row in keterangan.iter_rows() for cell in row)


def test_a_cooperative_without_members_gets_the_header_only(officer_client, kelurahan_a):
    anggota, keterangan = sheets(download(officer_client, kelurahan_a))
    assert rows(anggota) == [DOCUMENTED]
    assert "0 members" in " ".join(str(row[0]) for row in rows(keterangan))
    assert not Cooperative.objects.exists()  # the export writes no profile row


def test_another_kelurahans_export_is_a_404_and_recorded(officer_client, kelurahan_a, kelurahan_b, members):
    assert download(officer_client, kelurahan_b).status_code == 404
    denied = AuditEvent.objects.get(action="denied")
    assert (denied.object_type, denied.object_id) == ("kelurahan", str(kelurahan_b.pk))
    assert not AuditEvent.objects.filter(action="export").exists()
    assert officer_client.get(reverse("koperasi:simkopdes_xlsx", args=[999_999])).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, kelurahan_a):
    response = download(client, kelurahan_a)
    assert response.status_code == 302 and "next=" in response.url


def test_the_number_of_queries_does_not_grow_with_the_members(officer_client, kelurahan_a, django_assert_max_num_queries):
    simpanan.record_payment(member=register(kelurahan_a, 1), kind="pokok", paid_on=JOINED)
    with CaptureQueriesContext(connection) as few:
        assert download(officer_client, kelurahan_a).status_code == 200
    for serial in range(2, 32):
        member = register(kelurahan_a, serial, status=Member.Status.CALON if serial % 3 else Member.Status.AKTIF)
        simpanan.record_payment(member=member, kind="pokok", amount=10_000, paid_on=JOINED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = download(officer_client, kelurahan_a)
    assert len(rows(sheets(response)[0])) == 1 + 31
