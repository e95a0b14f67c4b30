"""The dashboard's query counts, pinned at two sizes (tests/query_counts.py): the city's table
(all, one kecamatan, filtered and sorted), a kelurahan's page, the CSV, XLSX and JSON, the
trend, the province roll-up and the Satgas reports, as an officer, a DKUMKMP reviewer and an
admin read them. The small city is two kelurahan in two kecamatan; at the larger size there
are six, in four kecamatan of two cities, each with members, simpanan, KK gained this week and
a RAT.

Every page starts with 1: the session, 2: the user. The city's figures (`dashboard_figures`)
are always the same six: 3: the regions (kabupaten/kota with kelurahan), 4: their campaigns,
5: KK gained in the last 7 days, 6: the cooperatives' quorum rules and 7: this year's RATs
with their attendance (the "RAT held" column), 8: the kelurahan rows with their counters
(households, members, capital)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from dashboard.models import Campaign, Report
from koperasi import rapat
from members.models import Household
from tests.factories import (
    ApplicationFactory,
    HouseholdCountFactory,
    KabupatenKotaFactory,
    KecamatanFactory,
    KelurahanFactory,
    UserFactory,
)
from tests.query_counts import add_members, client_as, pin_queries

pytestmark = pytest.mark.django_db


def _cooperative(kelurahan, *, households=40):
    """A kelurahan with its household count, two members who joined in 2025 and one this
    week, and a quorate RAT held today."""
    today = timezone.localdate()
    HouseholdCountFactory(kelurahan=kelurahan, count=households)
    members = add_members(kelurahan, 2) + add_members(kelurahan, 1, joined_on=today - timedelta(days=2))
    meeting, _ = rapat.save_meeting(kelurahan=kelurahan, values={
        "kind": "rat", "held_on": today, "place": "Balai", "agenda": "RAT"})
    for member in members:
        rapat.record_attendance(meeting=meeting, number=member.member_number)
    return kelurahan


@pytest.fixture
def city(db, kelurahan_a, kelurahan_b):
    """The campaign of Kota Balikpapan; kelurahan A and B (two kecamatan) with their figures.
    The function adds a kelurahan in each of their kecamatan, one in a third kecamatan and one
    in another city (Samarinda: another region to choose)."""
    today = timezone.localdate()
    Campaign.objects.all().delete()
    Campaign.objects.create(name="Uji 10%", percent=10, starts_on=today - timedelta(days=30),
                            deadline=today + timedelta(days=30), wilayah_kode="64.71")
    _cooperative(kelurahan_a)
    _cooperative(kelurahan_b, households=5)

    def grow():
        third = KecamatanFactory(kode="64.71.02", nama="Balikpapan Barat")
        samarinda = KecamatanFactory(kode="64.72.01", nama="Palaran",
                                     kabupaten_kota=KabupatenKotaFactory(kode="64.72", nama="Kota Samarinda"))
        for kecamatan in (kelurahan_a.kecamatan, kelurahan_b.kecamatan, third, samarinda):
            kelurahan = _cooperative(KelurahanFactory(kecamatan=kecamatan))
            ApplicationFactory.create_batch(2, kelurahan=kelurahan)  # applications to join: one aggregate
        ApplicationFactory.create_batch(3, kelurahan=kelurahan_a)
    return grow


DASHBOARD = reverse("dashboard:dashboard")


def rows(response):
    return sum(len(kelurahan) for _kecamatan, kelurahan, _total in response.context["shown"])


# 3-8: the city's figures, 9-10: the business units running and their month's counters per
# kelurahan (usaha.queries), 11: the applications to join per kelurahan (one aggregate), then
# for an officer and a reviewer 12: their own and 13: their groups' permissions (the link to
# the Satgas reports, `perms` in the template); a reviewer also reads their region grants
# once (kelurahan.RegionGrant, for the scope). Admin 3-11.
@pytest.mark.parametrize("role, expected", [("officer", 13), ("reviewer", 14), ("admin", 11)])
def test_the_dashboard(request, role, expected, city):
    small, large = pin_queries(client_as(request, role), DASHBOARD, expected, grow=city)
    assert (rows(small), rows(large), large.context["region"].kode) == (2, 5, "64.71")


@pytest.mark.parametrize("role, expected", [("officer", 13), ("reviewer", 14), ("admin", 11)])
def test_the_dashboard_of_one_kecamatan(request, role, expected, city, kelurahan_a):
    small, large = pin_queries(client_as(request, role), DASHBOARD, expected, grow=city,
                               data={"kecamatan": kelurahan_a.kecamatan.kode})
    assert (rows(small), rows(large)) == (1, 2)


@pytest.mark.parametrize("role, expected", [("officer", 13), ("reviewer", 14), ("admin", 11)])
def test_the_dashboard_filtered_and_sorted(request, role, expected, city):
    small, large = pin_queries(client_as(request, role), DASHBOARD, expected, grow=city,
                               data={"status": "sesuai_jalur", "urut": "persen"})
    assert rows(large) > rows(small) > 0


# Officer and reviewer 3-4: their permissions (for_user), 5: the kelurahan with its kecamatan
# and city, 6: the campaigns, 7: its row with its counters, 8: its KK gained in 7 days, 9: its
# trend, 10: its applications to join, 11: the breakdown by RT, 12: the latest members with
# their households. Admin 3-10.
# The larger size adds thirteen members to the kelurahan (three this week), in six RTs.
@pytest.mark.parametrize("role, expected", [("officer", 12), ("reviewer", 13), ("admin", 10)])
def test_a_kelurahan_page(request, role, expected, city, kelurahan_a):
    def grow():
        city()
        joined = add_members(kelurahan_a, 10) + add_members(kelurahan_a, 3, joined_on=timezone.localdate() - timedelta(days=1))
        for i, member in enumerate(joined):
            Household.objects.filter(pk=member.household_id).update(rt=f"{i % 6 + 1:03d}")
    url = reverse("dashboard:kelurahan_detail", args=[kelurahan_a.pk])
    small, large = pin_queries(client_as(request, role), url, expected, grow=grow)
    assert len(large.context["by_rt"]) > len(small.context["by_rt"]) == 1
    assert len(large.context["latest"]) > len(small.context["latest"]) == 3


# 3-8: the city's figures, 9: the audit event; before them, an officer's and a reviewer's two
# permission queries (which kelurahan their dashboard shows) and a reviewer's region grants.
@pytest.mark.parametrize("role, expected", [("officer", 11), ("reviewer", 12), ("admin", 9)])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_dashboard_download(request, role, expected, fmt, city):
    pin_queries(client_as(request, role), reverse("dashboard:dashboard_export", args=[fmt]), expected, grow=city)


# 3-8: the city's figures (officer and reviewer: after their permissions, reviewer: grants).
@pytest.mark.parametrize("role, expected", [("officer", 10), ("reviewer", 11), ("admin", 8)])
def test_the_dashboard_json(request, role, expected, city):
    small, large = pin_queries(client_as(request, role), reverse("dashboard:dashboard_json"), expected, grow=city)
    assert len(large.json()["kecamatan"]) > len(small.json()["kecamatan"])


# 3-8: the city's figures, 9: the city's KK represented on each day of the chart.
# (officer and reviewer: after their permissions, reviewer: grants).
@pytest.mark.parametrize("role, expected", [("officer", 11), ("reviewer", 12), ("admin", 9)])
def test_the_trend(request, role, expected, city):
    pin_queries(client_as(request, role), reverse("dashboard:trend"), expected, grow=city)


# 3: the provinces with kelurahan, 4: their campaigns, 5: the sums per kabupaten/kota with
# their KK gained in 7 days (one query), 6: the kabupaten/kota names; officer and reviewer
# after their two permission queries, a reviewer's grants after those.
@pytest.mark.parametrize("role, expected", [("officer", 8), ("reviewer", 9), ("admin", 6)])
def test_the_province_rollup(request, role, expected, city):
    small, large = pin_queries(client_as(request, role), reverse("dashboard:dashboard_rollup"), expected, grow=city)
    # an officer's dashboard is their own kabupaten/kota; the larger size adds another city
    assert (len(small.context["rows"]), len(large.context["rows"])) == ((1, 1) if role == "officer" else (1, 2))


# 3: the campaigns, 4: the sums per province with their KK gained in 7 days (one query), 5:
# the province names; officer and reviewer after their two permission queries, a reviewer's
# grants after those.
@pytest.mark.parametrize("role, expected", [("officer", 7), ("reviewer", 8), ("admin", 5)])
def test_the_national_page(request, role, expected, city):
    small, large = pin_queries(client_as(request, role), reverse("dashboard:dashboard_national"), expected, grow=city)
    assert (len(small.context["rows"]), len(large.context["rows"])) == (1, 1)


def _issue(client):
    response = client.post(reverse("dashboard:report_create"), {"wilayah": "64.71"})
    assert response.status_code == 302
    return response.url


# Reviewer 3-4: their permissions (reports are DKUMKMP's), 5: the regions (to issue one),
# 6: the reports with who issued them. Admin 3-4. The larger size has five more reports, each
# issued by another admin.
@pytest.mark.parametrize("role, expected", [("reviewer", 7), ("admin", 4)])
def test_the_report_list(request, role, expected, city):
    client = client_as(request, role)
    _issue(client)

    def grow():
        for _ in range(5):
            other = Client()
            other.force_login(UserFactory(is_superuser=True))
            _issue(other)
    small, large = pin_queries(client, reverse("dashboard:report_list"), expected, grow=grow)
    assert (len(small.context["reports"]), len(large.context["reports"])) == (1, 6)


# Reviewer 3-4: permissions, 5: the report with who issued it, 6-11: today's figures of its
# city (3-8 above, to show the change since), 12: the audit event. Admin 3-10. At the larger
# size the report (issued again over the larger city) and today's figures have five kelurahan.
@pytest.mark.parametrize("role, expected", [("reviewer", 13), ("admin", 10)])
def test_a_report(request, role, expected, city):
    client = client_as(request, role)
    url = _issue(client)

    def grow():
        city()
        again = Report.objects.get(pk=resolve(_issue(client)).kwargs["pk"])
        Report.objects.filter(pk=resolve(url).kwargs["pk"]).update(data=again.data)
    small, large = pin_queries(client, url, expected, grow=grow)
    assert (len(small.context["rows"]), len(large.context["rows"])) == (2, 5)


# Reviewer 3-4: permissions, 5: the report, 6: the audit event. Admin 3-4.
@pytest.mark.parametrize("role, expected", [("reviewer", 7), ("admin", 4)])
def test_a_report_download(request, role, expected, city):
    client = client_as(request, role)
    pin_queries(client, _issue(client) + "unduh.xlsx", expected, grow=city)
