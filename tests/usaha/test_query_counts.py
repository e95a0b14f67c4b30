"""The unit's pages' query counts, pinned at two sizes (tests/query_counts.py): a few sales, then
many more (by other buyers, members and clerks, over several days), more products and members.

Every page starts with 1: the session, 2: the user, 3-4: an officer's or reviewer's permissions
(the first `has_perm`); a superuser has every permission without a query."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory, make_nik
from tests.query_counts import add_members, client_as, pin_queries
from usaha import services, shu
from usaha.models import Product

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"usaha:{name}", args=args)


@pytest.fixture
def shop(officer, lpg, anggota):
    """The LPG unit with a delivery and two sales; `grow` adds a product, ten members, and
    twenty sales by other clerks to residents and members."""
    services.record_delivery(unit=lpg.unit, product=lpg, quantity=200, cost=3_200_000, by=officer)
    first = services.record_sale(unit=lpg.unit, product=lpg, quantity=1, buyer=anggota.member_number, by=officer)
    services.record_sale(unit=lpg.unit, product=lpg, quantity=1, buyer=make_nik(900), by=officer)
    shu.calculate(kelurahan=lpg.unit.kelurahan, year=timezone.localdate().year)

    def grow():
        Product.objects.create(unit=lpg.unit, name="Air galon", member_price=5_000, non_member_price=6_000)
        members = add_members(lpg.unit.kelurahan, 10)
        for i in range(20):
            buyer = members[i % 10].member_number if i % 2 else make_nik(1000 + i)
            services.record_sale(unit=lpg.unit, product=lpg, quantity=1, buyer=buyer, by=UserFactory())
        shu.calculate(kelurahan=lpg.unit.kelurahan, year=timezone.localdate().year)
    return lpg.unit, first, grow


# A reviewer's scope reads their region grants once (kelurahan.RegionGrant, issue 23): every
# reviewer's count below is one query more than the numbering in its comment.
PINS = {
    # 5: the unit with its kelurahan and kecamatan (scope), 6: the products, 7: the year's
    # figures (UnitMonth sums), 8: may the user keep it (kelurahan managed; a reviewer lacks the
    # usaha permission, so no query), 9: the HET.
    ("unit_detail", "officer"): 9, ("unit_detail", "reviewer"): 9,
    # 5: the unit (kept by the user), 6: the products on sale for the radio buttons.
    ("sale", "officer"): 6,
    # 5: the unit (kept by the user).
    ("unit_edit", "officer"): 5,
    # 5: the unit; 6: the products; 7: the day before the month; 8: the month's days.
    ("daily_book", "officer"): 8, ("daily_book", "reviewer"): 9,
    # 5: the unit, 6: may see full numbers (managed; none for a reviewer), 7: the unit's LPG
    # products, 8: the month's corrected sales, 9: the count and 10: the page of the month's
    # sales per day and NIK, 11: the days' totals.
    ("logbook", "officer"): 11, ("logbook", "reviewer"): 11,
    # 5: the unit, 6: the count and 7: the page of the members' year (MemberYear), 8: the year's figures.
    ("member_sales", "officer"): 8, ("member_sales", "reviewer"): 9,
}


@pytest.mark.parametrize("name, role", sorted(PINS))
def test_the_units_pages(request, shop, name, role):
    unit, _first, grow = shop
    pin_queries(client_as(request, role), url(name, unit.pk), PINS[name, role], grow=grow)


# 5: the entry with unit, kelurahan, kecamatan, product, member, recorder and what it
# reverses, 6: may see full numbers (managed), 7: its correction if any, 8: may keep (managed).
# A reviewer keeps nothing: 6 and 8 cost no query.
@pytest.mark.parametrize("role, expected", [("officer", 8), ("reviewer", 7)])
def test_the_receipt(request, shop, role, expected):
    _unit, first, grow = shop
    pin_queries(client_as(request, role), url("receipt", first.pk), expected, grow=grow)


# 5: the kelurahan (scope), 6: may keep (managed), 7: the units.
@pytest.mark.parametrize("role, expected", [("officer", 7), ("reviewer", 7)])
def test_the_unit_list(request, shop, role, expected):
    unit, _first, grow = shop
    pin_queries(client_as(request, role), url("unit_list", unit.kelurahan_id), expected, grow=grow)


# 5: the kelurahan, 6: the SHU year and its RAT, 7: its shares with members, 8: the rule,
# 9: may keep, 10: the RAT meetings (decision form), 11: the margin (UnitMonth sums).
@pytest.mark.parametrize("role, expected", [("officer", 11), ("reviewer", 11)])
def test_the_shu_page(request, shop, role, expected):
    unit, _first, grow = shop
    pin_queries(client_as(request, role), url("shu_year", unit.kelurahan_id), expected, grow=grow)


# 5: the kelurahan, 6: member counts, 7: joined by month, 8: joined before, 9: capital,
# 10: RATs, 11: the units, 12: their months, 13: the cooperative.
@pytest.mark.parametrize("role, expected", [("officer", 13), ("reviewer", 14)])
def test_the_dossier(request, shop, role, expected):
    unit, _first, grow = shop
    pin_queries(client_as(request, role), url("dossier", unit.kelurahan_id), expected, grow=grow)

