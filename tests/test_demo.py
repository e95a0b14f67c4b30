"""`make run` loads regions, demo data and demo accounts; running it twice changes nothing."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from kelurahan.models import HouseholdCount, Kecamatan, Kelurahan
from members.models import Household, Member

pytestmark = pytest.mark.django_db


def counts():
    return [m.objects.count() for m in (Kecamatan, Kelurahan, HouseholdCount, Household, Member, get_user_model())]


def test_load_demo_loads_balikpapan_and_can_run_twice():
    out = StringIO()
    call_command("load_demo", stdout=out)
    first = counts()
    assert first[:2] == [6, 34]
    assert Kelurahan.objects.get(kode="64.71.05.1010").kode_bps == "6471010010"
    assert all(c.source.startswith("DEMO") for c in HouseholdCount.objects.all())
    assert "pengurus.sepinggan" in out.getvalue()
    call_command("load_demo", stdout=StringIO())
    assert counts() == first


def test_the_demo_has_simpanan_and_a_rat_the_dashboard_shows():
    from dashboard import counters
    from koperasi.models import Entry, Meeting

    call_command("load_demo", stdout=StringIO())
    entries = Entry.objects.count()
    assert Entry.objects.filter(kind="pokok").count() == Member.objects.filter(status="aktif").count()
    assert Entry.objects.filter(kind="wajib").exists()
    assert Meeting.objects.filter(kelurahan__kode="64.71.05.1002", kind="rat").count() == 1
    assert counters.capital_differences() == []
    call_command("load_demo", stdout=StringIO())
    assert Entry.objects.count() == entries and Meeting.objects.count() == 1


def test_the_demo_officer_manages_sepinggan_only():
    call_command("load_demo", stdout=StringIO())
    officer = get_user_model().objects.get(username="pengurus.sepinggan")
    assert list(Kelurahan.objects.managed_by(officer).values_list("nama", flat=True)) == ["Sepinggan"]
    assert officer.check_password("kkmp-pengurus-demo")


def test_the_spellings_in_real_spreadsheets_find_their_kelurahan():
    call_command("load_regions", stdout=StringIO())
    for spelling, kode in [
        ("Sungai Nangka", "64.71.05.1010"),
        ("LEMARU", "64.71.01.1002"),
        ("Gunungsamarinda", "64.71.03.1002"),
        ("Muararapak", "64.71.03.1004"),
        ("Karingau", "64.71.02.1004"),
        ("Margomulyo", "64.71.02.1005"),
    ]:
        assert Kelurahan.objects.matching(spelling).get().kode == kode, spelling


def test_the_demo_dashboard_has_a_running_campaign_with_every_status():
    """A newcomer's dashboard shows pace and statuses, not only a campaign that ended."""
    from django.utils import timezone

    from dashboard.views import dashboard_figures

    call_command("load_demo", stdout=StringIO())
    figures = dashboard_figures({}, get_user_model().objects.get(username="admin"))
    assert figures["campaign"].name.startswith("DEMO")
    assert figures["campaign"].starts_on <= timezone.localdate() <= figures["campaign"].deadline
    statuses = {progress.status for _kecamatan, rows, _total in figures["groups"] for _kel, progress in rows}
    assert {"tercapai", "sesuai_jalur", "tertinggal"} <= statuses
    assert figures["total"].gained_7d > 0
