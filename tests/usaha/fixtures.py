"""A unit with a product and a sale, for tests outside tests/usaha (the scope sweep)."""

from datetime import date

from usaha import services
from usaha.models import BusinessUnit, Het, Product


def sold_unit(kelurahan, *, name="Outlet LPG"):
    Het.objects.get_or_create(kabupaten_kota=kelurahan.kecamatan.kabupaten_kota, valid_from=date(2025, 1, 1),
                              defaults={"price": 19_000, "source": "uji"})
    unit = BusinessUnit.objects.create(kelurahan=kelurahan, name=name, kind="lpg", household_limit=10, started_on=date(2025, 1, 1))
    product = Product.objects.create(unit=unit, name="LPG 3 kg", is_lpg_3kg=True, member_price=18_000, non_member_price=19_000)
    services.record_delivery(unit=unit, product=product, quantity=5, cost=80_000)
    sale = services.record_sale(unit=unit, product=product, quantity=1, buyer="6471051203909999")
    return unit, product, sale
