"""Arrears (menunggak): who owes simpanan wajib, the member list's filter, the monthly list to
print and to download, and the same figure from SQL and from Python."""

import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEvent
from koperasi import queries, simpanan
from koperasi.models import Cooperative
from members.models import Member
from members.services import record_leaving, register_member
from tests.factories import make_nik, make_no_kk

pytestmark = pytest.mark.django_db

JOINED = date(2025, 1, 15)
JUNE = {"bulan": "2025-06"}  # drawn up on 30-06-2025: January to June due, six months


def member(kelurahan, serial, *, wajib_months=0, name=None, **kwargs):
    m = register_member(kelurahan=kelurahan, nik=make_nik(serial), name=name or f"Anggota {serial}", joined_on=JOINED,
                        no_kk=make_no_kk(serial), **kwargs)
    if wajib_months:
        simpanan.record_payment(member=m, kind="wajib", months=wajib_months, paid_on=date(2025, 2, 1))
    return m


@pytest.fixture
def register(kelurahan_a):
    """Six months due on 30-06-2025 and arrears from three months (the defaults): paid 2 →
    4 unpaid, in arrears; paid 4 → 2 unpaid, not; paid 0 → 6 unpaid; an applicant and a
    former member owe nothing."""
    return {
        "two": member(kelurahan_a, 1, wajib_months=2, name="Siti Dua"),
        "four": member(kelurahan_a, 2, wajib_months=4, name="Budi Empat"),
        "none": member(kelurahan_a, 3, name="=HYPERLINK(\"x\")"),
        "calon": member(kelurahan_a, 4, status=Member.Status.CALON),
        "left": record_leaving(member=member(kelurahan_a, 5), status=Member.Status.KELUAR, left_on=date(2025, 3, 1)),
    }


def test_the_rule_in_sql_is_the_rule_in_python(kelurahan_a, register):
    cooperative = Cooperative.of(kelurahan_a)
    for day in (date(2025, 1, 9), date(2025, 3, 10), date(2025, 4, 9), date(2025, 6, 30), date(2026, 1, 1)):
        in_sql = set(queries.in_arrears(Member.objects.all(), day).values_list("pk", flat=True))
        in_python = set()
        for m in Member.objects.all():
            position = queries.arrears_of(m, cooperative, simpanan.balances(m), today=day)
            if position and position.in_arrears:
                in_python.add(m.pk)
        assert in_sql == in_python, day
    assert set(queries.in_arrears(Member.objects.all(), date(2025, 6, 30))) == {register["two"], register["none"]}


def test_the_due_day_and_the_number_of_months_are_the_cooperative_s(kelurahan_a, register):
    # January to April due on 9 May (May is due on the 10th): Siti has paid two, two unpaid.
    assert list(queries.in_arrears(Member.objects.all(), date(2025, 5, 9))) == [register["none"]]
    assert set(queries.in_arrears(Member.objects.all(), date(2025, 5, 10))) == {register["none"], register["two"]}
    Cooperative.objects.filter(kelurahan=kelurahan_a).update(arrears_months=5, wajib_due_day=1)
    assert list(queries.in_arrears(Member.objects.all(), date(2025, 5, 1))) == [register["none"]]


def test_the_arrears_list_shows_who_owes_what(officer_client, kelurahan_a, register):
    response = officer_client.get(reverse("koperasi:arrears", args=[kelurahan_a.pk]), JUNE)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(r.name, r.unpaid, r.owed) for r in rows] == [("Siti Dua", 4, 40_000), ('=HYPERLINK("x")', 6, 60_000)]
    assert rows[0].paid_through == date(2025, 2, 1) and rows[1].paid_through is None
    assert response.context["total_owed"] == 100_000
    page = response.content.decode()
    assert "Budi Empat" not in page and register["two"].member_number in page
    assert make_nik(1) not in page  # no NIK on the list


def test_the_downloaded_list_reads_back_with_the_same_rows(officer_client, kelurahan_a, register):
    response = officer_client.get(reverse("koperasi:arrears_xlsx", args=[kelurahan_a.pk]), JUNE)
    assert response.status_code == 200
    assert "tunggakan-simpanan-wajib-64-71-05-1002-2025-06.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [row for row in sheet.iter_rows(min_row=5, values_only=True)]
    assert [(r[1], r[2], r[7], r[8]) for r in rows] == [
        (register["two"].member_number, "Siti Dua", 4, 40_000),
        (register["none"].member_number, "'=HYPERLINK(\"x\")", 6, 60_000),  # shown, never run
    ]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, detail__what="arrears list").exists()


def test_a_month_to_come_is_refused_with_a_message(officer_client, kelurahan_a, register):
    response = officer_client.get(reverse("koperasi:arrears", args=[kelurahan_a.pk]), {"bulan": "2999-01"})
    assert response.status_code == 200
    assert response.context["form"].errors["bulan"]
    response = officer_client.get(reverse("koperasi:arrears", args=[kelurahan_a.pk]), {"bulan": "June"})
    assert response.status_code == 200 and response.context["form"].errors["bulan"]


def test_the_reviewer_reads_the_list_and_another_cooperative_gets_a_404(client, reviewer, kelurahan_a, officer_b,
                                                                        register):
    client.force_login(reviewer)
    assert client.get(reverse("koperasi:arrears", args=[kelurahan_a.pk]), JUNE).status_code == 200
    other = officer_b
    client.force_login(other)
    assert client.get(reverse("koperasi:arrears", args=[kelurahan_a.pk])).status_code == 404
    assert client.get(reverse("koperasi:arrears_xlsx", args=[kelurahan_a.pk])).status_code == 404
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DENIED, actor=other).count() == 2


def test_the_member_list_filters_by_arrears(officer_client, kelurahan_a, register):
    response = officer_client.get(reverse("members:member_list"), {"status": "menunggak"})
    shown = {m.pk for m in response.context["page"]}
    # Today, long after June 2025: everyone active owes more than three months.
    assert shown == {register["two"].pk, register["four"].pk, register["none"].pk}
    simpanan.record_payment(member=register["four"], kind="wajib", months=24, paid_on=date(2025, 3, 1))
    response = officer_client.get(reverse("members:member_list"), {"status": "menunggak", "q": "Budi"})
    assert list(response.context["page"]) == []


def test_the_list_costs_the_same_queries_for_many_members(officer_client, kelurahan_a, django_assert_max_num_queries):
    for serial in range(10, 40):
        member(kelurahan_a, serial)
    with django_assert_max_num_queries(12):
        response = officer_client.get(reverse("koperasi:arrears", args=[kelurahan_a.pk]), JUNE)
    assert len(response.context["rows"]) == 30
