"""The members' capital on the dashboard: simpanan pokok and wajib collected, members paid up
this month, the share in arrears and this year's RAT, per kelurahan, kecamatan and city, on the
page, in the XLSX, in the JSON and in an issued (printed) report."""

import io
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from koperasi import simpanan
from koperasi.models import Attendance, Entry, Meeting, month_index, month_of
from members.models import Member
from members.services import register_member
from tests.factories import make_nik, make_no_kk

pytestmark = pytest.mark.django_db


def months_ago(n):
    return month_of(month_index(timezone.localdate()) - n)


@pytest.fixture
def ledger(kelurahan_a, kelurahan_b):
    """Sepinggan: one member paid up to this month, one with no simpanan wajib for six months,
    an applicant with 20,000 of the simpanan pokok; Manggar: one member who joined this month
    and paid it."""
    today = timezone.localdate()

    def member(kelurahan, serial, joined_on, **kwargs):
        return register_member(kelurahan=kelurahan, nik=make_nik(serial), name=f"Anggota {serial}", joined_on=joined_on,
                               no_kk=make_no_kk(serial), **kwargs)

    paid_up = member(kelurahan_a, 1, months_ago(6))
    behind = member(kelurahan_a, 2, months_ago(6))
    applicant = member(kelurahan_a, 3, months_ago(1), status=Member.Status.CALON)
    new = member(kelurahan_b, 4, months_ago(0))
    for m in (paid_up, behind, new):
        simpanan.record_payment(member=m, kind="pokok", paid_on=m.joined_on)
    simpanan.record_payment(member=paid_up, kind="wajib", months=7, paid_on=today)
    simpanan.record_payment(member=new, kind="wajib", months=1, paid_on=today)
    simpanan.record_payment(member=applicant, kind="pokok", amount=20_000, paid_on=today)
    return {"paid_up": paid_up, "behind": behind, "new": new}


def figures(capital):
    return (capital.pokok, capital.wajib, capital.aktif, capital.paid_up, capital.in_arrears, capital.arrears_percent)


def test_capital_per_kelurahan_kecamatan_and_city(reviewer_client, ledger, kelurahan_a, kelurahan_b):
    response = reviewer_client.get(reverse("dashboard:dashboard"))
    rows = {kel.pk: (progress, subtotal) for _kec, kel_rows, subtotal in response.context["groups"] for kel, progress in kel_rows}
    a, kecamatan_a = rows[kelurahan_a.pk]
    b, _ = rows[kelurahan_b.pk]
    assert figures(a.capital) == (120_000, 70_000, 2, 1, 1, 50.0)
    assert figures(b.capital) == (50_000, 10_000, 1, 1, 0, 0.0)
    assert figures(kecamatan_a.capital) == figures(a.capital)  # Sepinggan is alone in its kecamatan
    total = response.context["total"].capital
    assert figures(total) == (170_000, 80_000, 3, 2, 1, 33.3)
    assert total.collected == 250_000
    page = response.content.decode()
    assert 'data-figure="simpanan_pokok"' in page and ("33.3%" in page or "33,3%" in page)


def test_a_correction_comes_off_the_figures(reviewer_client, ledger):
    entry = Entry.objects.get(member=ledger["new"], kind="wajib")
    simpanan.reverse_entry(entry=entry, reason="salah catat")
    total = reviewer_client.get(reverse("dashboard:dashboard")).context["total"].capital
    assert (total.wajib, total.paid_up) == (70_000, 1)


def test_the_rat_counts_once_held_with_a_quorum(reviewer_client, ledger, kelurahan_a):
    today = timezone.localdate()
    meeting = Meeting.objects.create(kelurahan=kelurahan_a, held_on=today, place="Balai", agenda="RAT")
    Attendance.objects.create(meeting=meeting, member=ledger["paid_up"])
    context = reviewer_client.get(reverse("dashboard:dashboard")).context
    assert context["total"].capital.rat_held == 0  # one of two active members: no quorum
    Attendance.objects.create(meeting=meeting, member=ledger["behind"])
    context = reviewer_client.get(reverse("dashboard:dashboard")).context
    assert context["total"].capital.rat_held == 1
    rows = {kel.pk: p for _k, kel_rows, _s in context["groups"] for kel, p in kel_rows}
    assert rows[kelurahan_a.pk].capital.rat_on == today
    Meeting.objects.create(kelurahan=kelurahan_a, held_on=today - timedelta(days=400), place="Balai", agenda="RAT lalu")
    assert reviewer_client.get(reverse("dashboard:dashboard")).context["total"].capital.rat_held == 1


def test_the_xlsx_and_the_json_carry_the_capital(reviewer_client, ledger, kelurahan_a):
    response = reviewer_client.get(reverse("dashboard:dashboard_export", args=["xlsx"]))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book["Kelurahan"].values)
    header = rows[0]
    sepinggan = dict(zip(header, next(r for r in rows[1:] if r[0] == kelurahan_a.kode)))
    assert (sepinggan["simpanan_pokok"], sepinggan["simpanan_wajib"], sepinggan["lunas_bulan_ini"],
            sepinggan["menunggak"], sepinggan["persen_menunggak"]) == (120_000, 70_000, 1, 1, 50)
    city = dict(zip(list(book["Kabupaten-Kota"].values)[0], list(book["Kabupaten-Kota"].values)[1]))
    assert (city["simpanan_pokok"], city["simpanan_wajib"], city["kelurahan_sudah_rat"]) == (170_000, 80_000, 0)
    data = reviewer_client.get(reverse("dashboard:dashboard_json")).json()
    assert (data["total"]["simpanan_pokok"], data["total"]["persen_menunggak"]) == (170_000, 33.3)


def test_an_issued_report_prints_the_capital(reviewer_client, ledger):
    response = reviewer_client.post(reverse("dashboard:report_create"), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'capital-table' in page and ("Rp 170.000" in page or "Rp 170,000" in page)


def test_the_counters_follow_every_write_and_equal_the_ledger(ledger, kelurahan_a):
    from dashboard import counters
    from members.services import record_leaving

    assert counters.capital_differences() == []
    entry = Entry.objects.filter(member=ledger["paid_up"], kind="wajib").get()
    simpanan.reverse_entry(entry=entry, reason="salah")
    simpanan.record_payment(member=ledger["behind"], kind="sukarela", amount=5_000, paid_on=timezone.localdate())
    record_leaving(member=ledger["behind"], status=Member.Status.KELUAR, left_on=timezone.localdate())
    assert counters.capital_differences() == []
    pokok, wajib, sukarela, histogram = counters.stored_capital([kelurahan_a.pk])[kelurahan_a.pk]
    assert (pokok, wajib, sukarela) == (120_000, 0, 5_000)
    assert histogram == {str(month_index(ledger["paid_up"].joined_on)): 1}  # the one active member, nothing paid


@pytest.mark.parametrize("day_offset", [-400, -200, -95, -31, -1, 0])
def test_the_counters_rule_is_the_member_lists_rule(ledger, day_offset):
    from koperasi.queries import in_arrears, wajib_histogram, wajib_position

    day = timezone.localdate() + timedelta(days=day_offset)
    for kelurahan_id, histogram in wajib_histogram().items():
        _aktif, _paid_up, behind = wajib_position(histogram, today=day)
        members = Member.objects.filter(kelurahan_id=kelurahan_id)
        assert behind == in_arrears(members, day).count()


def test_a_batch_of_entries_refreshes_the_counters_once_at_the_end(ledger, kelurahan_a):
    from django.db import transaction

    from dashboard import counters

    with transaction.atomic():
        with simpanan.batch():
            for m in (ledger["paid_up"], ledger["behind"]):
                simpanan.record_payment(member=m, kind="sukarela", amount=1_000, paid_on=timezone.localdate())
            assert counters.stored_capital([kelurahan_a.pk])[kelurahan_a.pk][2] == 0  # not yet
        assert counters.stored_capital([kelurahan_a.pk])[kelurahan_a.pk][2] == 2_000
    assert counters.capital_differences() == []
