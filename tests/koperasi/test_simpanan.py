"""The simpanan ledger: payments, receipts, balances, activation on the simpanan pokok,
corrections and withdrawals, and every refusal changing nothing."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dashboard.models import KelurahanCounter
from koperasi import simpanan
from koperasi.models import Account, Cooperative, Entry
from members.models import Member
from members.services import record_leaving, register_member
from tests.factories import make_nik, make_no_kk

pytestmark = pytest.mark.django_db

JOINED = date(2025, 9, 1)
PAID = date(2025, 9, 5)


def applicant(kelurahan, serial=1, **kwargs):
    return register_member(kelurahan=kelurahan, nik=make_nik(serial), name=f"Calon {serial}", joined_on=JOINED,
                           no_kk=make_no_kk(serial), status=Member.Status.CALON, **kwargs)


def active(kelurahan, serial=1):
    return register_member(kelurahan=kelurahan, nik=make_nik(serial), name=f"Anggota {serial}", joined_on=JOINED,
                           no_kk=make_no_kk(serial))


def ledger():
    return list(Entry.objects.values_list("pk", "amount")), list(Account.objects.values_list("pk", "pokok", "wajib", "sukarela"))


def test_paying_the_simpanan_pokok_activates_an_applicant_and_the_dashboard_follows(kelurahan_a):
    member = applicant(kelurahan_a)
    assert KelurahanCounter.objects.get(pk=kelurahan_a.pk).anggota_aktif == 0
    entry = simpanan.record_payment(member=member, kind="pokok", paid_on=PAID)
    member.refresh_from_db()
    assert (entry.amount, entry.receipt_number) == (50_000, "KW-64.71.05.1002-000001")
    assert (member.status, member.joined_on) == ("aktif", PAID)
    assert member.status_changes.last().reason == "Simpanan pokok fully paid (receipt KW-64.71.05.1002-000001)."
    assert Account.objects.get(member=member).pokok_paid_on == PAID
    assert KelurahanCounter.objects.get(pk=kelurahan_a.pk).anggota_aktif == 1


def test_a_pokok_paid_in_instalments_activates_on_the_last_one(kelurahan_a):
    member = applicant(kelurahan_a)
    simpanan.record_payment(member=member, kind="pokok", amount=20_000, paid_on=PAID)
    member.refresh_from_db()
    assert member.status == "calon"
    simpanan.record_payment(member=member, kind="pokok", amount=30_000, paid_on=PAID + timedelta(days=3))
    member.refresh_from_db()
    assert (member.status, member.joined_on) == ("aktif", PAID + timedelta(days=3))


def test_where_the_pengurus_confirm_a_paid_applicant_waits_for_them(kelurahan_a):
    Cooperative.objects.create(kelurahan=kelurahan_a, activation=Cooperative.Activation.CONFIRMED)
    member = applicant(kelurahan_a)
    simpanan.record_payment(member=member, kind="pokok", paid_on=PAID)
    member.refresh_from_db()
    assert member.status == "calon"
    assert simpanan.may_confirm(member)


def test_the_cooperatives_own_amounts_apply(kelurahan_a):
    Cooperative.objects.create(kelurahan=kelurahan_a, pokok_amount=100_000, wajib_amount=25_000)
    member = active(kelurahan_a)
    assert simpanan.record_payment(member=member, kind="pokok", paid_on=PAID).amount == 100_000
    entry = simpanan.record_payment(member=member, kind="wajib", months=3, paid_on=PAID)
    assert (entry.amount, entry.months) == (75_000, 3)
    account = Account.objects.get(member=member)
    assert (account.pokok, account.wajib, account.wajib_months) == (100_000, 75_000, 3)


def test_receipt_numbers_run_per_cooperative(kelurahan_a, kelurahan_b):
    a1, a2, b1 = active(kelurahan_a, 1), active(kelurahan_a, 2), active(kelurahan_b, 3)
    numbers = [simpanan.record_payment(member=m, kind="sukarela", amount=5_000, paid_on=PAID).receipt_number for m in (a1, b1, a2)]
    assert numbers == ["KW-64.71.05.1002-000001", "KW-64.71.01.1001-000001", "KW-64.71.05.1002-000002"]


@pytest.mark.parametrize("case, expected", [
    ("zero", "more than Rp 0"),
    ("negative", "more than Rp 0"),
    ("future", "cannot be in the future"),
    ("before registration", "before the member registered"),
    ("second pokok", "already fully paid"),
    ("pokok too much", "Only Rp 50.000"),
    ("former member", "former member"),
    ("wajib of an applicant", "active members"),
    ("wajib wrong amount", "not Rp 15.000"),
    ("wajib zero months", "1 to 24 months"),
    ("unknown kind", "pokok, wajib or sukarela"),
    ("unknown method", "cash, bank transfer or QRIS"),
])
def test_bad_payments_are_refused_with_a_clear_message_and_change_nothing(kelurahan_a, case, expected):
    member = active(kelurahan_a)
    simpanan.record_payment(member=member, kind="pokok", paid_on=PAID)
    other = applicant(kelurahan_a, 2)
    calls = {
        "zero": dict(kind="sukarela", amount=0),
        "negative": dict(kind="sukarela", amount=-5_000),
        "future": dict(kind="sukarela", amount=5_000, paid_on=timezone.localdate() + timedelta(days=1)),
        "before registration": dict(kind="sukarela", amount=5_000, paid_on=JOINED - timedelta(days=1)),
        "second pokok": dict(kind="pokok"),
        "pokok too much": dict(member=other, kind="pokok", amount=60_000),
        "former member": dict(kind="sukarela", amount=5_000),
        "wajib of an applicant": dict(member=other, kind="wajib"),
        "wajib wrong amount": dict(kind="wajib", months=1, amount=15_000),
        "wajib zero months": dict(kind="wajib", months=0, amount=0),
        "unknown kind": dict(kind="pinjaman", amount=5_000),
        "unknown method": dict(kind="sukarela", amount=5_000, method="cek"),
    }
    if case == "former member":
        record_leaving(member=member, status="keluar", left_on=PAID)
    before = ledger()
    arguments = {"member": member, "paid_on": PAID, **calls[case]}
    with pytest.raises(ValidationError) as refused:
        simpanan.record_payment(**arguments)
    assert expected in " ".join(refused.value.messages)
    assert ledger() == before


def test_a_correction_reverses_an_entry_which_stays_in_the_ledger(kelurahan_a, officer):
    member = active(kelurahan_a)
    wrong = simpanan.record_payment(member=member, kind="wajib", months=2, paid_on=PAID)
    correction = simpanan.reverse_entry(entry=wrong, reason="salah anggota", by=officer)
    assert (correction.amount, correction.months, correction.reverses, correction.type) == (-20_000, -2, wrong, "koreksi")
    assert correction.receipt_number == "KW-64.71.05.1002-000002" and correction.recorded_by == officer
    account = Account.objects.get(member=member)
    assert (account.wajib, account.wajib_months) == (0, 0)
    assert Entry.objects.count() == 2
    with pytest.raises(ValidationError, match="already been corrected"):
        simpanan.reverse_entry(entry=wrong, reason="lagi")
    with pytest.raises(ValidationError, match="cannot itself be corrected"):
        simpanan.reverse_entry(entry=correction, reason="lagi")
    with pytest.raises(ValidationError, match="reason"):
        simpanan.reverse_entry(entry=simpanan.record_payment(member=member, kind="sukarela", amount=1_000, paid_on=PAID), reason=" ")


def test_entries_are_never_changed_or_deleted(kelurahan_a):
    entry = simpanan.record_payment(member=active(kelurahan_a), kind="sukarela", amount=5_000, paid_on=PAID)
    entry.amount = 1
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    assert Entry.objects.get().amount == 5_000


def test_withdrawals_take_no_more_than_the_sukarela_balance(kelurahan_a):
    member = active(kelurahan_a)
    deposit = simpanan.record_payment(member=member, kind="sukarela", amount=30_000, paid_on=PAID)
    with pytest.raises(ValidationError, match="balance is Rp 30.000"):
        simpanan.record_withdrawal(member=member, amount=30_001, paid_on=PAID)
    simpanan.record_withdrawal(member=member, amount=20_000, paid_on=PAID)
    assert Account.objects.get(member=member).sukarela == 10_000
    with pytest.raises(ValidationError, match="negative"):  # the deposit was partly withdrawn
        simpanan.reverse_entry(entry=deposit, reason="salah")
    # a member who left takes their savings back
    record_leaving(member=member, status="keluar", left_on=PAID)
    simpanan.record_withdrawal(member=member, amount=10_000, paid_on=PAID)
    assert Account.objects.get(member=member).sukarela == 0


def test_the_database_refuses_an_entry_that_breaks_the_rules(kelurahan_a):
    from django.db import IntegrityError, transaction

    member = active(kelurahan_a)
    for bad in (dict(kind="sukarela", type="setoran", amount=-1), dict(kind="pokok", type="penarikan", amount=-1),
                dict(kind="wajib", type="setoran", amount=10_000, months=0), dict(kind="sukarela", type="setoran", amount=0)):
        with pytest.raises(IntegrityError), transaction.atomic():
            Entry(member=member, kelurahan=kelurahan_a, paid_on=PAID, receipt_seq=99, receipt_number="x", **bad).save()
