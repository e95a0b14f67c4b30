"""SHU: the largest-remainder split never creates or loses a rupiah; the allocation by the
cooperative's rule; members' shares by simpanan and purchases; the RAT's decision and payout."""

import random
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from koperasi import simpanan
from koperasi.models import Account, Meeting
from members.services import register_member
from tests.factories import make_nik, make_no_kk
from usaha import services, shu
from usaha.models import ShuRule

pytestmark = pytest.mark.django_db


def test_split_gives_the_leftover_rupiah_to_the_largest_remainders():
    assert shu.split(100, [1, 1, 1]) == [34, 33, 33]
    assert shu.split(10, [1, 2]) == [3, 7]
    assert shu.split(0, [1, 2]) == [0, 0]
    assert shu.split(5, [0, 0]) == [0, 0]
    assert shu.split(7, [0, 3, 0]) == [0, 7, 0]


def test_split_never_creates_or_loses_a_rupiah_over_many_random_cases():
    rng = random.Random(22)
    for _case in range(3000):
        amount = rng.choice([0, 1, 7, 999, rng.randrange(10**12)])
        weights = [rng.choice([0, 1, rng.randrange(10**9)]) for _w in range(rng.randrange(1, 40))]
        parts = shu.split(amount, weights)
        if sum(weights):
            assert sum(parts) == amount, (amount, weights)
        assert all(p >= 0 for p in parts)
        # Each part is its exact quota rounded down or up, and a zero weight gets nothing.
        total = sum(weights) or 1
        for part, weight in zip(parts, weights):
            assert amount * weight // total <= part <= amount * weight // total + 1
            assert weight or part == 0


def test_split_refuses_negative_amounts():
    with pytest.raises(ValueError):
        shu.split(-1, [1])


def test_the_rule_must_add_up_to_100(kelurahan_a):
    rule = ShuRule(kelurahan=kelurahan_a, reserves=50)
    with pytest.raises(ValidationError):
        rule.full_clean()
    rule = shu.rule_of(kelurahan_a)
    rule.full_clean()
    assert sum(getattr(rule, name) for name in ShuRule.SHARES) == 100


def test_the_allocation_sums_to_the_result_exactly():
    rule = ShuRule(reserves=33, jasa_modal=17, jasa_anggota=17, pengurus=11, education=11, social=11)
    for result in (1, 2, 999, 1_234_567, 10**11 + 3):
        assert sum(shu.allocate(result, rule).values()) == result
    assert sum(shu.allocate(-500, rule).values()) == 0


def test_members_shares_follow_simpanan_and_purchases_and_sum_to_the_allocation(kelurahan_a, lpg, het):
    members = [register_member(kelurahan=kelurahan_a, nik=make_nik(s), name=f"A{s}", joined_on=date(2025, 1, 1),
                               no_kk=make_no_kk(s), status="aktif") for s in (1, 2, 3)]
    simpanan.record_payment(member=members[0], kind="pokok", paid_on=date(2025, 2, 1), amount=50_000)
    simpanan.record_payment(member=members[1], kind="pokok", paid_on=date(2025, 2, 1), amount=50_000)
    simpanan.record_payment(member=members[1], kind="wajib", paid_on=date(2025, 2, 1), months=5)
    services.record_delivery(unit=lpg.unit, product=lpg, quantity=30, cost=480_000, today=date(2025, 6, 1))
    services.record_sale(unit=lpg.unit, product=lpg, quantity=3, buyer=members[2].member_number, today=date(2025, 6, 2))
    services.record_sale(unit=lpg.unit, product=lpg, quantity=1, buyer=members[0].member_number, today=date(2025, 6, 2))
    services.record_sale(unit=lpg.unit, product=lpg, quantity=2, buyer=make_nik(9), today=date(2025, 6, 3))
    year = shu.calculate(kelurahan=kelurahan_a, year=2025, other_costs=10_001)
    # Sales 4 x 18.000 + 2 x 19.000 = 110.000, cost 6 x 16.000 = 96.000: margin 14.000.
    assert (year.margin, year.result) == (14_000, 3_999)
    assert sum(year.allocation.values()) == 3_999
    shares = {s.member_id: s for s in year.shares.all()}
    assert sum(s.jasa_modal for s in shares.values()) == year.allocation["jasa_modal"]
    assert sum(s.jasa_anggota for s in shares.values()) == year.allocation["jasa_anggota"]
    assert shares[members[2].pk].jasa_modal == 0 and shares[members[1].pk].jasa_anggota == 0
    assert shares[members[1].pk].jasa_modal > shares[members[0].pk].jasa_modal


def test_the_payout_credits_simpanan_sukarela_once_after_the_rat_decided(kelurahan_a, lpg, het, anggota):
    services.record_delivery(unit=lpg.unit, product=lpg, quantity=10, cost=100_000, today=date(2025, 6, 1))
    services.record_sale(unit=lpg.unit, product=lpg, quantity=4, buyer=anggota.member_number, today=date(2025, 6, 2))
    year = shu.calculate(kelurahan=kelurahan_a, year=2025)
    with pytest.raises(ValidationError):
        shu.pay(shu=year)
    rat = Meeting.objects.create(kelurahan=kelurahan_a, held_on=date(2026, 2, 1), place="Balai", agenda="RAT 2025")
    shu.decide(shu=year, meeting=rat, payout="sukarela")
    with pytest.raises(ValidationError):
        shu.calculate(kelurahan=kelurahan_a, year=2025)
    shu.pay(shu=year, today=date(2026, 2, 2))
    share = year.shares.get(member=anggota)
    assert share.total == year.allocation["jasa_anggota"] > 0
    assert Account.objects.get(pk=anggota.pk).sukarela == share.total
    with pytest.raises(ValidationError):
        shu.pay(shu=year)
