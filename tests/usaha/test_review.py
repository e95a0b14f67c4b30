"""An outside review of the business units (issue 22): the recount checks the units' kept
figures against the ledger, a unit's start date is a real one, and bad input through the real
forms and query strings is refused with a message, never a 500."""

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from tests.factories import make_nik
from usaha import counters, services
from usaha.models import BusinessUnit, MemberYear, Product, StockEntry, UnitMonth

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"usaha:{name}", args=args)


@pytest.fixture
def ledger(lpg, rice, anggota):
    """Deliveries (one with empties back), sales to a member and a resident, a corrected sale,
    a corrected delivery and a stock count."""
    unit = lpg.unit
    services.record_delivery(unit=unit, product=lpg, quantity=20, cost=320_000)
    services.record_sale(unit=unit, product=lpg, quantity=2, buyer=anggota.member_number)
    wrong = services.record_sale(unit=unit, product=lpg, quantity=1, buyer=make_nik(7))
    services.reverse_entry(entry=wrong, reason="salah catat")
    services.record_sale(unit=unit, product=lpg, quantity=1, buyer=make_nik(8))
    services.record_delivery(unit=unit, product=lpg, quantity=5, cost=80_000, empties_out=3)
    extra = services.record_delivery(unit=rice.unit, product=rice, quantity=9, cost=540_000)
    services.record_delivery(unit=rice.unit, product=rice, quantity=4, cost=240_000)
    services.reverse_entry(entry=extra, reason="dobel")
    services.record_sale(unit=rice.unit, product=rice, quantity=1, buyer=anggota.member_number)
    services.record_count(unit=unit, product=lpg, counted=20, reason="bocor")
    return lpg, rice


def test_the_kept_figures_equal_a_live_recount_after_sales_corrections_and_counts(ledger):
    lpg, rice = ledger
    assert counters.differences() == []
    lpg.refresh_from_db()
    rice.refresh_from_db()
    assert (lpg.stock, lpg.empties, rice.stock) == (20, 0, 3)
    assert counters.live_stock()[lpg.pk] == (20, 0)


def test_recount_reports_and_fixes_business_unit_figures_that_drifted(ledger, anggota):
    lpg, rice = ledger
    call_command("recount", stdout=io.StringIO())  # exact: no error
    Product.objects.filter(pk=lpg.pk).update(stock=99, empties=5)
    UnitMonth.objects.filter(unit=rice.unit).update(turnover=1)
    MemberYear.objects.filter(unit=lpg.unit, member=anggota).delete()
    out = io.StringIO()
    with pytest.raises(CommandError, match="3 business unit figures differ"):
        call_command("recount", stdout=out)
    assert f"usaha product {lpg.pk}: stock and empties (99, 5), ledger (20, 0)" in out.getvalue()
    call_command("recount", "--fix", stdout=io.StringIO())
    assert Product.objects.values_list("stock", "empties").get(pk=lpg.pk) == (20, 0)
    assert UnitMonth.objects.get(unit=rice.unit).turnover == 70_000
    assert MemberYear.objects.get(unit=lpg.unit, member=anggota).amount == 36_000
    assert counters.differences() == []
    call_command("recount", stdout=io.StringIO())


@pytest.mark.parametrize("started_on", ["3026-01-01", "0202-01-01", "1999-12-31"])
def test_a_unit_cannot_start_in_the_future_or_before_2000(officer_client, kelurahan_a, unit, started_on):
    data = {"name": "Sembako Baru", "kind": "sembako", "limit_period": "bulan", "started_on": started_on}
    response = officer_client.post(url("unit_list", kelurahan_a.pk), data)
    assert response.status_code == 200 and response.context["form"].errors["started_on"]
    assert "Sembako Baru" in response.content.decode()  # what was typed is kept
    response = officer_client.post(url("unit_edit", unit.pk), {**data, "name": unit.name, "kind": "lpg"})
    assert response.context["form"].errors["started_on"]
    assert not BusinessUnit.objects.filter(name="Sembako Baru").exists()
    assert BusinessUnit.objects.get(pk=unit.pk).started_on == date(2025, 1, 1)


BAD_QUERIES = ["2026-13", "x" * 5000, "9" * 5000, "-1", "0", "999999", "9999-12", "0001-01", "٢٠٢٦-٠٣", ""]


def test_absurd_query_strings_show_a_page(officer_client, reviewer_client, kelurahan_a, ledger):
    lpg, _rice = ledger
    pages = [("daily_book", lpg.unit_id), ("logbook", lpg.unit_id), ("logbook_xlsx", lpg.unit_id), ("member_sales", lpg.unit_id),
             ("member_sales_xlsx", lpg.unit_id), ("shu_year", kelurahan_a.pk), ("shu_slips", kelurahan_a.pk)]
    for client in (officer_client, reviewer_client):
        for name, pk in pages:
            for value in BAD_QUERIES:
                for key in ("bulan", "tahun", "halaman", "produk"):
                    assert client.get(url(name, pk), {key: value}).status_code == 200, (name, key, value[:20])


@pytest.mark.parametrize("value", ["0", "-5", "9" * 5000, "10001", "1.5", "", "99999999999999999999", "1e3"])
def test_bad_numbers_in_the_ledger_forms_are_refused_and_change_nothing(officer_client, ledger, value):
    lpg, rice = ledger
    before = list(StockEntry.objects.values_list("pk", flat=True))
    posts = [("sale", {"product": lpg.pk, "buyer": make_nik(9), "quantity": value}),
             ("sale", {"product": value, "buyer": make_nik(9), "quantity": "1"}),
             ("delivery", {"product": lpg.pk, "quantity": value, "cost": "1000"}),
             ("delivery", {"product": lpg.pk, "quantity": "1", "cost": "1", "empties_out": value if value not in ("0", "") else "-1"}),
             ("stock_count", {"product": lpg.pk, "counted": value if value != "0" else "-1", "reason": "x"})]
    for name, data in posts:
        response = officer_client.post(url(name, lpg.unit_id), data)
        assert response.status_code == 200 and response.context["form"].errors, (name, data)
    assert list(StockEntry.objects.values_list("pk", flat=True)) == before


def test_another_units_product_is_refused_on_each_ledger_form(officer_client, ledger):
    lpg, rice = ledger
    for name, data in [("sale", {"product": rice.pk, "buyer": "", "quantity": "1"}),
                       ("delivery", {"product": rice.pk, "quantity": "1"}),
                       ("stock_count", {"product": rice.pk, "counted": "0", "reason": "x"})]:
        response = officer_client.post(url(name, lpg.unit_id), data)
        assert response.context["form"].errors["product"]
    assert Product.objects.get(pk=rice.pk).stock == 3


def test_every_file_of_a_unit_is_audited_as_the_other_exports_are(officer_client, kelurahan_a, ledger):
    from audit.models import AuditEvent

    lpg, _rice = ledger
    for name, pk in [("logbook_xlsx", lpg.unit_id), ("member_sales_xlsx", lpg.unit_id), ("dossier_xlsx", kelurahan_a.pk)]:
        before = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count()
        assert officer_client.get(url(name, pk)).status_code == 200
        assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == before + 1, name


def test_an_lpg_product_in_the_ledger_cannot_be_made_unsubsidised(officer_client, ledger):
    """Unticking LPG 3 kg after sales would sell it above the HET and without a NIK."""
    lpg, _rice = ledger
    data = {"name": lpg.name, "unit_label": "tabung", "member_price": "25.000", "non_member_price": "25.000", "is_active": "on"}
    response = officer_client.post(url("product_edit", lpg.pk), data)
    assert response.status_code == 200 and response.context["form"].errors["is_lpg_3kg"]
    assert Product.objects.values_list("is_lpg_3kg", "member_price").get(pk=lpg.pk) == (True, 18_000)
    response = officer_client.post(url("sale", lpg.unit_id), {"product": lpg.pk, "buyer": "", "quantity": "1"})
    assert response.context["form"].errors  # still sold by NIK only


def test_a_new_product_may_still_be_ticked_either_way(officer_client, unit):
    product = Product.objects.create(unit=unit, name="Bright Gas", member_price=90_000, non_member_price=95_000)
    data = {"name": "Bright Gas", "unit_label": "tabung", "member_price": "18.000", "non_member_price": "19.000",
            "is_lpg_3kg": "on", "is_active": "on"}
    assert officer_client.post(url("product_edit", product.pk), data).status_code == 302
    assert Product.objects.get(pk=product.pk).is_lpg_3kg


def test_members_never_pay_more_than_non_members(officer_client, unit, het):
    data = {"name": "LPG 3 kg", "unit_label": "tabung", "is_lpg_3kg": "on", "member_price": "19.000",
            "non_member_price": "18.000", "is_active": "on"}
    response = officer_client.post(url("product_create", unit.pk), data)
    assert response.status_code == 200 and response.context["form"].errors["member_price"]
    assert 'value="19.000"' in response.content.decode()  # what was typed is kept
    assert not Product.objects.exists()


def test_a_sale_without_its_csrf_token_is_refused(client, officer, lpg):
    from django.test import Client

    services.record_delivery(unit=lpg.unit, product=lpg, quantity=5, cost=80_000)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(officer)
    response = strict.post(url("sale", lpg.unit_id), {"product": lpg.pk, "buyer": make_nik(7), "quantity": "1"})
    assert response.status_code == 403
    assert not StockEntry.objects.filter(type="jual").exists()


def test_the_household_limit_resets_on_the_first_of_the_month_and_on_monday(lpg):
    from django.core.exceptions import ValidationError

    services.record_delivery(unit=lpg.unit, product=lpg, quantity=50, cost=800_000)
    buyer = make_nik(7)
    services.record_sale(unit=lpg.unit, product=lpg, quantity=4, buyer=buyer, today=date(2026, 3, 1))
    with pytest.raises(ValidationError, match="4"):
        services.record_sale(unit=lpg.unit, product=lpg, quantity=1, buyer=buyer, today=date(2026, 3, 31))
    services.record_sale(unit=lpg.unit, product=lpg, quantity=4, buyer=buyer, today=date(2026, 4, 1))
    BusinessUnit.objects.filter(pk=lpg.unit_id).update(limit_period="minggu")
    unit = BusinessUnit.objects.get(pk=lpg.unit_id)
    services.record_sale(unit=unit, product=lpg, quantity=4, buyer=buyer, today=date(2026, 4, 12))  # Sunday: week of 6 April
    with pytest.raises(ValidationError):
        services.record_sale(unit=unit, product=lpg, quantity=1, buyer=buyer, today=date(2026, 4, 12))
    services.record_sale(unit=unit, product=lpg, quantity=1, buyer=buyer, today=date(2026, 4, 13))  # Monday


def test_a_stock_count_already_sold_from_cannot_be_reversed_below_zero(rice):
    from django.core.exceptions import ValidationError

    services.record_delivery(unit=rice.unit, product=rice, quantity=10, cost=600_000)
    count = services.record_count(unit=rice.unit, product=rice, counted=15, reason="kiriman tanpa nota")
    services.record_sale(unit=rice.unit, product=rice, quantity=12)
    with pytest.raises(ValidationError, match="negative|negatif"):
        services.reverse_entry(entry=count, reason="salah hitung")
    assert Product.objects.get(pk=rice.pk).stock == 3
    assert counters.differences() == []
