"""The stock and sales ledger: append-only entries, stock never negative, member and
non-member prices, the HET, the household (KK) limit, corrections, the daily book's sums."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from tests.factories import make_nik, make_no_kk
from usaha import reports, services
from usaha.models import Het, MemberYear, Product, StockDay, StockEntry, UnitMonth

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def stock_in(product, quantity=10, cost=160_000, **kwargs):
    return services.record_delivery(unit=product.unit, product=product, quantity=quantity, cost=cost, today=TODAY, **kwargs)


def sell(product, buyer="", quantity=1, today=TODAY, **kwargs):
    return services.record_sale(unit=product.unit, product=product, quantity=quantity, buyer=buyer, today=today, **kwargs)


def test_an_active_member_pays_the_member_price_and_a_resident_the_other(lpg, anggota):
    stock_in(lpg)
    by_member = sell(lpg, anggota.member_number)
    by_nik = sell(lpg, make_nik(7))
    assert (by_member.price, by_member.is_member_price, by_member.member) == (18_000, True, anggota)
    assert (by_nik.price, by_nik.is_member_price, by_nik.member) == (19_000, False, None)
    assert by_member.no_kk == make_no_kk(1)  # the member's household


def test_a_member_is_found_by_their_nik_and_by_the_sequence_of_their_number(lpg, anggota):
    stock_in(lpg)
    assert sell(lpg, anggota.nik).member == anggota
    assert sell(lpg, "1").member == anggota


def test_an_applicant_pays_the_non_member_price(rice, kelurahan_a):
    from members.services import register_member

    calon = register_member(kelurahan=kelurahan_a, nik=make_nik(3), name="Calon", joined_on=date(2025, 9, 1), status="calon")
    stock_in(rice, cost=600_000)
    assert sell(rice, calon.member_number).price == 75_000


def test_lpg_is_not_sold_without_a_nik_and_an_invalid_nik_is_refused(lpg):
    stock_in(lpg)
    for buyer, code in (("", "nik_required"), ("6471051390000001", "nik"), ("99999", "not_found")):
        with pytest.raises(ValidationError) as exc:
            sell(lpg, buyer)
        assert exc.value.code == code, buyer
    assert StockEntry.objects.filter(type="jual").count() == 0


def test_sembako_is_sold_to_an_anonymous_buyer_at_the_non_member_price(rice):
    stock_in(rice, cost=600_000)
    entry = sell(rice, "", quantity=2)
    assert (entry.amount, entry.cost, entry.member) == (150_000, 120_000, None)


def test_no_sale_above_the_stock(lpg):
    stock_in(lpg, quantity=2)
    with pytest.raises(ValidationError) as exc:
        sell(lpg, make_nik(7), quantity=3)
    assert exc.value.code == "stock"
    assert Product.objects.get(pk=lpg.pk).stock == 2


def test_the_household_limit_counts_the_kk_whoever_of_it_buys(lpg, anggota, kelurahan_a):
    from members.services import register_member

    # A second member of the same KK (household 1).
    register_member(kelurahan=kelurahan_a, nik=make_nik(2), name="Istri", joined_on=date(2025, 9, 1), no_kk=make_no_kk(1),
                    status="aktif")
    stock_in(lpg, quantity=20)
    sell(lpg, anggota.member_number, quantity=3)
    with pytest.raises(ValidationError) as exc:
        sell(lpg, make_nik(2), quantity=2)
    assert exc.value.code == "household_limit"
    sell(lpg, make_nik(2), quantity=1)  # the fourth: allowed
    # Next month the limit starts again.
    assert services.bought_in_period(lpg.unit, services.find_buyer(lpg.unit, make_nik(2)), date(2026, 4, 1)) == 0


def test_a_resident_without_a_known_kk_is_limited_by_nik(lpg):
    stock_in(lpg, quantity=20)
    sell(lpg, make_nik(9), quantity=4)
    with pytest.raises(ValidationError):
        sell(lpg, make_nik(9))
    sell(lpg, make_nik(10))


def test_a_corrected_sale_no_longer_counts_for_the_limit(lpg):
    stock_in(lpg, quantity=20)
    sale = sell(lpg, make_nik(9), quantity=4)
    services.reverse_entry(entry=sale, reason="salah catat", today=TODAY)
    sell(lpg, make_nik(9), quantity=4)


def test_no_lpg_sale_above_the_het_nor_without_one(lpg, het):
    stock_in(lpg)
    Product.objects.filter(pk=lpg.pk).update(non_member_price=20_000)
    with pytest.raises(ValidationError) as exc:
        sell(lpg, make_nik(7))
    assert exc.value.code == "above_het"
    Het.objects.all().delete()
    Product.objects.filter(pk=lpg.pk).update(non_member_price=19_000)
    with pytest.raises(ValidationError) as exc:
        sell(lpg, make_nik(7))
    assert exc.value.code == "no_het"


def test_a_newer_het_applies_from_its_date(lpg, het):
    Het.objects.create(kabupaten_kota=het.kabupaten_kota, price=17_000, valid_from=date(2026, 3, 1), source="SK baru")
    stock_in(lpg)
    with pytest.raises(ValidationError):
        sell(lpg, make_nik(7))  # 19.000 > 17.000 from 1 March
    sell(lpg, make_nik(7), today=date(2026, 2, 28))


def test_entries_are_never_changed_or_deleted(lpg):
    entry = stock_in(lpg)
    entry.quantity = 99
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()


def test_a_correction_reverses_a_sale_once_and_puts_the_stock_back(lpg, anggota):
    stock_in(lpg, quantity=5)
    sale = sell(lpg, anggota.member_number, quantity=2)
    correction = services.reverse_entry(entry=sale, reason="salah anggota", today=TODAY)
    assert (correction.quantity, correction.amount, correction.reverses) == (2, -36_000, sale)
    assert Product.objects.get(pk=lpg.pk).stock == 5
    month = UnitMonth.objects.get(unit=lpg.unit)
    assert (month.sales, month.turnover, month.member_turnover) == (0, 0, 0)
    assert MemberYear.objects.values_list("sales", "amount").get() == (0, 0)
    assert list(reports.member_sales(lpg.unit, TODAY.year)) == []
    with pytest.raises(ValidationError) as exc:
        services.reverse_entry(entry=sale, reason="lagi", today=TODAY)
    assert exc.value.code == "already_reversed"
    with pytest.raises(ValidationError) as exc:
        services.reverse_entry(entry=correction, reason="lagi", today=TODAY)
    assert exc.value.code == "correction"


def test_a_delivery_already_sold_cannot_be_reversed(lpg):
    delivery = stock_in(lpg, quantity=2)
    sell(lpg, make_nik(7), quantity=1)
    with pytest.raises(ValidationError) as exc:
        services.reverse_entry(entry=delivery, reason="salah", today=TODAY)
    assert exc.value.code == "stock"


def test_empties_come_in_with_sales_and_go_back_with_deliveries(lpg):
    stock_in(lpg, quantity=5)
    sell(lpg, make_nik(7), quantity=3)
    assert Product.objects.get(pk=lpg.pk).empties == 3
    with pytest.raises(ValidationError):
        stock_in(lpg, quantity=5, empties_out=4)
    stock_in(lpg, quantity=5, empties_out=3)
    assert Product.objects.get(pk=lpg.pk).empties == 0


def test_a_stock_count_records_the_difference_and_needs_a_reason(lpg):
    stock_in(lpg, quantity=5)
    with pytest.raises(ValidationError) as exc:
        services.record_count(unit=lpg.unit, product=lpg, counted=4, today=TODAY)
    assert exc.value.code == "reason"
    entry = services.record_count(unit=lpg.unit, product=lpg, counted=4, reason="satu tabung bocor", today=TODAY)
    assert entry.quantity == -1 and Product.objects.get(pk=lpg.pk).stock == 4


def test_the_daily_book_adds_up_day_by_day(lpg):
    services.record_delivery(unit=lpg.unit, product=lpg, quantity=10, today=date(2026, 3, 2))
    sell(lpg, make_nik(7), quantity=2, today=date(2026, 3, 2))
    sell(lpg, make_nik(8), quantity=1, today=date(2026, 3, 4))
    services.record_count(unit=lpg.unit, product=lpg, counted=6, reason="hilang", today=date(2026, 3, 5))
    book = reports.daily_book(lpg, date(2026, 3, 1), today=date(2026, 3, 6))
    assert [(d.day.day, d.opening, d.stock_in, d.stock_out, d.adjusted, d.closing) for d in book] == [
        (1, 0, 0, 0, 0, 0), (2, 0, 10, 2, 0, 8), (3, 8, 0, 0, 0, 8), (4, 8, 0, 1, 0, 7), (5, 7, 0, 0, -1, 6), (6, 6, 0, 0, 0, 6)]
    for day in StockDay.objects.all():
        assert day.opening + day.stock_in - day.stock_out + day.adjusted == day.closing
    assert reports.daily_book(lpg, date(2026, 4, 1), today=date(2026, 4, 2))[0].opening == 6


def test_the_same_form_sent_twice_records_one_sale(lpg):
    import uuid

    stock_in(lpg)
    key = uuid.uuid4()
    first = sell(lpg, make_nik(7), form_key=key)
    with pytest.raises(services.AlreadyRecorded) as exc:
        sell(lpg, make_nik(7), form_key=key)
    assert exc.value.entry == first
    assert StockEntry.objects.filter(type="jual").count() == 1


def test_receipt_numbers_follow_each_other_per_unit(lpg, rice):
    numbers = [stock_in(lpg).receipt_number, sell(lpg, make_nik(7)).receipt_number, stock_in(rice).receipt_number]
    assert numbers == [f"NJ-{lpg.unit_id}-000001", f"NJ-{lpg.unit_id}-000002", f"NJ-{rice.unit_id}-000001"]


def test_the_logbook_sums_per_day_per_nik_and_leaves_out_corrected_sales(lpg):
    stock_in(lpg, quantity=20)
    sell(lpg, make_nik(7), quantity=1)
    sell(lpg, make_nik(7), quantity=2)
    wrong = sell(lpg, make_nik(8), quantity=1)
    services.reverse_entry(entry=wrong, reason="batal", today=TODAY)
    rows = list(reports.logbook_rows(reports.logbook_sales(lpg.unit, TODAY)))
    assert [(r["buyer_nik"], r["cylinders"], r["amount"]) for r in rows] == [(make_nik(7), 3, 57_000)]


def test_a_member_of_another_cooperative_buys_as_a_resident_of_their_household(lpg, kelurahan_b):
    from members.services import register_member

    elsewhere = register_member(kelurahan=kelurahan_b, nik=make_nik(5, region="647101"), name="Warga Manggar",
                                joined_on=date(2025, 9, 1), no_kk=make_no_kk(5, region="647101"), status="aktif")
    stock_in(lpg)
    entry = sell(lpg, elsewhere.nik)
    assert (entry.member, entry.is_member_price, entry.price, entry.no_kk) == (None, False, 19_000, elsewhere.household.no_kk)


def test_a_resident_heading_a_listed_household_is_limited_with_it(lpg, kelurahan_a):
    from members.models import Household

    Household.objects.create(no_kk=make_no_kk(8), kelurahan=kelurahan_a, head_name="Kepala", head_nik=make_nik(8))
    stock_in(lpg)
    assert sell(lpg, make_nik(8)).no_kk == make_no_kk(8)
