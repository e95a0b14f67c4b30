"""Two officers selling the last cylinder at the same moment, in real concurrent PostgreSQL
sessions: one sale is recorded, the other refused, and the stock never goes below zero."""

from django.core.exceptions import ValidationError

from tests.factories import make_nik
from tests.members.test_concurrency import at_once, pytestmark  # noqa: F401 (PostgreSQL, transactions)
from usaha import services
from usaha.models import Product, StockEntry

from .conftest import TODAY


def test_the_last_cylinder_sold_twice_at_once_is_sold_once(lpg):
    services.record_delivery(unit=lpg.unit, product=lpg, quantity=1, today=TODAY)
    sale = lambda serial: lambda: services.record_sale(unit=lpg.unit, product=lpg, quantity=1,  # noqa: E731
                                                       buyer=make_nik(serial), today=TODAY)
    results = at_once(sale(7), sale(8))
    sold = [r for r in results if isinstance(r, StockEntry)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(sold) == 1 and len(refused) == 1, results
    assert refused[0].code == "stock"
    assert Product.objects.get(pk=lpg.pk).stock == 0


def test_sales_of_many_buyers_at_once_get_distinct_receipt_numbers_and_exact_stock(lpg):
    services.record_delivery(unit=lpg.unit, product=lpg, quantity=4, today=TODAY)
    results = at_once(*(lambda s=s: services.record_sale(unit=lpg.unit, product=lpg, quantity=1, buyer=make_nik(s),
                                                          today=TODAY) for s in range(10, 16)))
    assert sum(isinstance(r, StockEntry) for r in results) == 4, results
    assert sum(isinstance(r, ValidationError) for r in results) == 2, results
    assert Product.objects.get(pk=lpg.pk).stock == 0
    assert sorted(StockEntry.objects.values_list("receipt_seq", flat=True)) == [1, 2, 3, 4, 5]
