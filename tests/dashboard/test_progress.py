"""Issue 5: campaigns, exact counters, pace and status, history, the kelurahan page, the
province roll-up and frozen reports for the Satgas."""

import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from audit.models import AuditEvent
from dashboard import counters
from dashboard.models import Campaign, KelurahanCounter, Report
from dashboard.progress import Progress, Status
from members.models import Member
from members.services import record_leaving, register_member, update_member
from tests.factories import (
    HouseholdCountFactory,
    HouseholdFactory,
    KabupatenKotaFactory,
    KecamatanFactory,
    KelurahanFactory,
    MemberFactory,
    make_nik,
    make_no_kk,
)

pytestmark = pytest.mark.django_db
TODAY = date.today()


@pytest.fixture
def campaign(db):
    Campaign.objects.all().delete()
    return Campaign.objects.create(
        name="Uji 10%", percent=10, starts_on=TODAY - timedelta(days=30), deadline=TODAY + timedelta(days=30), wilayah_kode="64.71"
    )


def assert_counters_exact():
    assert counters.differences() == []


# --- Counters ----------------------------------------------------------------------------------

def test_counters_equal_a_live_recount_after_every_kind_of_change(kelurahan_a, kelurahan_b):
    head = register_member(kelurahan=kelurahan_a, nik=make_nik(1), name="A", joined_on=TODAY, no_kk=make_no_kk(1), is_head_of_household=True)
    assert counters.stored([kelurahan_a.pk])[kelurahan_a.pk] == (1, 1, 1)
    second = register_member(kelurahan=kelurahan_a, nik=make_nik(2), name="B", joined_on=TODAY, no_kk=make_no_kk(1))
    assert counters.stored([kelurahan_a.pk])[kelurahan_a.pk] == (1, 1, 2)  # two members of one KK
    loner = register_member(kelurahan=kelurahan_a, nik=make_nik(3), name="C", joined_on=TODAY)  # without KK
    assert counters.stored([kelurahan_a.pk])[kelurahan_a.pk] == (1, 1, 3)
    assert_counters_exact()
    update_member(member=second, no_kk=make_no_kk(2))  # moves to another KK
    assert counters.stored([kelurahan_a.pk])[kelurahan_a.pk] == (2, 1, 3)
    update_member(member=loner, no_kk="", kelurahan=kelurahan_b)  # moved to another cooperative
    assert counters.stored()[kelurahan_b.pk] == (0, 0, 1)
    assert counters.stored()[kelurahan_a.pk] == (2, 1, 2)
    record_leaving(member=head, status="meninggal", left_on=TODAY)
    assert counters.stored([kelurahan_a.pk])[kelurahan_a.pk] == (1, 0, 1)
    assert_counters_exact()


def test_a_correction_in_the_admin_keeps_the_counters(admin_client_, kelurahan_a):
    member = register_member(kelurahan=kelurahan_a, nik=make_nik(5), name="D", joined_on=date(2025, 9, 1), no_kk=make_no_kk(5))
    url = reverse("admin:members_member_change", args=[member.pk])
    page = admin_client_.get(url).context
    form = page["adminform"].form
    data = {name: value for name, value in form.initial.items() if name in form.fields and value is not None}
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in data.items()}
    for inline in page["inline_admin_formsets"]:  # read-only history rows: just the counts
        management = inline.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
        data.update({f.add_prefix("id"): f.instance.pk for f in inline.formset.initial_forms})
        data.update({f.add_prefix("member"): f.instance.member_id for f in inline.formset.initial_forms})
    data["household"] = ""
    response = admin_client_.post(url, data)  # the KK was entered by mistake: removed
    assert response.status_code == 302, response.context.get("errors")
    assert Member.objects.get().household_id is None
    assert counters.stored([kelurahan_a.pk])[kelurahan_a.pk] == (0, 0, 1)
    assert_counters_exact()


def test_recount_reports_and_fixes_counters_that_drifted(kelurahan_a):
    MemberFactory(kelurahan=kelurahan_a)
    call_command("recount", stdout=io.StringIO())  # exact: no error
    KelurahanCounter.objects.filter(kelurahan=kelurahan_a).update(kk_terwakili=7)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("recount", stdout=out)
    assert "64.71.05.1002: counters (7, 0, 1), recount (1, 0, 1)" in out.getvalue()
    call_command("recount", "--fix", stdout=io.StringIO())
    assert_counters_exact()


# --- History, pace and status ----------------------------------------------------------------

def test_kk_terwakili_on_past_dates_follows_join_and_leave_dates(kelurahan_a):
    kk1, kk2 = HouseholdFactory(kelurahan=kelurahan_a), HouseholdFactory(kelurahan=kelurahan_a)
    MemberFactory(kelurahan=kelurahan_a, household=kk1, joined_on=date(2025, 9, 1))
    MemberFactory(kelurahan=kelurahan_a, household=kk1, joined_on=date(2025, 9, 5))  # same KK
    MemberFactory(kelurahan=kelurahan_a, household=kk2, joined_on=date(2025, 9, 10), status="keluar", left_on=date(2025, 9, 20))
    MemberFactory(kelurahan=kelurahan_a, household=None, joined_on=date(2025, 9, 1))  # no KK
    days = [date(2025, 8, 31), date(2025, 9, 1), date(2025, 9, 10), date(2025, 9, 19), date(2025, 9, 20)]
    assert counters.history([kelurahan_a.pk], days)[kelurahan_a.pk] == [0, 1, 2, 2, 1]


def test_kk_gained_in_the_last_7_days(kelurahan_a):
    MemberFactory(kelurahan=kelurahan_a, joined_on=TODAY - timedelta(days=30))
    MemberFactory(kelurahan=kelurahan_a, joined_on=TODAY - timedelta(days=2))
    MemberFactory(kelurahan=kelurahan_a, joined_on=TODAY - timedelta(days=3))
    old = MemberFactory(kelurahan=kelurahan_a, joined_on=TODAY - timedelta(days=40))
    record_leaving(member=old, status="keluar", left_on=TODAY - timedelta(days=1))
    assert counters.gained([kelurahan_a.pk], TODAY) == {kelurahan_a.pk: 1}  # +2 -1


def test_pace_reach_date_and_status_rules():
    campaign = Campaign(percent=10, starts_on=date(2025, 9, 1), deadline=date(2025, 10, 31))  # 60 days
    today = date(2025, 10, 1)  # day 30: half the target expected
    behind = Progress(jumlah_kk=1000, kk_terwakili=40, campaign=campaign, today=today, gained_7d=10)
    assert (behind.target, behind.expected, behind.status) == (100, 50, Status.BEHIND)
    assert behind.weekly_pace_needed == 14  # 60 KK in 30 days
    assert Progress(jumlah_kk=1000, kk_terwakili=41, campaign=campaign, today=today).weekly_pace_needed == 14  # 13.77 rounded up
    assert behind.reach_date == date(2025, 11, 12) and not behind.reaches_in_time
    on_track = Progress(jumlah_kk=1000, kk_terwakili=50, campaign=campaign, today=today, gained_7d=12)
    assert on_track.status == Status.ON_TRACK and on_track.reach_date == date(2025, 10, 31) and on_track.reaches_in_time
    reached = Progress(jumlah_kk=1000, kk_terwakili=100, campaign=campaign, today=today)
    assert (reached.status, reached.weekly_pace_needed, reached.reach_date) == (Status.REACHED, 0, None)
    stalled = Progress(jumlah_kk=1000, kk_terwakili=10, campaign=campaign, today=date(2025, 11, 5))
    assert (stalled.status, stalled.weekly_pace_needed, stalled.reach_date) == (Status.BEHIND, None, None)
    assert Progress(jumlah_kk=None, campaign=campaign, today=today).status == Status.NO_DATA
    assert Progress(jumlah_kk=0, campaign=campaign, today=today).status == Status.NO_DATA
    assert Progress(jumlah_kk=100).status == Status.NO_TARGET


# --- Campaigns on the dashboard ---------------------------------------------------------------

@pytest.fixture
def two_campaigns(kelurahan_a, kelurahan_b):
    Campaign.objects.all().delete()
    HouseholdCountFactory(kelurahan=kelurahan_a, count=100)
    HouseholdCountFactory(kelurahan=kelurahan_b, count=100)
    old = Campaign.objects.create(name="Lama", percent=50, starts_on=date(2025, 1, 1), deadline=date(2025, 3, 1), wilayah_kode="64.71")
    now = Campaign.objects.create(name="Sekarang", percent=10, starts_on=TODAY - timedelta(days=5), deadline=TODAY + timedelta(days=50))
    now.kelurahan.add(kelurahan_a)  # only Sepinggan
    return old, now


def test_the_dashboard_shows_the_current_campaign_and_another_on_request(reviewer_client, two_campaigns, kelurahan_a, kelurahan_b):
    old, now = two_campaigns
    data = reviewer_client.get(reverse("dashboard:dashboard_json")).json()
    assert data["kampanye"]["nama"] == "Sekarang"
    rows = {k["kode"]: k for kec in data["kecamatan"] for k in kec["kelurahan"]}
    assert (rows[kelurahan_a.kode]["target"], rows[kelurahan_a.kode]["status"]) == (10, "tertinggal")
    assert (rows[kelurahan_b.kode]["target"], rows[kelurahan_b.kode]["status"]) == (None, "tanpa_target")
    assert data["total"]["target"] == 10
    data = reviewer_client.get(reverse("dashboard:dashboard_json"), {"kampanye": old.pk}).json()
    assert (data["kampanye"]["nama"], data["total"]["target"]) == ("Lama", 100)


def test_without_campaign_the_figures_show_without_target(reviewer_client, kelurahan_a):
    Campaign.objects.all().delete()
    MemberFactory(kelurahan=kelurahan_a)
    data = reviewer_client.get(reverse("dashboard:dashboard_json")).json()
    assert data["kampanye"] is None
    assert (data["total"]["kk_terwakili"], data["total"]["target"], data["total"]["status"]) == (1, None, "tanpa_target")
    assert reviewer_client.get(reverse("dashboard:dashboard")).status_code == 200


def test_the_page_filters_by_status_and_kecamatan_and_sorts(reviewer_client, campaign, kelurahan_a, kelurahan_b):
    HouseholdCountFactory(kelurahan=kelurahan_a, count=10)
    MemberFactory(kelurahan=kelurahan_a)  # 1 of 1: reached
    url = reverse("dashboard:dashboard")
    reached = reviewer_client.get(url, {"status": "tercapai"}).content.decode()
    assert f'data-kode="{kelurahan_a.kode}"' in reached and f'data-kode="{kelurahan_b.kode}"' not in reached
    only_b = reviewer_client.get(url, {"kecamatan": "64.71.01"}).content.decode()
    assert f'data-kode="{kelurahan_b.kode}"' in only_b and f'data-kode="{kelurahan_a.kode}"' not in only_b
    ordered = reviewer_client.get(url, {"urut": "persen"}).context["shown"]
    assert [k.kode for k, _p in ordered[0][1]] == [kelurahan_a.kode, kelurahan_b.kode]  # 100%, then no target
    assert reviewer_client.get(url, {"status": "nonsense", "urut": "x", "kampanye": "abc"}).status_code == 200


def test_the_province_rollup_sums_kabupaten_kota(reviewer_client, campaign, kelurahan_a, django_assert_max_num_queries):
    samarinda = KecamatanFactory(kode="64.72.01", kabupaten_kota=KabupatenKotaFactory(kode="64.72", nama="Kota Samarinda"))
    other = KelurahanFactory(kecamatan=samarinda, kode="64.72.01.1001")
    HouseholdCountFactory(kelurahan=kelurahan_a, count=101)  # target 11
    HouseholdCountFactory(kelurahan=other, count=50)  # outside the campaign: no target
    MemberFactory(kelurahan=kelurahan_a, joined_on=TODAY - timedelta(days=1))
    MemberFactory(kelurahan=other)
    response = reviewer_client.get(reverse("dashboard:dashboard_rollup"), {"wilayah": "64"})
    rows = {region.kode: p for region, p in response.context["rows"]}
    assert (rows["64.71"].target, rows["64.71"].kk_terwakili, rows["64.71"].gained_7d, rows["64.71"].status) == (11, 1, 1, Status.BEHIND)
    assert (rows["64.72"].target, rows["64.72"].kk_terwakili, rows["64.72"].status) == (None, 1, Status.NO_TARGET)
    total = response.context["total"]
    assert (total.jumlah_kk, total.target, total.kk_terwakili) == (151, 11, 2)


# --- Kelurahan page --------------------------------------------------------------------------

def test_the_kelurahan_page_breaks_down_by_rt(officer_client, campaign, kelurahan_a):
    MemberFactory(kelurahan=kelurahan_a, household=HouseholdFactory(kelurahan=kelurahan_a, rt="001"))
    MemberFactory(kelurahan=kelurahan_a, household=HouseholdFactory(kelurahan=kelurahan_a, rt="002"), is_head_of_household=True)
    MemberFactory(kelurahan=kelurahan_a, household=HouseholdFactory(kelurahan=kelurahan_a, rt="002"))
    response = officer_client.get(reverse("dashboard:kelurahan_detail", args=[kelurahan_a.pk]))
    rows = {(r["household__rw"], r["household__rt"]): r for r in response.context["by_rt"]}
    assert (rows[("", "002")]["kk_terwakili"], rows[("", "002")]["anggota_kepala_keluarga"], rows[("", "001")]["anggota_aktif"]) == (2, 1, 1)
    assert response.context["uses_rw"] is False
    assert len(response.context["latest"]) == 3
    assert "<svg" in response.content.decode()


def test_the_kelurahan_page_is_scoped_and_masks_numbers(officer, reviewer, kelurahan_a, kelurahan_b):
    from django.test import Client

    member = MemberFactory(kelurahan=kelurahan_b)
    officer_client, reviewer_client = Client(), Client()
    officer_client.force_login(officer)
    reviewer_client.force_login(reviewer)
    assert officer_client.get(reverse("dashboard:kelurahan_detail", args=[kelurahan_b.pk])).status_code == 404
    assert officer_client.get(reverse("dashboard:kelurahan_detail", args=[kelurahan_a.pk])).status_code == 200
    body = reviewer_client.get(reverse("dashboard:kelurahan_detail", args=[kelurahan_b.pk])).content.decode()
    assert member.name in body and member.nik not in body and member.nik[-4:] in body


# --- Trend chart ------------------------------------------------------------------------------

def test_the_trend_page_draws_the_city_and_the_target_line(reviewer_client, campaign, kelurahan_a):
    HouseholdCountFactory(kelurahan=kelurahan_a, count=100)
    MemberFactory(kelurahan=kelurahan_a, joined_on=TODAY - timedelta(days=10))
    response = reviewer_client.get(reverse("dashboard:trend"))
    chart = response.context["chart"]
    assert [v for _d, v in chart["values"]][0] == 0 and chart["values"][-1] == (TODAY, 1)
    assert chart["target"] == 10 and "target_line" in chart
    body = response.content.decode()
    assert "<polyline" in body and "<script" not in body


# --- Reports for the Satgas -------------------------------------------------------------------

def test_an_issued_report_is_frozen_downloadable_identically_and_compared(reviewer_client, campaign, kelurahan_a):
    HouseholdCountFactory(kelurahan=kelurahan_a, count=100)
    MemberFactory(kelurahan=kelurahan_a)
    response = reviewer_client.post(reverse("dashboard:report_create"))
    report = Report.objects.get()
    assert response.url == report.get_absolute_url()
    assert (report.data["total"]["kk_terwakili"], report.data["dibuat_oleh"], report.created_by.username) == (1, "dkumkmp", "dkumkmp")
    first = reviewer_client.get(reverse("dashboard:report_download", args=[report.pk])).content
    book = openpyxl.load_workbook(io.BytesIO(first))
    assert dict(list(book["Laporan"].values)[1:])["dibuat_oleh"] == "dkumkmp"
    MemberFactory(kelurahan=kelurahan_a)
    MemberFactory(kelurahan=kelurahan_a)
    assert reviewer_client.get(reverse("dashboard:report_download", args=[report.pk])).content == first
    page = reviewer_client.get(reverse("dashboard:report_detail", args=[report.pk]))
    assert page.context["data"]["total"]["kk_terwakili"] == 1  # as issued
    assert page.context["total_change"] == 2
    assert [r["change"] for r in page.context["rows"] if r["kode"] == kelurahan_a.kode] == [2]
    assert reviewer_client.get(reverse("dashboard:report_list")).context["reports"][0] == report
    # issued, downloaded twice, opened once
    assert AuditEvent.objects.filter(action="export", object_type="report", object_id=str(report.pk)).count() == 4


def test_officers_cannot_issue_or_read_reports(officer_client, campaign):
    assert officer_client.post(reverse("dashboard:report_create")).status_code == 404
    assert officer_client.get(reverse("dashboard:report_list")).status_code == 404
    assert not Report.objects.exists()


def test_a_report_is_issued_for_the_region_chosen_on_the_form(reviewer_client, campaign, kelurahan_a):
    samarinda = KecamatanFactory(kode="64.72.01", kabupaten_kota=KabupatenKotaFactory(kode="64.72", nama="Kota Samarinda"))
    KelurahanFactory(kecamatan=samarinda, kode="64.72.01.1001")
    reviewer_client.post(reverse("dashboard:report_create"), {"wilayah": "64.72"})
    report = Report.objects.get()
    assert (report.region_kode, report.region_name) == ("64.72", "Kota Samarinda")
    assert [k["kode"] for kec in report.data["kecamatan"] for k in kec["kelurahan"]] == ["64.72.01.1001"]
