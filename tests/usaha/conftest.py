from datetime import date

import pytest

from members.services import register_member
from tests.factories import make_nik, make_no_kk
from usaha.models import BusinessUnit, Het, Product

TODAY = date(2026, 3, 10)


@pytest.fixture
def het(kelurahan_a):
    return Het.objects.create(kabupaten_kota=kelurahan_a.kecamatan.kabupaten_kota, price=19_000, valid_from=date(2025, 1, 1),
                              source="SK Wali Kota (uji)")


@pytest.fixture
def unit(kelurahan_a, het):
    return BusinessUnit.objects.create(kelurahan=kelurahan_a, name="Outlet LPG", kind="lpg", supplier="Pangkalan Maju",
                                       household_limit=4, limit_period="bulan", started_on=date(2025, 1, 1))


@pytest.fixture
def lpg(unit):
    return Product.objects.create(unit=unit, name="LPG 3 kg", unit_label="tabung", is_lpg_3kg=True, member_price=18_000,
                                  non_member_price=19_000)


@pytest.fixture
def rice(kelurahan_a):
    sembako = BusinessUnit.objects.create(kelurahan=kelurahan_a, name="Sembako", kind="sembako", started_on=date(2025, 1, 1))
    return Product.objects.create(unit=sembako, name="Beras 5 kg", member_price=70_000, non_member_price=75_000)


@pytest.fixture
def anggota(kelurahan_a):
    return register_member(kelurahan=kelurahan_a, nik=make_nik(1), name="Anggota Satu", joined_on=date(2025, 9, 1),
                           no_kk=make_no_kk(1), status="aktif")
