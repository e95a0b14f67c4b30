"""The business units on the city dashboard and in the Satgas report: units running per
kelurahan, the month's quantity and the sales to members, from the usaha counters."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dashboard.models import Report
from tests.query_counts import pin_queries
from tests.usaha.fixtures import sold_unit
from usaha import services

pytestmark = pytest.mark.django_db


def test_the_dashboard_shows_the_units_and_the_months_sales(officer_client, kelurahan_a, anggota):
    unit, product, _sale = sold_unit(kelurahan_a)
    services.record_sale(unit=unit, product=product, quantity=2, buyer=anggota.member_number)
    response = officer_client.get(reverse("dashboard:dashboard"))
    (kel, business), = response.context["business_rows"]
    assert (kel, business.units, business.quantity, business.sales, business.member_sales) == (kelurahan_a, 1, 3, 2, 1)
    assert business.member_percent == 50.0
    assert 'data-business-kode="64.71.05.1002"' in response.content.decode()


def test_the_dashboard_runs_as_many_queries_with_more_units(officer_client, kelurahan_a, kelurahan_b):
    sold_unit(kelurahan_a)

    def grow():
        for i in range(3):
            sold_unit(kelurahan_b, name=f"Unit {i}")
            sold_unit(kelurahan_a, name=f"Unit {i}")
    # As tests/dashboard/test_query_counts.py: 13 for an officer.
    pin_queries(officer_client, reverse("dashboard:dashboard"), 13, grow=grow)


def test_the_satgas_report_has_a_sheet_of_the_units(client, reviewer, kelurahan_a):
    sold_unit(kelurahan_a)
    client.force_login(reviewer)
    response = client.post(reverse("dashboard:report_create"), {"wilayah": "64.71"})
    assert response.status_code == 302
    report = Report.objects.get()
    rows = list(load_workbook(io.BytesIO(bytes(report.xlsx)))["Usaha"].values)
    assert rows[0][:4] == ("kode_kelurahan", "kelurahan", "bulan", "unit_berjalan")
    assert rows[1][0] == "64.71.05.1002" and rows[1][3] == 1 and rows[1][4] == 1
