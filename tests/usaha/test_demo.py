"""The demo has a business unit with sales, labelled DEMO, and loading it twice adds nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from usaha.models import BusinessUnit, Het, StockEntry

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_lpg_outlet_and_a_sembako_unit_with_sales():
    call_command("load_demo", stdout=StringIO())
    units = BusinessUnit.objects.filter(kelurahan__kode="64.71.05.1002")
    assert sorted(units.values_list("kind", flat=True)) == ["lpg", "sembako"]
    assert all("DEMO" in unit.name for unit in units)
    assert Het.objects.get().source.startswith("DEMO")
    sales = StockEntry.objects.filter(type="jual").count()
    assert sales > 10 and StockEntry.objects.filter(type="jual", member__isnull=False).exists()
    call_command("load_demo", stdout=StringIO())
    assert StockEntry.objects.filter(type="jual").count() == sales
