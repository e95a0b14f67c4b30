"""Two officers recording simpanan for one member at the same moment, in real concurrent
PostgreSQL sessions: balances stay exact and receipt numbers unique."""

from datetime import date

from django.core.exceptions import ValidationError

from koperasi import simpanan
from koperasi.models import Account, Entry
from members.models import Member
from members.services import register_member
from tests.factories import make_nik, make_no_kk
from tests.members.test_concurrency import at_once, pytestmark  # noqa: F401 (PostgreSQL, transactions)

PAID = date(2025, 9, 5)


def member(kelurahan, serial=1, status=Member.Status.CALON):
    return register_member(kelurahan=kelurahan, nik=make_nik(serial), name=f"Anggota {serial}", joined_on=date(2025, 9, 1),
                           no_kk=make_no_kk(serial), status=status)


def test_the_simpanan_pokok_paid_twice_at_once_is_recorded_once(kelurahan_a):
    calon = member(kelurahan_a)
    results = at_once(*[lambda: simpanan.record_payment(member=calon, kind="pokok", paid_on=PAID)] * 2)
    saved = [r for r in results if isinstance(r, Entry)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(saved) == 1 and len(refused) == 1, results
    assert refused[0].code == "pokok_paid"  # the threads speak the site's language: the code, not the words
    assert Account.objects.get(pk=calon.pk).pokok == 50_000
    assert Member.objects.get(pk=calon.pk).status == Member.Status.AKTIF


def test_two_withdrawals_at_once_never_take_more_than_the_balance(kelurahan_a):
    saver = member(kelurahan_a, status=Member.Status.AKTIF)
    simpanan.record_payment(member=saver, kind="sukarela", amount=100_000, paid_on=PAID)
    withdraw = lambda: simpanan.record_withdrawal(member=saver, amount=70_000, paid_on=PAID)  # noqa: E731
    results = at_once(withdraw, withdraw)
    assert sum(isinstance(r, Entry) for r in results) == 1, results
    assert sum(isinstance(r, ValidationError) for r in results) == 1, results
    assert Account.objects.get(pk=saver.pk).sukarela == 30_000


def test_payments_of_many_members_at_once_get_distinct_consecutive_receipt_numbers(kelurahan_a):
    savers = [member(kelurahan_a, serial=i, status=Member.Status.AKTIF) for i in range(1, 7)]
    results = at_once(*(lambda m=m: simpanan.record_payment(member=m, kind="sukarela", amount=5_000, paid_on=PAID)
                        for m in savers))
    assert all(isinstance(r, Entry) for r in results), results
    assert sorted(Entry.objects.values_list("receipt_seq", flat=True)) == [1, 2, 3, 4, 5, 6]
    assert Entry.objects.values("receipt_number").distinct().count() == 6
