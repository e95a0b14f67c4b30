"""The unit's pages as an officer, a DKUMKMP reviewer and an admin use them: selling by member
number, the receipt and its correction, deliveries and counts, the daily book, the logbook
(masked for a reviewer) and the XLSX files read back, SHU and the dossier; a reviewer reads and
changes nothing."""

import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import make_nik
from usaha import services
from usaha.models import BusinessUnit, Product, StockEntry

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"usaha:{name}", args=args)


@pytest.fixture
def stocked(lpg):
    services.record_delivery(unit=lpg.unit, product=lpg, quantity=10, cost=160_000)
    return lpg


def form_key(response):
    return response.context["form"].initial["form_key"]


def test_an_officer_sells_by_member_number_and_sees_the_receipt(officer_client, stocked, anggota):
    page = officer_client.get(url("sale", stocked.unit_id))
    response = officer_client.post(url("sale", stocked.unit_id), {
        "product": stocked.pk, "buyer": anggota.member_number, "quantity": "2", "form_key": form_key(page)}, follow=True)
    entry = StockEntry.objects.get(type="jual")
    assert response.redirect_chain[-1][0] == url("receipt", entry.pk)
    body = response.content.decode()
    assert anggota.name in body and "Rp 36.000" in body and entry.receipt_number in body
    assert Product.objects.get(pk=stocked.pk).stock == 8


def test_a_refused_sale_says_why_and_records_nothing(officer_client, stocked):
    response = officer_client.post(url("sale", stocked.unit_id), {"product": stocked.pk, "buyer": make_nik(7), "quantity": "11"})
    assert response.status_code == 200
    assert "10 tabung" in response.content.decode()
    assert not StockEntry.objects.filter(type="jual").exists()


def test_the_officer_corrects_a_sale_from_its_receipt(officer_client, stocked):
    sale = services.record_sale(unit=stocked.unit, product=stocked, quantity=1, buyer=make_nik(7))
    assert url("correction", sale.pk) in officer_client.get(url("receipt", sale.pk)).content.decode()
    officer_client.post(url("correction", sale.pk), {"reason": "salah catat"})
    assert StockEntry.objects.get(reverses=sale).quantity == 1
    assert Product.objects.get(pk=stocked.pk).stock == 10


def test_deliveries_and_stock_counts_from_their_forms(officer_client, stocked):
    officer_client.post(url("delivery", stocked.unit_id), {"product": stocked.pk, "quantity": "5", "cost": "80.000",
                                                           "delivery_note": "SJ-77", "empties_out": "0"})
    officer_client.post(url("stock_count", stocked.unit_id), {"product": stocked.pk, "counted": "14", "reason": "bocor"})
    assert Product.objects.get(pk=stocked.pk).stock == 14
    assert StockEntry.objects.get(delivery_note="SJ-77").cost == 80_000
    book = officer_client.get(url("daily_book", stocked.unit_id)).context["days"]
    assert book[-1].closing == 14


def test_an_officer_adds_a_unit_and_a_product_within_the_het(officer_client, kelurahan_a, het):
    officer_client.post(url("unit_list", kelurahan_a.pk), {"name": "Outlet 2", "kind": "lpg", "started_on": "2026-01-05",
                                                           "limit_period": "bulan", "is_active": "on"})
    unit = BusinessUnit.objects.get(name="Outlet 2")
    response = officer_client.post(url("product_create", unit.pk), {"name": "LPG", "unit_label": "tabung", "is_lpg_3kg": "on",
                                                                    "member_price": "18000", "non_member_price": "21000",
                                                                    "is_active": "on"})
    assert "HET" in response.content.decode() and not Product.objects.filter(unit=unit).exists()
    officer_client.post(url("product_create", unit.pk), {"name": "LPG", "unit_label": "tabung", "is_lpg_3kg": "on",
                                                         "member_price": "18000", "non_member_price": "19000", "is_active": "on"})
    assert Product.objects.filter(unit=unit).exists()
    officer_client.post(url("unit_edit", unit.pk), {"name": "Outlet Dua", "kind": "lpg", "started_on": "2026-01-05",
                                                    "household_limit": "2", "limit_period": "minggu", "is_active": "on"})
    unit.refresh_from_db()
    assert (unit.name, unit.household_limit, unit.limit_period) == ("Outlet Dua", 2, "minggu")


def test_the_logbook_shows_full_nik_to_the_officer_and_masked_to_a_reviewer(client, officer, reviewer, stocked):
    services.record_sale(unit=stocked.unit, product=stocked, quantity=2, buyer=make_nik(7))
    client.force_login(officer)
    assert make_nik(7) in client.get(url("logbook", stocked.unit_id)).content.decode()
    client.force_login(reviewer)
    body = client.get(url("logbook", stocked.unit_id)).content.decode()
    assert make_nik(7) not in body and "6471••••••••0007" in body
    book = load_workbook(io.BytesIO(client.get(url("logbook_xlsx", stocked.unit_id)).content))
    rows = list(book["Logbook"].values)
    assert rows[1][1] == "6471••••••••0007" and rows[1][4] == 2


def test_the_officers_logbook_file_holds_the_full_nik(officer_client, stocked):
    services.record_sale(unit=stocked.unit, product=stocked, quantity=1, buyer=make_nik(7))
    rows = list(load_workbook(io.BytesIO(officer_client.get(url("logbook_xlsx", stocked.unit_id)).content))["Logbook"].values)
    assert rows[0][:2] == ("Tanggal", "NIK")
    assert rows[1][1:] == (make_nik(7), None, None, 1, 19_000)


def test_sales_per_member_and_their_file(officer_client, stocked, anggota):
    services.record_sale(unit=stocked.unit, product=stocked, quantity=2, buyer=anggota.member_number)
    services.record_sale(unit=stocked.unit, product=stocked, quantity=1, buyer=make_nik(7))
    response = officer_client.get(url("member_sales", stocked.unit_id))
    assert response.context["figures"]["member_percent"] == round(100 * 36_000 / 55_000, 1)
    rows = list(load_workbook(io.BytesIO(officer_client.get(url("member_sales_xlsx", stocked.unit_id)).content)).active.values)
    assert rows[1] == (anggota.member_number, anggota.name, 1, 36_000)


def test_a_formula_in_a_buyer_name_stays_text_in_the_file(officer_client, kelurahan_a, stocked, anggota):
    type(anggota).objects.filter(pk=anggota.pk).update(name="=HYPERLINK(1)")
    services.record_sale(unit=stocked.unit, product=stocked, quantity=1, buyer=anggota.member_number)
    rows = list(load_workbook(io.BytesIO(officer_client.get(url("member_sales_xlsx", stocked.unit_id)).content)).active.values)
    assert rows[1][1] == "'=HYPERLINK(1)"


def test_shu_page_calculates_and_the_slips_print(officer_client, kelurahan_a, stocked, anggota):
    services.record_sale(unit=stocked.unit, product=stocked, quantity=2, buyer=anggota.member_number)
    year = date.today().year
    officer_client.post(url("shu_year", kelurahan_a.pk) + f"?tahun={year}", {"action": "calculate", "other_costs": "0"})
    page = officer_client.get(url("shu_year", kelurahan_a.pk) + f"?tahun={year}")
    assert page.context["shu"].result == 2 * 2_000
    # No member has simpanan: the jasa modal has no basis and stays undivided; jasa anggota is all theirs.
    assert page.context["shares_total"] == page.context["shu"].allocation["jasa_anggota"] == 1_000
    assert anggota.name in officer_client.get(url("shu_slips", kelurahan_a.pk) + f"?tahun={year}").content.decode()


def test_the_dossier_and_its_file(officer_client, kelurahan_a, stocked, anggota):
    page = officer_client.get(url("dossier", kelurahan_a.pk))
    assert page.context["members"] == {"total": 1, "active": 1}
    sheet = load_workbook(io.BytesIO(officer_client.get(url("dossier_xlsx", kelurahan_a.pk)).content))["Profil"]
    rows = dict(list(sheet.values)[1:])
    assert (rows["Koperasi"], rows["Anggota"], rows["Anggota aktif"]) == ("KKMP Sepinggan", 1, 1)
    turnover, margin = list(sheet.values)[-2:]  # the unit's: nothing sold yet
    assert (turnover[1], margin[1]) == (0, 0) and "Outlet LPG" in turnover[0]


READ_URLS = ["unit_detail", "daily_book", "logbook", "logbook_xlsx", "member_sales", "member_sales_xlsx"]
WRITE_URLS = ["sale", "delivery", "stock_count", "product_create", "unit_edit"]


def test_a_reviewer_reads_every_page_and_changes_nothing(reviewer_client, kelurahan_a, stocked):
    sale = services.record_sale(unit=stocked.unit, product=stocked, quantity=1, buyer=make_nik(7))
    for name in READ_URLS:
        assert reviewer_client.get(url(name, stocked.unit_id)).status_code == 200, name
    for name in ("unit_list", "shu_year", "shu_slips", "dossier", "dossier_xlsx"):
        assert reviewer_client.get(url(name, kelurahan_a.pk)).status_code == 200, name
    assert reviewer_client.get(url("receipt", sale.pk)).status_code == 200
    before = list(StockEntry.objects.values_list("pk", flat=True)), Product.objects.get(pk=stocked.pk).stock
    for name in WRITE_URLS:
        for response in (reviewer_client.get(url(name, stocked.unit_id)),
                         reviewer_client.post(url(name, stocked.unit_id), {"product": stocked.pk, "quantity": "1",
                                                                             "buyer": make_nik(8), "counted": "0"})):
            assert response.status_code == 404, name
    for name in ("correction",):
        assert reviewer_client.post(url(name, sale.pk), {"reason": "x"}).status_code == 404
    assert reviewer_client.post(url("product_edit", stocked.pk), {"name": "x"}).status_code == 404
    for action in ("rule", "calculate", "decide", "pay"):
        assert reviewer_client.post(url("shu_year", kelurahan_a.pk), {"action": action}).status_code == 404
    assert reviewer_client.post(url("unit_list", kelurahan_a.pk), {"name": "x", "kind": "lpg"}).status_code == 404
    assert (list(StockEntry.objects.values_list("pk", flat=True)), Product.objects.get(pk=stocked.pk).stock) == before
    assert not BusinessUnit.objects.filter(name="x").exists()


def test_the_rat_page_links_the_shu_of_the_year_before(officer_client, kelurahan_a):
    from koperasi.models import Meeting

    rat = Meeting.objects.create(kelurahan=kelurahan_a, held_on=date(2026, 3, 14), place="Balai", agenda="RAT 2025")
    body = officer_client.get(reverse("koperasi:meeting_detail", args=[rat.pk])).content.decode()
    assert f'href="{url("shu_year", kelurahan_a.pk)}?tahun=2025"' in body


def test_the_receipt_masks_a_residents_nik_for_a_reviewer(client, officer, reviewer, stocked):
    sale = services.record_sale(unit=stocked.unit, product=stocked, quantity=1, buyer=make_nik(7))
    client.force_login(officer)
    assert make_nik(7) in client.get(url("receipt", sale.pk)).content.decode()
    client.force_login(reviewer)
    body = client.get(url("receipt", sale.pk)).content.decode()
    assert make_nik(7) not in body and "6471••••••••0007" in body
    assert url("correction", sale.pk) not in body
