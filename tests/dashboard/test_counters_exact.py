"""Issue 5 at national scale: the denormalised figures the roll-ups read — each kelurahan's
current household count and its KK terwakili history (`RepresentedDay`) — stay equal to a
live computation after every kind of change, and `recount` finds and fixes any drift."""

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from dashboard import counters
from dashboard.models import KelurahanCounter, RepresentedDay
from dashboard.queries import rollup
from imports.models import ImportBatch
from imports.pipeline import undo
from kelurahan.models import HouseholdCount, KabupatenKota, Kelurahan
from members.models import Member
from members.services import accept_member, record_leaving, register_member, update_member
from tests.factories import HouseholdCountFactory, MemberFactory, make_nik, make_no_kk
from tests.files import run_command, write_csv
from tests.imports.test_members import HEADER as MEMBER_HEADER
from tests.imports.test_members import row as member_row

pytestmark = pytest.mark.django_db
TODAY = date.today()
DATES = [TODAY - timedelta(days=d) for d in range(25, -2, -1)]  # every day from 25 days ago to tomorrow


def assert_history_exact(*kelurahan):
    """The stored history gives what the join and leave dates give, on every date, per
    kelurahan and per kabupaten/kota; so does the 7-day gain on several days; no row without
    a change; `recount` finds nothing."""
    ids = [k.pk for k in kelurahan]
    kept, live = counters.history(ids, DATES), counters.live_history(ids, DATES)
    assert [kept[pk] for pk in ids] == [live[pk] for pk in ids]
    by = "kecamatan__kabupaten_kota"
    assert dict(counters.history(ids, DATES, by=by)) == {k: v for k, v in counters.live_history(ids, DATES, by=by).items() if any(v)}
    for day in (TODAY, TODAY - timedelta(days=1), TODAY - timedelta(days=6), TODAY - timedelta(days=12)):
        assert counters.gained(ids, day) == counters.live_gained(ids, day)
        assert counters.gained(ids, day, by=by) == counters.live_gained(ids, day, by=by)
        sums = rollup(Kelurahan.objects.filter(pk__in=ids), None, by, day)  # the province page's query
        codes = dict(KabupatenKota.objects.values_list("pk", "kode"))  # the roll-up is keyed on codes
        assert {key: row["gained_7d"] for key, row in sums.items() if row["gained_7d"]} == {
            codes[k]: v for k, v in counters.live_gained(ids, day, by=by).items()}
    assert not RepresentedDay.objects.filter(change=0).exists()
    assert counters.history_differences() == []
    assert counters.differences() == []


def kk_on(kelurahan, *days):
    return counters.history([kelurahan.pk], days)[kelurahan.pk]


def test_the_history_equals_the_join_and_leave_dates_after_every_kind_of_change(tmp_path, kelurahan_a, kelurahan_b, admin_user):
    ago = lambda n: TODAY - timedelta(days=n)  # noqa: E731
    head = register_member(kelurahan=kelurahan_a, nik=make_nik(1), name="A", joined_on=ago(20), no_kk=make_no_kk(1), is_head_of_household=True)
    assert kk_on(kelurahan_a, ago(21), ago(20), TODAY) == [0, 1, 1]  # back-dated: the past changes too
    assert_history_exact(kelurahan_a, kelurahan_b)

    second = register_member(kelurahan=kelurahan_a, nik=make_nik(2), name="B", joined_on=ago(10), no_kk=make_no_kk(1))
    assert RepresentedDay.objects.filter(kelurahan=kelurahan_a).count() == 1  # a second member of one KK: no change
    assert_history_exact(kelurahan_a, kelurahan_b)

    register_member(kelurahan=kelurahan_a, nik=make_nik(3), name="C", joined_on=ago(5))  # without KK
    assert_history_exact(kelurahan_a, kelurahan_b)

    update_member(member=second, no_kk=make_no_kk(2))  # to another KK: two KK since the 10th day back
    assert kk_on(kelurahan_a, ago(11), ago(10)) == [1, 2]
    assert_history_exact(kelurahan_a, kelurahan_b)

    applicant = register_member(kelurahan=kelurahan_a, nik=make_nik(4), name="D", joined_on=ago(8), no_kk=make_no_kk(3), status="calon")
    assert kk_on(kelurahan_a, TODAY) == [2]  # an applicant is not a member yet
    assert_history_exact(kelurahan_a, kelurahan_b)
    accept_member(member=applicant, accepted_on=ago(2))
    assert kk_on(kelurahan_a, ago(3), ago(2)) == [2, 3]
    assert counters.gained([kelurahan_a.pk], TODAY) == {kelurahan_a.pk: 1}
    assert_history_exact(kelurahan_a, kelurahan_b)

    update_member(member=Member.objects.get(pk=second.pk), no_kk=make_no_kk(2), kelurahan=kelurahan_b)  # moves cooperative
    assert kk_on(kelurahan_a, TODAY) == [2] and kk_on(kelurahan_b, TODAY) == [1]
    assert_history_exact(kelurahan_a, kelurahan_b)

    record_leaving(member=Member.objects.get(pk=head.pk), status="keluar", left_on=ago(1))
    assert kk_on(kelurahan_a, ago(2), ago(1)) == [2, 1]  # the leaving day no longer counts
    assert_history_exact(kelurahan_a, kelurahan_b)

    MemberFactory(kelurahan=kelurahan_a, household=None, joined_on=ago(4), member_seq=99, nik=make_nik(50))  # the fixtures' way
    assert_history_exact(kelurahan_a, kelurahan_b)

    joined = ago(3).strftime("%d/%m/%Y")
    rows = [member_row(10, tanggal_masuk=joined), member_row(11, tanggal_masuk=joined), member_row(12, tanggal_masuk=joined, status="calon")]
    _out, err, exc = run_command("import_members", write_csv(tmp_path / "anggota.csv", [MEMBER_HEADER, *rows]))
    assert exc is None, err
    assert kk_on(kelurahan_a, ago(4), ago(3)) == [1, 3]  # two KK imported (and an applicant)
    assert_history_exact(kelurahan_a, kelurahan_b)
    undo(ImportBatch.objects.get(), admin_user)
    assert kk_on(kelurahan_a, ago(3)) == [1]
    assert_history_exact(kelurahan_a, kelurahan_b)


def current(kelurahan):
    return counters.stored_household_counts([kelurahan.pk])[kelurahan.pk]


def assert_household_counts_exact():
    assert counters.household_count_differences() == []


def test_the_current_household_count_follows_every_write(admin_client_, admin_user, tmp_path, kelurahan_a, kelurahan_b):
    assert current(kelurahan_a) == counters.NO_COUNT
    MemberFactory(kelurahan=kelurahan_a)
    newer = HouseholdCountFactory(kelurahan=kelurahan_a, count=100, as_of=date(2025, 6, 30), source="DKB I")
    assert current(kelurahan_a) == (100, date(2025, 6, 30), "DKB I")
    assert counters.stored([kelurahan_a.pk])[kelurahan_a.pk] == (1, 0, 1)  # the member figures are kept
    HouseholdCountFactory(kelurahan=kelurahan_a, count=90, as_of=date(2024, 12, 31), source="DKB II")  # older: not current
    assert current(kelurahan_a) == (100, date(2025, 6, 30), "DKB I")
    assert_household_counts_exact()

    url = reverse("admin:kelurahan_householdcount_change", args=[newer.pk])
    response = admin_client_.post(url, {"kelurahan": kelurahan_a.pk, "count": 120, "as_of": "2025-06-30", "source": "DKB I"})
    assert response.status_code == 302
    assert current(kelurahan_a)[0] == 120
    response = admin_client_.post(url, {"kelurahan": kelurahan_b.pk, "count": 120, "as_of": "2025-06-30", "source": "DKB I"})
    assert response.status_code == 302  # moved to the other kelurahan: both change
    assert current(kelurahan_a) == (90, date(2024, 12, 31), "DKB II") and current(kelurahan_b)[0] == 120
    assert_household_counts_exact()

    response = admin_client_.post(reverse("admin:kelurahan_householdcount_delete", args=[newer.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert current(kelurahan_b) == counters.NO_COUNT
    assert_household_counts_exact()

    path = write_csv(tmp_path / "kk.csv", [["kode_kelurahan", "jumlah_kk", "per_tanggal", "sumber"],
                                           ["64.71.05.1002", "3505", "2025-09-30", "DKB III"], ["64.71.01.1001", "7069", "2025-06-30", ""]])
    _out, err, exc = run_command("import_household_counts", path)
    assert exc is None, err
    assert current(kelurahan_a) == (3505, date(2025, 9, 30), "DKB III") and current(kelurahan_b) == (7069, date(2025, 6, 30), "")
    assert_household_counts_exact()
    undo(ImportBatch.objects.get(), admin_user)
    assert current(kelurahan_a) == (90, date(2024, 12, 31), "DKB II") and current(kelurahan_b) == counters.NO_COUNT
    assert_household_counts_exact()

    response = admin_client_.post(reverse("admin:kelurahan_householdcount_changelist"), {
        "action": "delete_selected", "_selected_action": list(HouseholdCount.objects.values_list("pk", flat=True)), "post": "yes",
    })
    assert response.status_code == 302 and not HouseholdCount.objects.exists()
    assert current(kelurahan_a) == counters.NO_COUNT
    assert_household_counts_exact()
    assert counters.stored([kelurahan_a.pk])[kelurahan_a.pk] == (1, 0, 1)


def test_recount_reports_and_fixes_a_household_count_and_a_history_that_drifted(kelurahan_a, kelurahan_b):
    HouseholdCountFactory(kelurahan=kelurahan_a, count=100, as_of=date(2025, 6, 30), source="DKB")
    MemberFactory(kelurahan=kelurahan_a, joined_on=TODAY - timedelta(days=3))
    MemberFactory(kelurahan=kelurahan_b, joined_on=TODAY - timedelta(days=9))
    call_command("recount", stdout=io.StringIO())  # exact: no error
    KelurahanCounter.objects.filter(kelurahan=kelurahan_a).update(jumlah_kk=7)
    RepresentedDay.objects.filter(kelurahan=kelurahan_a).update(kk_terwakili=5)
    RepresentedDay.objects.filter(kelurahan=kelurahan_b).delete()
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 of 2 kelurahan differ"):
        call_command("recount", stdout=out)
    assert "64.71.05.1002: household count 7 (2025-06-30, DKB), latest 100 (2025-06-30, DKB)" in out.getvalue()
    assert "64.71.05.1002: KK terwakili history differs" in out.getvalue()
    assert "64.71.01.1001: KK terwakili history differs" in out.getvalue()
    assert counters.gained([kelurahan_b.pk], TODAY) == {}  # what a drifted history would show
    call_command("recount", "--fix", stdout=io.StringIO())
    call_command("recount", stdout=io.StringIO())
    assert counters.gained([kelurahan_a.pk, kelurahan_b.pk], TODAY) == {kelurahan_a.pk: 1}
    assert_history_exact(kelurahan_a, kelurahan_b)
    assert_household_counts_exact()


def test_the_national_rollup_reads_the_same_figures_as_a_filtered_one(kelurahan_a, kelurahan_b):
    """The whole country takes another plan (campaign list hashed, no semi-join on the
    history): the same figures as the same kelurahan rolled up through a filter."""
    from dashboard.models import Campaign

    campaign = Campaign.objects.create(name="Nasional", percent=50, starts_on=TODAY - timedelta(days=30), deadline=TODAY + timedelta(days=30))
    campaign.kelurahan.add(kelurahan_a)  # listed one by one, as a national campaign would be
    HouseholdCountFactory(kelurahan=kelurahan_a, count=11)  # target 6 (rounded up)
    HouseholdCountFactory(kelurahan=kelurahan_b, count=7)  # not in the campaign: no target
    MemberFactory(kelurahan=kelurahan_a, joined_on=TODAY - timedelta(days=2))
    MemberFactory(kelurahan=kelurahan_b, joined_on=TODAY - timedelta(days=20))
    by = "kecamatan__kabupaten_kota__provinsi"
    everywhere = rollup(Kelurahan.objects.all(), campaign, by, TODAY)
    assert everywhere == rollup(Kelurahan.objects.filter(pk__in=[kelurahan_a.pk, kelurahan_b.pk]), campaign, by, TODAY)
    totals = {f: sum(row[f] or 0 for row in everywhere.values()) for f in ("kelurahan", "in_campaign", "jumlah_kk", "target", "kk_terwakili", "gained_7d")}
    assert totals == {"kelurahan": 2, "in_campaign": 1, "jumlah_kk": 18, "target": 6, "kk_terwakili": 2, "gained_7d": 1}


def test_an_applicant_who_withdrew_never_counts_in_the_history(kelurahan_a):
    """A calon who leaves before being accepted was never a member: no KK terwakili on any day."""
    from datetime import date

    from dashboard import counters
    from members.services import record_leaving, register_member
    from tests.factories import make_nik, make_no_kk

    applicant = register_member(kelurahan=kelurahan_a, nik=make_nik(71), name="Calon", joined_on=date(2025, 9, 1),
                                no_kk=make_no_kk(71), status="calon")
    record_leaving(member=applicant, status="keluar", left_on=date(2025, 9, 20), reason="mundur")
    accepted = register_member(kelurahan=kelurahan_a, nik=make_nik(72), name="Diterima", joined_on=date(2025, 9, 1),
                               no_kk=make_no_kk(72), status="calon")
    from members.services import accept_member

    accept_member(member=accepted, accepted_on=date(2025, 9, 5))
    record_leaving(member=accepted, status="keluar", left_on=date(2025, 9, 20))
    dates = [date(2025, 9, 2), date(2025, 9, 10), date(2025, 9, 25)]
    assert counters.history([kelurahan_a.pk], dates)[kelurahan_a.pk] == [0, 1, 0]
    assert counters.live_history([kelurahan_a.pk], dates)[kelurahan_a.pk] == [0, 1, 0]
