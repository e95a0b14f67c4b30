"""The progress dashboard: figures on a hand-made data set, query counts and exports."""

import csv
import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.urls import reverse

from dashboard.models import Campaign
from dashboard.progress import Progress, Status, dashboard_table, target_for
from dashboard.queries import for_dashboard
from dashboard.resources import DASHBOARD_COLUMNS
from kelurahan.models import Kelurahan
from tests.factories import (
    HouseholdCountFactory,
    HouseholdFactory,
    KecamatanFactory,
    KelurahanFactory,
    MemberFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("households, target", [(0, 0), (1, 1), (9, 1), (10, 1), (11, 2), (100, 10), (101, 11)])
def test_the_target_is_ten_percent_rounded_up(households, target):
    assert target_for(households) == target


def test_the_target_percentage_is_a_setting(settings):
    settings.KKMP_TARGET_PERCENT = 50
    assert target_for(11) == 6


def test_no_household_count_means_no_target():
    assert target_for(None) is None
    assert Progress(jumlah_kk=None).persen_target is None


TODAY = date.today()


@pytest.fixture
def campaign(db):
    """The only campaign: 10% of Kota Balikpapan, started 30 days ago, 30 days to go."""
    Campaign.objects.all().delete()
    return Campaign.objects.create(
        name="Uji 10%", percent=10, starts_on=TODAY - timedelta(days=30), deadline=TODAY + timedelta(days=30), wilayah_kode="64.71"
    )


@pytest.fixture
def city(campaign):
    """Two kecamatan, three kelurahan with the edge cases of the figures:
    A (count 100, target 10): KK1 with two active members (one head), KK2 with one who left,
      one active member without a KK;
    B (count 0, target 0): one active head;
    C (no count): one active member."""
    kec1, kec2 = KecamatanFactory(kode="64.71.05", nama="Balikpapan Selatan"), KecamatanFactory(kode="64.71.01", nama="Balikpapan Timur")
    a = KelurahanFactory(kecamatan=kec1, kode="64.71.05.1002", nama="Sepinggan")
    b = KelurahanFactory(kecamatan=kec1, kode="64.71.05.1006", nama="Gunung Bahagia")
    c = KelurahanFactory(kecamatan=kec2, kode="64.71.01.1001", nama="Manggar")
    HouseholdCountFactory(kelurahan=a, count=90, as_of=date(2024, 12, 31))
    HouseholdCountFactory(kelurahan=a, count=100, as_of=date(2025, 6, 30))
    HouseholdCountFactory(kelurahan=b, count=0)
    kk1, kk2 = HouseholdFactory(kelurahan=a), HouseholdFactory(kelurahan=a)
    MemberFactory(kelurahan=a, household=kk1, is_head_of_household=True)
    MemberFactory(kelurahan=a, household=kk1)
    MemberFactory(kelurahan=a, household=kk2, status="keluar", left_on=date(2025, 10, 1))
    MemberFactory(kelurahan=a, household=None)
    MemberFactory(kelurahan=b, is_head_of_household=True)
    MemberFactory(kelurahan=c)
    return a, b, c


def test_the_figures_per_kelurahan_count_kk_heads_and_active_members(city):
    a, b, c = city
    campaign = Campaign.objects.get()
    rows = {k.kode: k for k in for_dashboard(Kelurahan.objects.all(), campaign)}
    ra, rb, rc = rows[a.kode], rows[b.kode], rows[c.kode]
    assert (ra.jumlah_kk, ra.per_tanggal) == (100, date(2025, 6, 30))  # the latest count
    assert (ra.kk_terwakili, ra.anggota_kepala_keluarga, ra.anggota_aktif) == (1, 1, 3)
    pa, pb, pc = (Progress.of(r, campaign, TODAY) for r in (ra, rb, rc))
    assert (pa.target, pa.persen_target) == (10, 10.0)
    # halfway through the campaign 5 KK are expected: 1 is behind
    assert (pa.expected, pa.status, pa.weekly_pace_needed) == (5, Status.BEHIND, 3)  # 9 KK in 30 days
    assert (rb.jumlah_kk, pb.target, pb.persen_target, pb.status) == (0, 0, None, Status.NO_DATA)
    assert (rc.jumlah_kk, pc.target, rc.kk_terwakili, pc.status) == (None, None, 1, Status.NO_DATA)


def test_totals_add_up_per_kecamatan_and_city(city):
    campaign = Campaign.objects.get()
    groups, total = dashboard_table(for_dashboard(Kelurahan.objects.all(), campaign), campaign, TODAY)
    assert [kec.nama for kec, _rows, _t in groups] == ["Balikpapan Timur", "Balikpapan Selatan"]
    selatan = groups[1][2]
    assert (selatan.jumlah_kk, selatan.target, selatan.kk_terwakili, selatan.anggota_aktif) == (100, 10, 2, 4)
    assert (total.jumlah_kk, total.target, total.kk_terwakili, total.anggota_kepala_keluarga, total.anggota_aktif) == (100, 10, 3, 2, 5)
    assert total.without_count == 1
    assert total.persen_target == 30.0


def test_the_dashboard_query_count_does_not_grow_with_kelurahan(officer_client, city, django_assert_num_queries):
    officer_client.get(reverse("dashboard:dashboard"))  # the session records its start once
    # 1 session, 2 user, 3 regions (kabupaten/kota with kelurahan), 4 campaigns, 5 the kelurahan
    # rows with their counters, 6 members of KK that changed in the last 7 days, 7-8 the user's
    # and groups' permissions (the menu shows "Imports" to admins only), 9-10 this year's RAT and
    # the cooperatives' quorum rules (the simpanan come with the counters in 5), 11-12 the
    # business units running and their month's counters per kelurahan (usaha.queries), 13 the
    # applications to join per kelurahan
    with django_assert_num_queries(13):
        officer_client.get(reverse("dashboard:dashboard"))
    for _i in range(5):
        kel = KelurahanFactory(kecamatan=city[0].kecamatan)
        HouseholdCountFactory(kelurahan=kel)
        MemberFactory(kelurahan=kel, joined_on=TODAY - timedelta(days=2))
    with django_assert_num_queries(13):
        response = officer_client.get(reverse("dashboard:dashboard"))
    assert len(response.context["groups"][1][1]) == 7


def test_the_dashboard_shows_the_figures(officer_client, city):
    body = officer_client.get(reverse("dashboard:dashboard")).content.decode()
    assert "Sepinggan" in body and "Manggar" in body
    assert 'data-total' in body


def test_the_dashboard_requires_sign_in(client):
    response = client.get(reverse("dashboard:dashboard"))
    assert response.status_code == 302


def test_the_dashboard_downloads_as_xlsx_with_the_agreed_columns(reviewer_client, city):
    response = reviewer_client.get(reverse("dashboard:dashboard_export", args=["xlsx"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="progres-kkmp-6471-')
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Laporan", "Kelurahan", "Kecamatan", "Kabupaten-Kota"]
    about = dict(list(book["Laporan"].values)[1:])
    assert about["dibuat_oleh"] == "dkumkmp" and about["kampanye"].startswith("Uji 10%")
    rows = list(book["Kelurahan"].values)
    assert rows[0] == DASHBOARD_COLUMNS
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["64.71.05.1002"][1:4] == ("Sepinggan", "Balikpapan Selatan", 100)
    assert by_code["64.71.05.1002"][5:10] == (10, 1, 1, 3, 10)
    assert by_code["64.71.05.1002"][10:13] == ("DKB Semester I 2025", "tertinggal", 0)
    kecamatan = {r[0]: r for r in list(book["Kecamatan"].values)[1:]}
    assert kecamatan["64.71.05"][2:7] == (100, 10, 2, 2, 4)
    assert list(book["Kabupaten-Kota"].values)[1][:7] == ("64.71", "Kota Balikpapan", 100, 10, 3, 2, 5)


def test_the_dashboard_downloads_as_csv(reviewer_client, city):
    response = reviewer_client.get(reverse("dashboard:dashboard_export", args=["csv"]))
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == DASHBOARD_COLUMNS
    assert ["64.71.01.1001", "Manggar", "Balikpapan Timur", "", "", "", "1", "0", "1", "", "", "belum_ada_data", "0", "", ""] in [r[:15] for r in rows]


def test_exported_names_that_look_like_formulas_are_neutralised(reviewer_client, city):
    Kelurahan.objects.filter(pk=city[2].pk).update(nama="=HYPERLINK(\"http://x\")")
    response = reviewer_client.get(reverse("dashboard:dashboard_export", args=["csv"]))
    assert "'=HYPERLINK" in response.content.decode("utf-8-sig")
    xlsx = reviewer_client.get(reverse("dashboard:dashboard_export", args=["xlsx"]))
    values = [c for row in openpyxl.load_workbook(io.BytesIO(xlsx.content))["Kelurahan"].values for c in row]
    assert "'=HYPERLINK(\"http://x\")" in values


def test_an_unknown_export_format_is_404(reviewer_client):
    assert reviewer_client.get(reverse("dashboard:dashboard_export", args=["pdf"])).status_code == 404


def test_the_dashboard_figures_are_available_as_json(reviewer_client, city):
    data = reviewer_client.get(reverse("dashboard:dashboard_json")).json()
    assert data["wilayah"]["kode"] == "64.71" and data["persen_target_kk"] == 10
    assert data["total"]["kk_terwakili"] == 3 and data["total"]["target"] == 10
    selatan = next(k for k in data["kecamatan"] if k["kode"] == "64.71.05")
    sepinggan = next(k for k in selatan["kelurahan"] if k["kode"] == "64.71.05.1002")
    assert (sepinggan["jumlah_kk"], sepinggan["per_tanggal"], sepinggan["persen_target"]) == (100, "2025-06-30", 10.0)


def test_the_json_needs_sign_in(client):
    assert client.get(reverse("dashboard:dashboard_json")).status_code == 302
